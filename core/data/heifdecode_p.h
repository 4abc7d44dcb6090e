#pragma once
// Private: HEIF (HEIC) and AVIF through Debian's libheif (libde265 for HEVC, dav1d / aom for AV1).
// The primary image only. Its declared size (the 'ispe' property, read with the item metadata
// before any pixel) is checked against options.maxPixels; libheif applies the file's rotation
// and mirroring ('irot' / 'imir', which HEIF uses instead of the EXIF orientation); 10- and
// 12-bit images become 8-bit; alpha is composited on white. Thread-safe (one libheif context
// per call).

#include "core/data/imagedecode.h"

#include <QByteArray>

namespace cospace::detail {

// `format` names the file in messages ("HEIC", "AVIF").
DecodedImage decodeHeif(const QByteArray &data, const DecodeOptions &options, const char *format);

}  // namespace cospace::detail
