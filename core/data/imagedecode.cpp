#include "core/data/imagedecode.h"

#include "core/data/heifdecode_p.h"
#include "core/data/imageheader_p.h"
#include "core/data/imageops_p.h"
#include "core/data/shards.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QImageReader>

#include <cstring>
#include <tuple>

namespace cospace {

namespace {

// Any depth / channel count to 8-bit RGB; alpha over white.
cv::Mat toRgb8(cv::Mat raw)
{
    if (raw.depth() == CV_16U)
        raw.convertTo(raw, CV_8U, 1.0 / 257.0);
    else if (raw.depth() == CV_32F || raw.depth() == CV_64F)
        raw.convertTo(raw, CV_8U, 255.0);
    else if (raw.depth() != CV_8U)
        raw.convertTo(raw, CV_8U);
    cv::Mat rgb;
    switch (raw.channels()) {
    case 1:
        cv::cvtColor(raw, rgb, cv::COLOR_GRAY2RGB);
        return rgb;
    case 3:
        cv::cvtColor(raw, rgb, cv::COLOR_BGR2RGB);
        return rgb;
    case 4: {
        rgb.create(raw.rows, raw.cols, CV_8UC3);
        for (int y = 0; y < raw.rows; ++y) {
            const cv::Vec4b *s = raw.ptr<cv::Vec4b>(y);
            cv::Vec3b *t = rgb.ptr<cv::Vec3b>(y);
            for (int x = 0; x < raw.cols; ++x) {
                const int a = s[x][3];
                for (int c = 0; c < 3; ++c)   // BGRA -> RGB, composited on white
                    t[x][2 - c] = uchar((s[x][c] * a + 255 * (255 - a) + 127) / 255);
            }
        }
        return rgb;
    }
    default:
        return {};
    }
}

RgbImage decodeWithQt(const QByteArray &data)
{
    QBuffer buffer;
    buffer.setData(data);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer);
    QImage frame = reader.read();   // the first frame
    if (frame.isNull())
        return {};
    QImage canvas(frame.size(), QImage::Format_RGB888);
    canvas.fill(Qt::white);
    frame = frame.convertToFormat(QImage::Format_RGBA8888);
    RgbImage out;
    out.width = frame.width();
    out.height = frame.height();
    out.pixels.resize(std::size_t(out.width) * std::size_t(out.height) * 3);
    for (int y = 0; y < out.height; ++y) {
        const uchar *s = frame.constScanLine(y);
        std::uint8_t *t = out.pixels.data() + std::size_t(y) * std::size_t(out.width) * 3;
        for (int x = 0; x < out.width; ++x) {
            const int a = s[4 * x + 3];
            for (int c = 0; c < 3; ++c)
                t[3 * x + c] = std::uint8_t((s[4 * x + c] * a + 255 * (255 - a) + 127) / 255);
        }
    }
    return out;
}

DecodedImage failed(DecodeFailure f, const QString &detail)
{
    DecodedImage r;
    r.failure = f;
    r.reason = detail;
    return r;
}

}  // namespace

QString decodeFailureName(DecodeFailure failure) { return kDecodeFailureNames.name(failure); }   // None: ""

namespace {

// The file-level reasons (link, existence, permission, size); the bytes when there are none.
DecodedImage readWholeFile(const QString &path, QByteArray *data)
{
    const QFileInfo info(path);
    if (info.isSymLink() && !info.exists())
        return failed(DecodeFailure::BrokenLink, u"broken link (target %1 does not exist)"_qs.arg(info.symLinkTarget()));
    if (!info.exists())
        return failed(DecodeFailure::Unreadable, u"unreadable: no such file"_qs);
    if (info.isDir())
        return failed(DecodeFailure::Unreadable, u"unreadable: a folder, not a file"_qs);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return failed(DecodeFailure::Unreadable, u"unreadable: %1"_qs.arg(file.errorString()));
    if (file.size() == 0)
        return failed(DecodeFailure::ZeroBytes, u"zero bytes"_qs);
    *data = file.readAll();
    if (data->size() != file.size())
        return failed(DecodeFailure::Unreadable, u"unreadable: %1"_qs.arg(file.errorString()));
    return {};
}

// The largest JPEG DCT scale denominator that keeps the shorter side >= minShortSide.
std::pair<int, int> jpegScale(const detail::ImageHeader &h, int minShortSide)
{
    static constexpr std::pair<int, int> kReduced[] = {
        {8, cv::IMREAD_REDUCED_COLOR_8}, {4, cv::IMREAD_REDUCED_COLOR_4}, {2, cv::IMREAD_REDUCED_COLOR_2}};
    const int shortSide = std::min(h.width, h.height);
    for (const auto &[factor, flag] : kReduced) {
        if (minShortSide > 0 && shortSide / factor >= minShortSide)
            return {factor, flag};
    }
    // JPEG has no alpha; IMREAD_COLOR converts grey and CMYK and applies EXIF orientation.
    return {1, cv::IMREAD_COLOR};
}

// EXIF orientation (1..8) applied to decoded pixels: what a viewer shows.
cv::Mat orient(const cv::Mat &m, int orientation)
{
    cv::Mat out;
    switch (orientation) {
    case 2: cv::flip(m, out, 1); return out;
    case 3: cv::rotate(m, out, cv::ROTATE_180); return out;
    case 4: cv::flip(m, out, 0); return out;
    case 5: cv::transpose(m, out); return out;
    case 6: cv::rotate(m, out, cv::ROTATE_90_CLOCKWISE); return out;
    case 7: cv::transpose(m, out); cv::flip(out, out, -1); return out;
    case 8: cv::rotate(m, out, cv::ROTATE_90_COUNTERCLOCKWISE); return out;
    default: return m;
    }
}

QString tooLargeReason(int width, int height, std::int64_t maxPixels)
{
    const std::int64_t pixels = std::int64_t(width) * height;
    return u"too large: %1 x %2 = %3 MP (limit %4 MP)"_qs.arg(width).arg(height)
        .arg(double(pixels) / 1e6, 0, 'f', 1).arg(double(maxPixels) / 1e6);
}

}  // namespace

DecodedImage decodeImageData(const QByteArray &data, const DecodeOptions &options)
{
    using detail::ImageFormat;
    if (data.isEmpty())
        return failed(DecodeFailure::ZeroBytes, u"zero bytes"_qs);
    const detail::ImageHeader h = detail::sniffImage(data);
    if (h.format == ImageFormat::Unknown)
        return failed(DecodeFailure::NotAnImage, u"not an image (unrecognised content)"_qs);
    const char *fmt = detail::imageFormatName(h.format);
    const QString truncated = u"truncated %1 data"_qs.arg(QLatin1String(fmt));
    if (h.format == ImageFormat::Heif || h.format == ImageFormat::Avif) {
        if (!detail::imageComplete(data, h.format))
            return failed(DecodeFailure::Truncated, truncated);
        return detail::decodeHeif(data, options, fmt);   // the size is in the item properties
    }
    if (h.width <= 0 || h.height <= 0)
        return failed(DecodeFailure::Truncated, u"truncated %1 header"_qs.arg(QLatin1String(fmt)));
    if (std::int64_t(h.width) * h.height > options.maxPixels)
        return failed(DecodeFailure::TooLarge, tooLargeReason(h.width, h.height, options.maxPixels));
    if (!detail::imageComplete(data, h.format))
        return failed(DecodeFailure::Truncated, truncated);

    DecodedImage r;
    r.fileWidth = h.width;
    r.fileHeight = h.height;
    if (h.format == ImageFormat::Gif) {
        r.image = decodeWithQt(data);   // OpenCV 4.6 has no GIF decoder; Qt gives the first frame
        if (r.image.isNull())
            return failed(DecodeFailure::Corrupt, u"corrupt GIF data"_qs);
        return r;
    }
    int flags = cv::IMREAD_UNCHANGED;   // keeps alpha and 16-bit; no EXIF orientation (applied below)
    if (h.format == ImageFormat::Jpeg)
        std::tie(r.reduction, flags) = jpegScale(h, options.minShortSide);
    cv::Mat raw;
    try {
        const cv::Mat buffer(1, int(data.size()), CV_8U, const_cast<char *>(data.constData()));
        raw = cv::imdecode(buffer, flags);
    } catch (const cv::Exception &e) {
        return failed(DecodeFailure::Corrupt, u"corrupt %1 data (%2)"_qs.arg(QLatin1String(fmt), QString::fromStdString(e.msg)));
    }
    if (raw.empty() && h.format == ImageFormat::WebP) {
        // An animated WebP (ANIM / ANMF chunks): OpenCV 4.6 reads still images only; Qt's WebP
        // plugin gives the first frame.
        r.image = decodeWithQt(data);
        if (!r.image.isNull())
            return r;
    }
    if (raw.empty())
        return failed(DecodeFailure::Corrupt, u"corrupt or unsupported %1 data"_qs.arg(QLatin1String(fmt)));
    if (std::int64_t(raw.cols) * raw.rows > options.maxPixels)   // a header that lied about the size
        return failed(DecodeFailure::TooLarge, tooLargeReason(raw.cols, raw.rows, options.maxPixels));
    cv::Mat rgb = toRgb8(raw);
    if (rgb.empty())
        return failed(DecodeFailure::Corrupt, u"unsupported %1 layout (%2 channels)"_qs.arg(QLatin1String(fmt)).arg(raw.channels()));
    // JPEG: OpenCV applied EXIF already. TIFF: OpenCV's 8-bit path (libtiff's RGBA reader) applies
    // the Orientation tag itself; its 16-bit and float paths do not.
    const bool oriented = h.format == ImageFormat::Jpeg || (h.format == ImageFormat::Tiff && raw.depth() == CV_8U);
    if (!oriented)
        rgb = orient(rgb, detail::exifOrientation(data, h.format));
    r.image = detail::fromMat(rgb);
    return r;
}

DecodedImage decodeImageFile(const QString &path, const DecodeOptions &options)
{
    QString shard, key;
    if (splitShardItem(path, &shard, &key)) {   // "SHARD.tar#KEY": the member's bytes, read in place
        QString error;
        const QByteArray data = readShardImage(path, &error);
        if (data.isEmpty())
            return failed(DecodeFailure::Unreadable, u"unreadable: %1"_qs.arg(error));
        return decodeImageData(data, options);
    }
    QByteArray data;
    if (DecodedImage r = readWholeFile(path, &data); !r.ok())
        return r;
    return decodeImageData(data, options);
}

}  // namespace cospace
