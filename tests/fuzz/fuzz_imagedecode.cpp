// decodeImageFile of the input saved under an extension picked by byte 0 (the decoder must go by
// content, not by name). Byte 1 picks minShortSide (JPEG DCT reduction). maxPixels is 4 MP so that a
// decompression bomb is a finding only if the header check misses it.
// Contract (imagedecode.h): never throws; either a failure with a reason, or an RGB image whose
// pixel buffer matches its size and is not larger than maxPixels.
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
    if (size < 2)
        return 0;
    static const char *names[] = {"in.png", "in.jpg", "in.webp", "in.bmp", "in.tif", "in.gif", "in.jpeg", "in"};
    const QString path = fuzz::writeFile(QString::fromLatin1(names[data[0] % 8]), fuzz::bytes(data + 2, size - 2));
    DecodeOptions options;
    options.maxPixels = 4'000'000;
    options.minShortSide = data[1] % 4 == 0 ? 0 : 8 << (data[1] % 4);
    const DecodedImage d = decodeImageFile(path, options);
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
