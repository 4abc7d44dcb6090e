#pragma once
// An image file as a list icon, scaled for the screen's device pixels (sharp on HiDPI displays).
// A null icon when the file cannot be read. GUI thread.

#include <QIcon>
#include <QString>

namespace cospace {

QIcon thumbnailIcon(const QString &path, int side);

}  // namespace cospace
