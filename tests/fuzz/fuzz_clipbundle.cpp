// readClipBundleInfo on a bundle folder whose cospace-model.json is the input (model.pt and the
// default vocabulary exist, empty: the reader only checks that they are there).
// Contract (clipbundle.h): std::runtime_error naming the file, or a validated ClipBundleInfo.
#include "core/model/clipbundle.h"
#include "fuzzutil.h"

#include <cmath>
#include <stdexcept>
#include <string_view>

using namespace cospace;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    fuzz::writeFile(u"bundle/model.pt"_qs, {});
    fuzz::writeFile(u"bundle/bpe_simple_vocab_16e6.txt.gz"_qs, {});
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::writeFile(u"bundle/cospace-model.json"_qs, fuzz::bytes(data, size));
    try {
        const ClipBundleInfo info = readClipBundleInfo(fuzz::scratch().absoluteFilePath(u"bundle"_qs));
        FUZZ_CHECK(info.embedDim > 0);
        FUZZ_CHECK(info.image.size > 0 && info.image.size <= 4096);
        FUZZ_CHECK(info.contextLength >= 2 && info.contextLength <= 4096);
        for (float s : info.image.std)
            FUZZ_CHECK(s > 0 && std::isfinite(s));
        for (float m : info.image.mean)
            FUZZ_CHECK(std::isfinite(m));
    } catch (const std::runtime_error &e) {
        FUZZ_CHECK(std::string_view(e.what()).find("cospace-model.json") != std::string_view::npos
                   || std::string_view(e.what()).find("bundle") != std::string_view::npos);
    }
    return 0;
}
