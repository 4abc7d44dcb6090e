// HEIF / HEIC / AVIF through decodeImageData() (libheif behind the header checks: brands, the
// top-level box walk for truncation, the declared 'ispe' size against maxPixels). Seeds are
// small HEIC and AVIF files (make_seeds.sh, heif-enc); the same contract as fuzz_imagedecode.
// maxPixels is 4 MP so that a decompression bomb is a finding only if the size check misses it.
#include "core/data/imagedecode.h"
#include "fuzzutil.h"

using namespace cospace;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    DecodeOptions options;
    options.maxPixels = 4'000'000;
    const DecodedImage d = decodeImageData(fuzz::bytes(data, size), options);
    if (!d.ok()) {
        FUZZ_CHECK(!d.reason.isEmpty());
        FUZZ_CHECK(!decodeFailureName(d.failure).isEmpty());
        return 0;
    }
    FUZZ_CHECK(!d.image.isNull());
    FUZZ_CHECK(d.image.pixels.size() == std::size_t(d.image.width) * std::size_t(d.image.height) * 3);
    FUZZ_CHECK(std::int64_t(d.image.width) * d.image.height <= options.maxPixels);
    return 0;
}
