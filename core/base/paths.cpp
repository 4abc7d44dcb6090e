#include "core/base/paths.h"

#include <QDir>
#include <QStandardPaths>

namespace cospace::paths {

namespace {
QString ensure(QStandardPaths::StandardLocation location)
{
    const QString dir = QStandardPaths::writableLocation(location) + u"/cospace"_qs;
    QDir().mkpath(dir);
    return dir;
}
}  // namespace

QString dataDir() { return ensure(QStandardPaths::GenericDataLocation); }
QString cacheDir() { return ensure(QStandardPaths::GenericCacheLocation); }
QString defaultStorePath() { return dataDir() + u"/cospace.db"_qs; }

}  // namespace cospace::paths
