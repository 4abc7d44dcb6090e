// readNpyBytes on the input. Contract (npy.h): a rows x cols float matrix with rows*cols values,
// or std::runtime_error whose message starts with the name.
#include "core/base/npy.h"
#include "fuzzutil.h"

#include <stdexcept>
#include <string_view>

using namespace cospace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try {
        const Matrix m = readNpyBytes(fuzz::bytes(data, size), u"fuzz.npy"_qs);
        FUZZ_CHECK(m.rows >= 0 && m.cols >= 0);
        FUZZ_CHECK(m.data.size() == std::size_t(m.rows) * std::size_t(m.cols));
    } catch (const std::runtime_error &e) {
        FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz.npy: "));
    }
    return 0;
}
