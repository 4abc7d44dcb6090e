#include "core/data/imageheader_p.h"

#include <QByteArrayView>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace cospace::detail {

namespace {

using uchar = unsigned char;

std::uint32_t be16(const uchar *p) { return std::uint32_t(p[0]) << 8 | p[1]; }
std::uint32_t be32(const uchar *p) { return be16(p) << 16 | be16(p + 2); }
std::uint32_t le16(const uchar *p) { return std::uint32_t(p[1]) << 8 | p[0]; }
std::uint32_t le32(const uchar *p) { return le16(p + 2) << 16 | le16(p); }

const uchar *bytes(const QByteArray &d) { return reinterpret_cast<const uchar *>(d.constData()); }

// The JPEG frame size from the first SOFn marker. Segments are walked by their lengths.
bool jpegSize(const QByteArray &d, ImageHeader *h)
{
    const uchar *p = bytes(d);
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
    const uchar *p = bytes(d);
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

// A TIFF structure (a TIFF file, or the payload of an EXIF block): IFD0's entries by tag.
struct TiffReader {
    const uchar *p;
    qsizetype n;
    bool le;
    static bool open(const uchar *p, qsizetype n, TiffReader *out)
    {
        if (n < 8 || !((p[0] == 'I' && p[1] == 'I') || (p[0] == 'M' && p[1] == 'M')))
            return false;
        *out = {p, n, p[0] == 'I'};
        return true;
    }
    std::uint32_t u16(qsizetype o) const { return le ? le16(p + o) : be16(p + o); }
    std::uint32_t u32(qsizetype o) const { return le ? le32(p + o) : be32(p + o); }
    // Calls f(tag, value) for each SHORT or LONG entry of IFD0.
    template <typename F>
    void forEachEntry(F f) const
    {
        const qsizetype ifd = u32(4);
        if (ifd < 8 || ifd + 2 > n)
            return;
        const int count = int(u16(ifd));
        for (int k = 0; k < count; ++k) {
            const qsizetype e = ifd + 2 + 12 * qsizetype(k);
            if (e + 12 > n)
                return;
            const std::uint32_t type = u16(e + 2);
            if (type == 3 || type == 4)   // SHORT or LONG
                f(u16(e), type == 3 ? u16(e + 8) : u32(e + 8));
        }
    }
};

bool tiffSize(const QByteArray &d, ImageHeader *h)
{
    TiffReader tiff;
    if (!TiffReader::open(bytes(d), d.size(), &tiff))
        return false;
    tiff.forEachEntry([&](std::uint32_t tag, std::uint32_t value) {
        if (tag == 256)
            h->width = int(std::min<std::uint32_t>(value, 1u << 30));
        else if (tag == 257)
            h->height = int(std::min<std::uint32_t>(value, 1u << 30));
    });
    return h->width > 0 && h->height > 0;
}

int tiffOrientation(const uchar *p, qsizetype n)
{
    TiffReader tiff;
    if (!TiffReader::open(p, n, &tiff))
        return 1;
    int orientation = 1;
    tiff.forEachEntry([&](std::uint32_t tag, std::uint32_t value) {
        if (tag == 274 && value >= 1 && value <= 8)
            orientation = int(value);
    });
    return orientation;
}

// An EXIF payload as PNG and WebP store it: TIFF structure, sometimes after "Exif\0\0".
int exifPayloadOrientation(const uchar *p, qsizetype n)
{
    if (n >= 6 && std::memcmp(p, "Exif\0\0", 6) == 0) {
        p += 6;
        n -= 6;
    }
    return tiffOrientation(p, n);
}

int pngOrientation(const QByteArray &d)
{
    const uchar *p = bytes(d);
    for (qsizetype i = 8; i + 12 <= d.size();) {
        const qsizetype len = be32(p + i);
        if (len > d.size() - i - 12)
            return 1;
        if (std::memcmp(p + i + 4, "eXIf", 4) == 0)
            return exifPayloadOrientation(p + i + 8, len);
        if (std::memcmp(p + i + 4, "IEND", 4) == 0)
            return 1;
        i += 12 + len;
    }
    return 1;
}

int webpOrientation(const QByteArray &d)
{
    const uchar *p = bytes(d);
    for (qsizetype i = 12; i + 8 <= d.size();) {
        const qsizetype len = le32(p + i + 4);
        if (len > d.size() - i - 8)
            return 1;
        if (std::memcmp(p + i, "EXIF", 4) == 0)
            return exifPayloadOrientation(p + i + 8, len);
        i += 8 + len + (len & 1);   // chunks are padded to an even size
    }
    return 1;
}

// HEIF and AVIF are ISO base media files: an 'ftyp' box whose brands say what the file holds.
ImageFormat isoBrand(const QByteArray &d)
{
    const uchar *p = bytes(d);
    if (d.size() < 16 || std::memcmp(p + 4, "ftyp", 4) != 0)
        return ImageFormat::Unknown;
    const qsizetype end = std::min<qsizetype>(d.size(), be32(p));
    bool heif = false;
    for (qsizetype i = 8; i + 4 <= end; i += 4) {
        if (i == 12)
            continue;   // minor version, not a brand
        const QByteArrayView brand(reinterpret_cast<const char *>(p + i), 4);
        if (brand == "avif" || brand == "avis")
            return ImageFormat::Avif;
        if (brand == "heic" || brand == "heix" || brand == "heim" || brand == "heis" || brand == "hevc"
            || brand == "hevx" || brand == "mif1" || brand == "msf1" || brand == "mif2")
            heif = true;
    }
    return heif ? ImageFormat::Heif : ImageFormat::Unknown;
}

// Top-level boxes must fit the file: a cut HEIC ends inside its 'mdat' (or earlier).
bool isoComplete(const QByteArray &d)
{
    const uchar *p = bytes(d);
    const qsizetype n = d.size();
    qsizetype i = 0;
    while (i < n) {
        if (n - i < 8)
            return false;
        std::uint64_t size = be32(p + i);
        if (size == 0)
            return true;                     // the last box runs to the end of the file
        if (size == 1) {
            if (n - i < 16)
                return false;
            size = std::uint64_t(be32(p + i + 8)) << 32 | be32(p + i + 12);
        }
        if (size < 8)
            return true;                     // malformed, not cut: libheif names the problem
        if (size > std::uint64_t(n - i))
            return false;
        i += qsizetype(size);
    }
    return true;
}

}  // namespace

ImageHeader sniffImage(const QByteArray &d)
{
    ImageHeader h;
    const uchar *p = bytes(d);
    const qsizetype n = d.size();
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) {
        h.format = ImageFormat::Jpeg;
        jpegSize(d, &h);
    } else if (n >= 8 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
        h.format = ImageFormat::Png;
        if (n >= 24) {
            h.width = int(std::min<std::uint32_t>(be32(p + 16), 1u << 30));
            h.height = int(std::min<std::uint32_t>(be32(p + 20), 1u << 30));
        }
    } else if (n >= 10 && (std::memcmp(p, "GIF87a", 6) == 0 || std::memcmp(p, "GIF89a", 6) == 0)) {
        h.format = ImageFormat::Gif;
        h.width = int(le16(p + 6));
        h.height = int(le16(p + 8));
    } else if (n >= 26 && p[0] == 'B' && p[1] == 'M') {
        h.format = ImageFormat::Bmp;
        // Height is negative for top-down bitmaps; INT32_MIN must not overflow std::abs.
        h.width = int(std::min<std::int64_t>(std::llabs(std::int64_t(std::int32_t(le32(p + 18)))), 1 << 30));
        h.height = int(std::min<std::int64_t>(std::llabs(std::int64_t(std::int32_t(le32(p + 22)))), 1 << 30));
    } else if (n >= 30 && std::memcmp(p, "RIFF", 4) == 0 && std::memcmp(p + 8, "WEBP", 4) == 0) {
        h.format = ImageFormat::WebP;
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
        h.format = ImageFormat::Tiff;
        tiffSize(d, &h);
    } else {
        h.format = isoBrand(d);
    }
    return h;
}

bool imageComplete(const QByteArray &d, ImageFormat format)
{
    const uchar *p = bytes(d);
    switch (format) {
    case ImageFormat::Jpeg: return jpegComplete(d);
    // The IEND chunk closes every PNG; allow trailing bytes after it.
    case ImageFormat::Png: return d.lastIndexOf(QByteArrayView("IEND\xAE\x42\x60\x82", 8)) >= 0;
    // BMP and WebP headers state the file size (BMP: bfSize; WebP: RIFF chunk size + 8).
    case ImageFormat::Bmp: return d.size() >= qsizetype(le32(p + 2));
    case ImageFormat::WebP: return d.size() >= qsizetype(le32(p + 4)) + 8;
    case ImageFormat::Heif:
    case ImageFormat::Avif: return isoComplete(d);
    case ImageFormat::Gif:
    case ImageFormat::Tiff:
    case ImageFormat::Unknown: break;
    }
    return true;
}

int exifOrientation(const QByteArray &d, ImageFormat format)
{
    switch (format) {
    case ImageFormat::Png: return pngOrientation(d);
    case ImageFormat::WebP: return webpOrientation(d);
    case ImageFormat::Tiff: return tiffOrientation(bytes(d), d.size());
    default: return 1;
    }
}

const char *imageFormatName(ImageFormat f)
{
    switch (f) {
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Gif: return "GIF";
    case ImageFormat::Bmp: return "BMP";
    case ImageFormat::WebP: return "WebP";
    case ImageFormat::Tiff: return "TIFF";
    case ImageFormat::Heif: return "HEIC";
    case ImageFormat::Avif: return "AVIF";
    case ImageFormat::Unknown: break;
    }
    return "image";
}

}  // namespace cospace::detail
