#include "core/data/thumbnails.h"

#include "core/data/imagedecode.h"
#include "core/data/shards.h"
#include "core/base/limits.h"
#include "core/base/paths.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QStandardPaths>
#include <QTemporaryFile>
#include <QUrl>

#include <zlib.h>

#include <cstdio>

namespace cospace {

namespace {

constexpr int kFlavours[] = {128, 256, 512, 1024};
constexpr qint64 kMaxThumbnailFileBytes = qint64(32) << 20;

const char *flavourFolder(int size)
{
    switch (size) {
    case 128: return "normal";
    case 256: return "large";
    case 512: return "x-large";
    default: return "xx-large";
    }
}

QString md5Hex(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Md5).toHex());
}

QString sharedRootOf(const ThumbnailOptions &o)
{
    return o.sharedRoot.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) + u"/thumbnails"_qs
                                  : o.sharedRoot;
}

QString ownRootOf(const ThumbnailOptions &o)
{
    return o.ownRoot.isEmpty() ? paths::cacheDir() + u"/thumbnails"_qs : o.ownRoot;
}

QImage fitInto(const QImage &image, int size)
{
    if (image.width() <= size && image.height() <= size)
        return image;
    return image.scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

// A PNG whose chunks all lie inside the file, up to IEND. libpng trusts a chunk's declared length
// and allocates it before reading (fuzz_thumbnail: a 250-byte file declaring a 1.2 GB tEXt chunk
// took 12 s), so a thumbnail some other program wrote is walked first.
bool pngChunksFit(const QByteArray &png)
{
    static const QByteArray signature("\x89PNG\r\n\x1a\n", 8);
    if (!png.startsWith(signature))
        return false;
    const auto *p = reinterpret_cast<const unsigned char *>(png.constData());
    for (qsizetype i = 8; i + 12 <= png.size();) {
        const qint64 length = qint64(quint32(p[i]) << 24 | quint32(p[i + 1]) << 16 | quint32(p[i + 2]) << 8 | p[i + 3]);
        if (length > png.size() - i - 12)
            return false;
        if (png.mid(i + 4, 4) == "IEND")
            return true;
        i += 12 + qsizetype(length);
    }
    return false;
}

// A thumbnail file that still describes the image: Thumb::URI and Thumb::MTime match (the own
// cache passes an empty uri: its file name already holds the size and mtime).
QImage readValid(const QString &file, const QString &uri, qint64 mtimeSeconds)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly) || f.size() > kMaxThumbnailFileBytes)
        return {};
    const QByteArray bytes = f.readAll();
    QImage image;
    if (!pngChunksFit(bytes) || !image.loadFromData(bytes, "PNG"))
        return {};
    if (!uri.isEmpty() && (image.text(u"Thumb::URI"_qs) != uri
                           || image.text(u"Thumb::MTime"_qs) != QString::number(mtimeSeconds)))
        return {};
    return image;
}

// Under a temporary name in the same folder, then renamed: a reader never sees half a file.
bool writeAtomically(const QString &file, const QByteArray &bytes)
{
    const QString dir = QFileInfo(file).absolutePath();
    if (!QDir().mkpath(dir))
        return false;
    QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QTemporaryFile temporary(dir + u"/.cospace-XXXXXX.png"_qs);
    if (!temporary.open() || temporary.write(bytes) != bytes.size() || !temporary.flush())
        return false;
    temporary.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (std::rename(QFile::encodeName(temporary.fileName()).constData(), QFile::encodeName(file).constData()) != 0)
        return false;
    temporary.setAutoRemove(false);   // it is the thumbnail now
    return true;
}

struct Source {
    QImage image;
    QSize original;   // the image's stored size
    QString mime;
    QString error;
};

// Qt's readers first (they keep alpha and decode JPEG at a reduced DCT scale), then ours.
Source decodeScaled(QIODevice *device, const QByteArray *bytes, const QString &path, int size)
{
    Source s;
    QImageReader reader(device);
    reader.setAutoTransform(true);
    const std::int64_t maxPixels = limits().maxImagePixels;
    const QSize stored = reader.size();
    if (reader.canRead() && stored.isValid()) {
        if (std::int64_t(stored.width()) * stored.height() > maxPixels) {
            s.error = u"too large: %1 x %2"_qs.arg(stored.width()).arg(stored.height());
            return s;
        }
        if (stored.width() > size || stored.height() > size)
            reader.setScaledSize(stored.scaled(size, size, Qt::KeepAspectRatio));
        s.mime = u"image/"_qs + QString::fromLatin1(reader.format());
        s.image = reader.read();
        s.original = stored;
        if (!s.image.isNull())
            return s;
    }
    DecodeOptions options;
    options.minShortSide = size;
    const DecodedImage d = bytes ? decodeImageData(*bytes, options) : decodeImageFile(path, options);
    if (!d.ok()) {
        s.error = d.reason;
        return s;
    }
    const QImage rgb(d.image.pixels.data(), d.image.width, d.image.height, d.image.width * 3, QImage::Format_RGB888);
    s.image = rgb.copy();
    s.original = QSize(d.fileWidth, d.fileHeight);
    return s;
}

QImage finish(const QImage &image, int size)
{
    QImage out = fitInto(image, size);
    return out.hasAlphaChannel() ? out.convertToFormat(QImage::Format_ARGB32) : out.convertToFormat(QImage::Format_RGB32);
}

Thumbnail fromShard(const QString &item, int flavour, const ThumbnailOptions &options)
{
    Thumbnail t;
    qint64 size = 0, mtime = 0;
    if (!shardItemState(item, &size, &mtime)) {
        t.error = u"not an image of a known shard"_qs;
        return t;
    }
    const QString cached = ownRootOf(options) + u'/' + QLatin1String(flavourFolder(flavour)) + u'/'
                           + md5Hex((item + u'\n' + QString::number(size) + u'\n' + QString::number(mtime)).toUtf8()) + u".png"_qs;
    if (QImage image = readValid(cached, {}, 0); !image.isNull())
        return {finish(image, flavour), ThumbnailOrigin::OwnCache, {}};
    QByteArray bytes = readShardImage(item, &t.error);
    if (bytes.isEmpty())
        return t;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    const Source s = decodeScaled(&buffer, &bytes, item, flavour);
    if (s.image.isNull()) {
        t.error = s.error;
        return t;
    }
    t.image = finish(s.image, flavour);
    t.origin = ThumbnailOrigin::Made;
    if (options.write)
        writeAtomically(cached, pngWithText(t.image, {{"Thumb::URI", item.toUtf8()}, {"Software", "Cospace " COSPACE_VERSION}}));
    return t;
}

}  // namespace

int thumbnailFlavour(int size)
{
    for (int f : kFlavours)
        if (size <= f)
            return f;
    return kFlavours[std::size(kFlavours) - 1];
}

QString thumbnailUri(const QString &path)
{
    const QFileInfo info(path);
    const QString canonical = info.canonicalFilePath();
    return QString::fromLatin1(QUrl::fromLocalFile(canonical.isEmpty() ? info.absoluteFilePath() : canonical).toEncoded());
}

QString sharedThumbnailPath(const QString &uri, int flavourSize, const QString &sharedRoot)
{
    ThumbnailOptions o;
    o.sharedRoot = sharedRoot;
    return sharedRootOf(o) + u'/' + QLatin1String(flavourFolder(thumbnailFlavour(flavourSize))) + u'/' + md5Hex(uri.toUtf8())
           + u".png"_qs;
}

Thumbnail loadThumbnail(const QString &path, const ThumbnailOptions &options)
{
    const int flavour = thumbnailFlavour(options.size);
    QString shard, key;
    if (splitShardItem(path, &shard, &key))
        return fromShard(path, flavour, options);
    Thumbnail t;
    const QFileInfo info(path);
    if (!info.isFile()) {
        t.error = u"no such file"_qs;
        return t;
    }
    const QString uri = thumbnailUri(path);
    const qint64 mtime = info.lastModified().toSecsSinceEpoch();
    const QString root = sharedRootOf(options);
    // The smallest valid flavour at least as large as asked: file managers often made "large" only.
    for (int f : kFlavours) {
        if (f < flavour)
            continue;
        if (QImage image = readValid(sharedThumbnailPath(uri, f, root), uri, mtime); !image.isNull())
            return {finish(image, flavour), ThumbnailOrigin::SharedCache, {}};
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        t.error = file.errorString();
        return t;
    }
    const Source s = decodeScaled(&file, nullptr, path, flavour);
    if (s.image.isNull()) {
        t.error = s.error;
        return t;
    }
    t.image = finish(s.image, flavour);
    t.origin = ThumbnailOrigin::Made;
    // Images no larger than the flavour are their own thumbnail (the standard asks for none), and
    // the cache's own files are never thumbnailed.
    const bool small = s.original.width() <= flavour && s.original.height() <= flavour;
    if (options.write && !small && !info.absoluteFilePath().startsWith(root + u'/')) {
        QList<QPair<QByteArray, QByteArray>> text{{"Thumb::URI", uri.toLatin1()},
                                                  {"Thumb::MTime", QByteArray::number(mtime)},
                                                  {"Thumb::Size", QByteArray::number(info.size())},
                                                  {"Thumb::Image::Width", QByteArray::number(s.original.width())},
                                                  {"Thumb::Image::Height", QByteArray::number(s.original.height())},
                                                  {"Software", "Cospace " COSPACE_VERSION}};
        if (!s.mime.isEmpty())
            text.append({"Thumb::Mimetype", s.mime.toLatin1()});
        writeAtomically(sharedThumbnailPath(uri, flavour, root), pngWithText(t.image, text));
    }
    return t;
}

QByteArray pngWithText(const QImage &image, const QList<QPair<QByteArray, QByteArray>> &text)
{
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    if (!image.save(&buffer, "PNG") || png.size() < 33 || png.mid(12, 4) != "IHDR")
        return {};
    // tEXt chunks right after IHDR (Qt would write long values as zTXt): length, type, key NUL
    // value, CRC-32 of type and data.
    QByteArray chunks;
    for (const auto &[key, value] : text) {
        const QByteArray data = "tEXt" + key.left(79) + '\0' + value;
        const quint32 length = quint32(data.size() - 4);
        const quint32 crc = quint32(crc32(0, reinterpret_cast<const Bytef *>(data.constData()), uInt(data.size())));
        for (int shift = 24; shift >= 0; shift -= 8)
            chunks += char((length >> shift) & 0xFF);
        chunks += data;
        for (int shift = 24; shift >= 0; shift -= 8)
            chunks += char((crc >> shift) & 0xFF);
    }
    return png.left(33) + chunks + png.mid(33);
}

QList<QPair<QByteArray, QByteArray>> pngTextChunks(const QByteArray &png)
{
    QList<QPair<QByteArray, QByteArray>> out;
    const auto *p = reinterpret_cast<const unsigned char *>(png.constData());
    for (qsizetype i = 8; i + 12 <= png.size();) {
        const qsizetype length = qsizetype(quint32(p[i]) << 24 | quint32(p[i + 1]) << 16 | quint32(p[i + 2]) << 8 | p[i + 3]);
        if (length > png.size() - i - 12)
            break;
        const QByteArray type = png.mid(i + 4, 4);
        if (type == "IDAT" || type == "IEND")
            break;
        if (type == "tEXt") {
            const QByteArray data = png.mid(i + 8, length);
            const qsizetype nul = data.indexOf('\0');
            if (nul > 0)
                out.append({data.left(nul), data.mid(nul + 1)});
        }
        i += 12 + length;
    }
    return out;
}

}  // namespace cospace
