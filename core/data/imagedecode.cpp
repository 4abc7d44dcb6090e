#include "core/data/imagedecode.h"

#include "core/data/imageops_p.h"

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

enum class Format { Unknown, Jpeg, Png, Gif, Bmp, WebP, Tiff };

struct Header {
    Format format = Format::Unknown;
    int width = 0;
    int height = 0;
};

std::uint32_t be16(const uchar *p) { return std::uint32_t(p[0]) << 8 | p[1]; }
std::uint32_t be32(const uchar *p) { return be16(p) << 16 | be16(p + 2); }
std::uint32_t le16(const uchar *p) { return std::uint32_t(p[1]) << 8 | p[0]; }
std::uint32_t le32(const uchar *p) { return le16(p + 2) << 16 | le16(p); }

// The JPEG frame size from the first SOFn marker. Segments are walked by their lengths.
bool jpegSize(const QByteArray &d, Header *h)
{
    const auto *p = reinterpret_cast<const uchar *>(d.constData());
    qsizetype i = 2;
    while (i + 4 <= d.size()) {
        if (p[i] != 0xFF)
            return false;
        const uchar m = p[i + 1];
        if (m == 0xFF) { ++i; continue; }            // fill bytes
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7)) { i += 2; continue; }
        const qsizetype len = be16(p + i + 2);
        const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof) {
            if (i + 9 > d.size())
                return false;
            h->height = int(be16(p + i + 5));
            h->width = int(be16(p + i + 7));
            return true;
        }
        if (m == 0xDA || m == 0xD9)
            return false;                             // scan data before any frame header
        i += 2 + len;
    }
    return false;
}

// True when the JPEG's marker structure reaches EOI: entropy-coded data is skipped by looking for
// the next marker (0xFF followed by neither 0x00 stuffing nor a restart marker).
bool jpegComplete(const QByteArray &d)
{
    const auto *p = reinterpret_cast<const uchar *>(d.constData());
    const qsizetype n = d.size();
    qsizetype i = 2;
    while (i + 2 <= n) {
        if (p[i] != 0xFF)
            return false;
        const uchar m = p[i + 1];
        if (m == 0xFF) { ++i; continue; }
        if (m == 0xD9)
            return true;
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) { i += 2; continue; }
        if (i + 4 > n)
            return false;
        i += 2 + be16(p + i + 2);
        if (m != 0xDA)
            continue;
        // Entropy-coded segment.
        while (i + 1 < n) {
            const void *ff = std::memchr(p + i, 0xFF, std::size_t(n - i - 1));
            if (!ff)
                return false;
            i = static_cast<const uchar *>(ff) - p;
            const uchar next = p[i + 1];
            if (next == 0x00 || (next >= 0xD0 && next <= 0xD7) || next == 0xFF) {
                i += next == 0xFF ? 1 : 2;
                continue;
            }
            break;   // a real marker: back to the segment loop
        }
    }
    return false;
}

bool tiffSize(const QByteArray &d, Header *h)
{
    const auto *p = reinterpret_cast<const uchar *>(d.constData());
    const bool le = p[0] == 'I';
    auto u16 = [&](qsizetype o) { return le ? le16(p + o) : be16(p + o); };
    auto u32 = [&](qsizetype o) { return le ? le32(p + o) : be32(p + o); };
    const qsizetype ifd = u32(4);
    if (ifd + 2 > d.size())
        return false;
    const int count = int(u16(ifd));
    for (int k = 0; k < count; ++k) {
        const qsizetype e = ifd + 2 + 12 * k;
        if (e + 12 > d.size())
            return false;
        const std::uint32_t tag = u16(e), type = u16(e + 2);
        const int value = int(type == 3 ? u16(e + 8) : u32(e + 8));   // SHORT or LONG
        if (tag == 256)
            h->width = value;
        else if (tag == 257)
            h->height = value;
    }
    return h->width > 0 && h->height > 0;
}

Header sniff(const QByteArray &d)
{
    Header h;
    const auto *p = reinterpret_cast<const uchar *>(d.constData());
    const qsizetype n = d.size();
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) {
        h.format = Format::Jpeg;
        jpegSize(d, &h);
    } else if (n >= 8 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
        h.format = Format::Png;
        if (n >= 24) {
            h.width = int(be32(p + 16));
            h.height = int(be32(p + 20));
        }
    } else if (n >= 10 && (std::memcmp(p, "GIF87a", 6) == 0 || std::memcmp(p, "GIF89a", 6) == 0)) {
        h.format = Format::Gif;
        h.width = int(le16(p + 6));
        h.height = int(le16(p + 8));
    } else if (n >= 26 && p[0] == 'B' && p[1] == 'M') {
        h.format = Format::Bmp;
        h.width = std::abs(int(le32(p + 18)));
        h.height = std::abs(int(le32(p + 22)));
    } else if (n >= 30 && std::memcmp(p, "RIFF", 4) == 0 && std::memcmp(p + 8, "WEBP", 4) == 0) {
        h.format = Format::WebP;
        if (std::memcmp(p + 12, "VP8X", 4) == 0) {
            h.width = int((le32(p + 24) & 0xFFFFFF) + 1);
            h.height = int((le32(p + 27) & 0xFFFFFF) + 1);
        } else if (std::memcmp(p + 12, "VP8L", 4) == 0) {
            const std::uint32_t bits = le32(p + 21);
            h.width = int((bits & 0x3FFF) + 1);
            h.height = int(((bits >> 14) & 0x3FFF) + 1);
        } else if (std::memcmp(p + 12, "VP8 ", 4) == 0) {
            h.width = int(le16(p + 26) & 0x3FFF);
            h.height = int(le16(p + 28) & 0x3FFF);
        }
    } else if (n >= 8 && (std::memcmp(p, "II*\0", 4) == 0 || std::memcmp(p, "MM\0*", 4) == 0)) {
        h.format = Format::Tiff;
        tiffSize(d, &h);
    }
    return h;
}

// BMP and WebP headers state the file size (BMP: bfSize; WebP: RIFF chunk size + 8).
bool sizeComplete(const QByteArray &d, Format f)
{
    const auto *p = reinterpret_cast<const uchar *>(d.constData());
    if (f == Format::Bmp)
        return d.size() >= qsizetype(le32(p + 2));
    if (f == Format::WebP)
        return d.size() >= qsizetype(le32(p + 4)) + 8;
    return true;
}

bool pngComplete(const QByteArray &d)
{
    // The IEND chunk closes every PNG; allow trailing bytes after it.
    return d.lastIndexOf(QByteArrayView("IEND\xAE\x42\x60\x82", 8)) >= 0;
}

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

const char *formatName(Format f)
{
    switch (f) {
    case Format::Jpeg: return "JPEG";
    case Format::Png: return "PNG";
    case Format::Gif: return "GIF";
    case Format::Bmp: return "BMP";
    case Format::WebP: return "WebP";
    case Format::Tiff: return "TIFF";
    case Format::Unknown: break;
    }
    return "image";
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
std::pair<int, int> jpegScale(const Header &h, int minShortSide)
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

}  // namespace

DecodedImage decodeImageFile(const QString &path, const DecodeOptions &options)
{
    QByteArray data;
    if (DecodedImage r = readWholeFile(path, &data); !r.ok())
        return r;
    const Header h = sniff(data);
    if (h.format == Format::Unknown)
        return failed(DecodeFailure::NotAnImage, u"not an image (unrecognised content)"_qs);
    const char *fmt = formatName(h.format);
    if (h.width <= 0 || h.height <= 0)
        return failed(DecodeFailure::Truncated, u"truncated %1 header"_qs.arg(QLatin1String(fmt)));
    const std::int64_t pixels = std::int64_t(h.width) * h.height;
    if (pixels > options.maxPixels)
        return failed(DecodeFailure::TooLarge, u"too large: %1 x %2 = %3 MP (limit %4 MP)"_qs.arg(h.width)
                          .arg(h.height).arg(double(pixels) / 1e6, 0, 'f', 1).arg(double(options.maxPixels) / 1e6));
    if ((h.format == Format::Jpeg && !jpegComplete(data)) || (h.format == Format::Png && !pngComplete(data))
        || !sizeComplete(data, h.format))
        return failed(DecodeFailure::Truncated, u"truncated %1 data"_qs.arg(QLatin1String(fmt)));

    DecodedImage r;
    r.fileWidth = h.width;
    r.fileHeight = h.height;
    if (h.format == Format::Gif) {
        r.image = decodeWithQt(data);
        if (r.image.isNull())
            return failed(DecodeFailure::Corrupt, u"corrupt GIF data"_qs);
        return r;
    }
    int flags = cv::IMREAD_UNCHANGED;   // keeps alpha and 16-bit; no EXIF orientation
    if (h.format == Format::Jpeg)
        std::tie(r.reduction, flags) = jpegScale(h, options.minShortSide);
    cv::Mat raw;
    try {
        const cv::Mat buffer(1, int(data.size()), CV_8U, const_cast<char *>(data.constData()));
        raw = cv::imdecode(buffer, flags);
    } catch (const cv::Exception &e) {
        return failed(DecodeFailure::Corrupt, u"corrupt %1 data (%2)"_qs.arg(QLatin1String(fmt), QString::fromStdString(e.msg)));
    }
    if (raw.empty())
        return failed(DecodeFailure::Corrupt, u"corrupt or unsupported %1 data"_qs.arg(QLatin1String(fmt)));
    const cv::Mat rgb = toRgb8(raw);
    if (rgb.empty())
        return failed(DecodeFailure::Corrupt, u"unsupported %1 layout (%2 channels)"_qs.arg(QLatin1String(fmt)).arg(raw.channels()));
    r.image = detail::fromMat(rgb);
    return r;
}

}  // namespace cospace
