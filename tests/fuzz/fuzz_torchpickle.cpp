// adaptTorchPickle on the input as a data.pkl.
// Contract (torchpickle.h): std::runtime_error naming the file, or a pickle that still starts with the
// protocol-2 marker and ends with STOP.
#include "core/model/torchpickle.h"
#include "fuzzutil.h"

#include <stdexcept>
#include <string_view>

using namespace cospace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try {
        const QByteArray out = adaptTorchPickle(u"data.pkl"_qs, fuzz::bytes(data, size));
        FUZZ_CHECK(out.size() >= 3 && out.startsWith("\x80\x02") && out.endsWith('.'));
    } catch (const std::runtime_error &e) {
        FUZZ_CHECK(std::string_view(e.what()).rfind("data.pkl: ", 0) == 0);
    }
    return 0;
}
