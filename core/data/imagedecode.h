#pragma once
// Decoding image files for embedding: one call per file, a clear reason when a file is skipped.
//
// decodeImageFile() reads the header first and refuses images above `maxPixels` before any pixel
// is decoded (decompression bombs). JPEGs are decoded in the DCT domain at 1/2, 1/4 or 1/8 scale
// when that still leaves the shorter side >= `minShortSide` (pass 2 x the model's input size).
// Orientation is applied: EXIF for JPEG, PNG (eXIf), WebP (EXIF chunk) and TIFF; 'irot' / 'imir'
// for HEIF and AVIF. Alpha is composited on white; grey, 16-bit, HDR (10/12-bit HEIF, AVIF) and
// CMYK become 8-bit RGB. Animated GIF and WebP give their first frame (through Qt), HEIF and
// AVIF their primary image.
// Formats, recognised by content, not by file name: JPEG, PNG, WebP, BMP, TIFF (OpenCV); GIF and
// animated WebP (Qt: OpenCV 4.6 reads neither); HEIF / HEIC and AVIF (libheif). A cut file is reported as
// truncated from the format's own structure (JPEG markers up to EOI, PNG IEND, the BMP / WebP
// size fields, HEIF / AVIF top-level boxes) rather than decoded into a partly grey picture.
//
// Thread-safe: decode files on as many worker threads as you like.

#include "core/data/rgbimage.h"
#include "core/base/limits.h"
#include "core/base/names.h"

#include <QByteArray>
#include <QString>

#include <cstdint>

namespace cospace {

enum class DecodeFailure {
    None,
    BrokenLink,   // a symbolic link whose target does not exist
    Unreadable,   // missing, a folder, or no permission
    ZeroBytes,
    NotAnImage,   // not one of the formats above
    TooLarge,     // header says more than maxPixels
    Truncated,    // the file ends before the image data does
    Corrupt,      // the decoder rejected the data
};
inline constexpr EnumNames<DecodeFailure, 7> kDecodeFailureNames{{{{DecodeFailure::BrokenLink, "broken link"},
                                                                     {DecodeFailure::Unreadable, "unreadable"},
                                                                     {DecodeFailure::ZeroBytes, "zero bytes"},
                                                                     {DecodeFailure::NotAnImage, "not an image"},
                                                                     {DecodeFailure::TooLarge, "too large"},
                                                                     {DecodeFailure::Truncated, "truncated"},
                                                                     {DecodeFailure::Corrupt, "corrupt"}}}};

struct DecodeOptions {
    std::int64_t maxPixels = limits().maxImagePixels;   // default 100 MP (core/limits.h)
    int minShortSide = 0;                   // 0: always decode at full size
};

struct DecodedImage {
    RgbImage image;
    DecodeFailure failure = DecodeFailure::None;
    QString reason;              // short user-facing text, e.g. "truncated JPEG data"; empty when ok
    int fileWidth = 0;           // size stored in the file (before reduction and orientation)
    int fileHeight = 0;
    int reduction = 1;           // JPEG DCT scale denominator used: 1, 2, 4 or 8
    bool ok() const { return failure == DecodeFailure::None; }
};

DecodedImage decodeImageFile(const QString &path, const DecodeOptions &options = {});
// The same for bytes already in memory (a member of a shard). fileWidth/fileHeight as above.
DecodedImage decodeImageData(const QByteArray &data, const DecodeOptions &options = {});

// The keyword of a failure as reports and JSON use it: "broken link", "unreadable", "zero bytes",
// "not an image", "too large", "truncated", "corrupt" ("" for None).
QString decodeFailureName(DecodeFailure failure);

}  // namespace cospace
