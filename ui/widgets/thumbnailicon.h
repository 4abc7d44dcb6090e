#pragma once
// An image (a file, or a shard member "SHARD#KEY") as a list icon, scaled for the screen's device
// pixels (sharp on HiDPI displays), through core/data/thumbnails.h (the shared thumbnail cache).
// A null icon when the image cannot be read. GUI thread.

#include <QIcon>
#include <QString>

namespace cospace {

QIcon thumbnailIcon(const QString &path, int side);

}  // namespace cospace
