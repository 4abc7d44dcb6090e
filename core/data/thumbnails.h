#pragma once
// Thumbnails shared with the desktop: the freedesktop.org Thumbnail Managing Standard (0.9).
//
// For an image file, a thumbnail is $XDG_CACHE_HOME/thumbnails/{normal,large,x-large,xx-large}/
// MD5(URI).png (128, 256, 512, 1024 px on the longer side), where URI is the file's absolute
// canonical path as a file:// URI. It is valid while its tEXt chunks say Thumb::URI = that URI
// and Thumb::MTime = the file's modification time in whole seconds. loadThumbnail() reads the
// smallest valid flavour at least as large as asked (file managers made most of them already),
// otherwise makes one from the image and writes it — PNG with Thumb::URI, Thumb::MTime,
// Thumb::Size, Thumb::Mimetype, Thumb::Image::Width / Height and Software in tEXt chunks,
// permissions 0600, written under a temporary name in the same folder and renamed (atomic).
// Images no file manager can see get Cospace's own cache instead, cacheDir()/thumbnails/
// (core/base/paths.h): shard members ("SHARD#KEY", shards.h), keyed by the item path with the
// member's size and mtime, and images smaller than the flavour are used as they are (the standard
// does not ask for thumbnails larger than their image).
//
// Images are read with Qt's readers where they can (JPEG at a reduced DCT scale, PNG, WebP,
// TIFF, BMP, GIF, alpha kept) and otherwise with decodeImageData() (HEIC, AVIF, anything inside a
// shard; alpha on white). EXIF orientation is applied. Pixel limits: limits().maxImagePixels.
//
// Thread-safe; does file I/O: call it from worker threads (the map's thumbnail pool).

#include <QImage>
#include <QString>

namespace cospace {

enum class ThumbnailOrigin {
    Failed,        // the image could not be read: a null QImage
    SharedCache,   // a valid thumbnail from ~/.cache/thumbnails (made by Cospace or a file manager)
    OwnCache,      // from Cospace's cache (shard members)
    Made,          // decoded from the image now (and written to a cache when one applies)
};

struct ThumbnailOptions {
    int size = 128;               // wanted longer side: the flavour is the first of 128, 256, 512, 1024 >= size
    bool write = true;            // write the thumbnails made (the shared or own cache)
    QString sharedRoot;           // the shared "thumbnails" folder; empty: $XDG_CACHE_HOME/thumbnails
    QString ownRoot;              // Cospace's folder; empty: cacheDir()/thumbnails
};

struct Thumbnail {
    QImage image;                 // longer side <= the flavour's size; ARGB32 or RGB32
    ThumbnailOrigin origin = ThumbnailOrigin::Failed;
    QString error;                // why it failed
};

Thumbnail loadThumbnail(const QString &path, const ThumbnailOptions &options = {});

// The pieces of the standard, for tests and tools.
QString thumbnailUri(const QString &path);   // file:///abs/canonical%20path.jpg
QString sharedThumbnailPath(const QString &uri, int flavourSize, const QString &sharedRoot = {});
int thumbnailFlavour(int size);              // 128, 256, 512 or 1024
// A PNG with these tEXt chunks (keys Latin-1, values Latin-1), as the standard asks.
QByteArray pngWithText(const QImage &image, const QList<QPair<QByteArray, QByteArray>> &text);
// The tEXt chunks of a PNG (before its image data), key -> value.
QList<QPair<QByteArray, QByteArray>> pngTextChunks(const QByteArray &png);

}  // namespace cospace
