#pragma once
// Private: what an image file's first bytes say before any pixel is decoded — the format (by
// content, never by name), the stored size, whether the file is complete, and the EXIF
// orientation of the formats whose decoders do not apply it. Pure functions of the bytes; every
// read is bounds-checked (they run on hostile files, tests/fuzz/fuzz_imagedecode.cpp).

#include <QByteArray>

namespace cospace::detail {

enum class ImageFormat { Unknown, Jpeg, Png, Gif, Bmp, WebP, Tiff, Heif, Avif };

struct ImageHeader {
    ImageFormat format = ImageFormat::Unknown;
    int width = 0;    // 0 when the header is cut short, and always for HEIF / AVIF (libheif reads
    int height = 0;   // their size from the item properties: heifdecode.cpp)
};

ImageHeader sniffImage(const QByteArray &data);

// False when the file ends before the image data does: JPEG markers up to EOI, PNG IEND, the BMP
// and WebP size fields, HEIF / AVIF top-level boxes whose declared size runs past the end.
bool imageComplete(const QByteArray &data, ImageFormat format);

// EXIF orientation 1..8 of a PNG (eXIf chunk), WebP (EXIF chunk) or TIFF (IFD0 tag 274); 1 when
// there is none or it is malformed. JPEG's is applied by OpenCV; HEIF's transforms by libheif.
int exifOrientation(const QByteArray &data, ImageFormat format);

const char *imageFormatName(ImageFormat format);   // "JPEG", "HEIC", "AVIF", ...

}  // namespace cospace::detail
