#include "ui/widgets/thumbnailicon.h"

#include <QGuiApplication>
#include <QPixmap>

namespace cospace {

QIcon thumbnailIcon(const QString &path, int side)
{
    QPixmap pixmap;
    if (!pixmap.load(path))
        return {};
    const qreal dpr = qApp->devicePixelRatio();
    QPixmap scaled = pixmap.scaled(QSize(side, side) * dpr, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    scaled.setDevicePixelRatio(dpr);
    return QIcon(scaled);
}

}  // namespace cospace
