#pragma once
// Where Cospace keeps things (XDG base directories via QStandardPaths):
//   data   ~/.local/share/cospace   stores, demo datasets
//   cache  ~/.cache/cospace         npm tarballs, thumbnails
// Each function creates the folder if needed and returns its absolute path.

#include <QString>

namespace cospace::paths {

QString dataDir();
QString cacheDir();
QString defaultStorePath();   // dataDir()/cospace.db

}  // namespace cospace::paths
