// parseSafetensorsHeader on the input as a whole file.
// Contract (safetensors.h): std::runtime_error naming the file, or a header whose every tensor has a
// known dtype, a byte span inside the data equal to shape x dtype size, and no two tensors overlapping.
#include "core/model/safetensors.h"
#include "fuzzutil.h"

#include <algorithm>
#include <stdexcept>
#include <string_view>

using namespace cospace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes = fuzz::bytes(data, size);
    try {
        const SafetensorsHeader h = parseSafetensorsHeader(u"f.safetensors"_qs, bytes, bytes.size());
        FUZZ_CHECK(h.dataOffset >= 8 && h.dataOffset <= bytes.size());
        std::int64_t lastEnd = h.dataOffset;
        std::vector<const SafetensorsEntry *> byBegin;
        for (const SafetensorsEntry &e : h.tensors) {
            FUZZ_CHECK(e.begin >= h.dataOffset && e.begin <= e.end && e.end <= bytes.size());
            const std::optional<std::int64_t> n = checkedNumel(e.shape, dtypeSize(e.dtype));
            FUZZ_CHECK(n && *n * dtypeSize(e.dtype) == e.end - e.begin);
            if (e.end > e.begin)
                byBegin.push_back(&e);
        }
        for (const SafetensorsEntry *e : byBegin) {   // sorted by begin: non-empty spans never overlap
            FUZZ_CHECK(e->begin >= lastEnd);
            lastEnd = e->end;
        }
    } catch (const std::runtime_error &e) {
        FUZZ_CHECK(std::string_view(e.what()).rfind("f.safetensors: ", 0) == 0);
    }
    return 0;
}
