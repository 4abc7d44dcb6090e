#include "core/data/heifdecode_p.h"

#include <libheif/heif.h>

#include <memory>
#include <mutex>

namespace cospace::detail {

namespace {

// libheif's own per-side cap, also applied to each tile of a grid image: high enough that the
// primary image's declared size reaches our pixel check (which names it), bounded all the same.
constexpr std::int64_t kMaxSide = std::int64_t(1) << 20;

DecodedImage failure(DecodeFailure f, const QString &reason)
{
    DecodedImage r;
    r.failure = f;
    r.reason = reason;
    return r;
}

DecodedImage heifError(const heif_error &error, const char *format, const char *stage)
{
    const QString what = QString::fromUtf8(error.message ? error.message : "unknown error");
    if (error.subcode == heif_suberror_Security_limit_exceeded)
        return failure(DecodeFailure::TooLarge, u"too large: %1 (%2)"_qs.arg(QLatin1String(format), what));
    if (error.subcode == heif_suberror_End_of_data)
        return failure(DecodeFailure::Truncated, u"truncated %1 data (%2)"_qs.arg(QLatin1String(format), what));
    if (error.code == heif_error_Unsupported_feature || error.code == heif_error_Unsupported_filetype)
        return failure(DecodeFailure::Corrupt, u"unsupported %1 %2 (%3)"_qs.arg(QLatin1String(format), QLatin1String(stage), what));
    return failure(DecodeFailure::Corrupt, u"corrupt %1 %2 (%3)"_qs.arg(QLatin1String(format), QLatin1String(stage), what));
}

void initLibheif()
{
    static std::once_flag once;
    std::call_once(once, [] { heif_init(nullptr); });   // loads decoder plugins where libheif has them
}

// Interleaved 8-bit RGB or RGBA rows to RgbImage, alpha over white.
RgbImage toRgbImage(const heif_image *image, bool alpha)
{
    int stride = 0;
    const std::uint8_t *plane = heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride);
    const int w = heif_image_get_width(image, heif_channel_interleaved);
    const int h = heif_image_get_height(image, heif_channel_interleaved);
    RgbImage out;
    if (!plane || w <= 0 || h <= 0)
        return out;
    out.width = w;
    out.height = h;
    out.pixels.resize(std::size_t(w) * std::size_t(h) * 3);
    const int channels = alpha ? 4 : 3;
    for (int y = 0; y < h; ++y) {
        const std::uint8_t *s = plane + std::size_t(y) * std::size_t(stride);
        std::uint8_t *t = out.pixels.data() + std::size_t(y) * std::size_t(w) * 3;
        for (int x = 0; x < w; ++x, s += channels, t += 3) {
            const int a = alpha ? s[3] : 255;
            for (int c = 0; c < 3; ++c)
                t[c] = std::uint8_t((s[c] * a + 255 * (255 - a) + 127) / 255);
        }
    }
    return out;
}

}  // namespace

DecodedImage decodeHeif(const QByteArray &data, const DecodeOptions &options, const char *format)
{
    initLibheif();
    const std::unique_ptr<heif_context, void (*)(heif_context *)> context(heif_context_alloc(), heif_context_free);
    heif_context_set_maximum_image_size_limit(context.get(), int(std::min(kMaxSide, std::max<std::int64_t>(1, options.maxPixels))));
    heif_error error = heif_context_read_from_memory_without_copy(context.get(), data.constData(), std::size_t(data.size()), nullptr);
    if (error.code != heif_error_Ok)
        return heifError(error, format, "header");
    heif_image_handle *rawHandle = nullptr;
    error = heif_context_get_primary_image_handle(context.get(), &rawHandle);
    if (error.code != heif_error_Ok)
        return heifError(error, format, "header");
    const std::unique_ptr<heif_image_handle, void (*)(const heif_image_handle *)> handle(rawHandle, heif_image_handle_release);
    const int width = heif_image_handle_get_width(handle.get());
    const int height = heif_image_handle_get_height(handle.get());
    if (width <= 0 || height <= 0)
        return failure(DecodeFailure::Corrupt, u"corrupt %1 header (no image size)"_qs.arg(QLatin1String(format)));
    const std::int64_t pixels = std::int64_t(width) * height;
    if (pixels > options.maxPixels)
        return failure(DecodeFailure::TooLarge, u"too large: %1 x %2 = %3 MP (limit %4 MP)"_qs.arg(width).arg(height)
                           .arg(double(pixels) / 1e6, 0, 'f', 1).arg(double(options.maxPixels) / 1e6));
    const bool alpha = heif_image_handle_has_alpha_channel(handle.get()) != 0;
    const std::unique_ptr<heif_decoding_options, void (*)(heif_decoding_options *)> decoding(heif_decoding_options_alloc(),
                                                                                          heif_decoding_options_free);
    decoding->convert_hdr_to_8bit = 1;
    heif_image *rawImage = nullptr;
    error = heif_decode_image(handle.get(), &rawImage, heif_colorspace_RGB,
                              alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, decoding.get());
    if (error.code != heif_error_Ok)
        return heifError(error, format, "data");
    const std::unique_ptr<heif_image, void (*)(const heif_image *)> image(rawImage, heif_image_release);
    DecodedImage r;
    r.fileWidth = width;
    r.fileHeight = height;
    r.image = toRgbImage(image.get(), alpha);
    if (r.image.isNull())
        return failure(DecodeFailure::Corrupt, u"corrupt %1 data (no pixels)"_qs.arg(QLatin1String(format)));
    if (std::int64_t(r.image.width) * r.image.height > options.maxPixels)   // never larger than declared, but be sure
        return failure(DecodeFailure::TooLarge, u"too large: decoded to %1 x %2"_qs.arg(r.image.width).arg(r.image.height));
    return r;
}

}  // namespace cospace::detail
