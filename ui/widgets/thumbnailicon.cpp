#include "ui/widgets/thumbnailicon.h"

#include "core/data/thumbnails.h"

#include <QGuiApplication>
#include <QPixmap>

namespace cospace {

QIcon thumbnailIcon(const QString &path, int side)
{
    // Through the thumbnail cache: HEIC, AVIF and shard members too, and the desktop's thumbnails.
    const qreal dpr = qApp->devicePixelRatio();
    ThumbnailOptions options;
    options.size = int(side * dpr);
    const QPixmap pixmap = QPixmap::fromImage(loadThumbnail(path, options).image);
    if (pixmap.isNull())
        return {};
    QPixmap scaled = pixmap.scaled(QSize(side, side) * dpr, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    scaled.setDevicePixelRatio(dpr);
    return QIcon(scaled);
}

}  // namespace cospace
