#pragma once
// Map points as files: what `cospace-cli layout` writes and the Selection panel exports.
//
// CSV (RFC 4180, CRLF line ends, UTF-8): a header `KIND,path,caption,x,y` (KIND is the first
// column's name: "kind" for layouts, "modality" for selections), then one row per point: "image"
// or "caption", the image path (a paired caption: the image it describes, else empty), the caption
// text (images: empty), map x and y (9 significant digits).
// npy: an N x 2 float32 array of the map positions, and beside it (same base name, .tsv) one line
// per row: `kind<TAB>path<TAB>caption` under that header; tabs and newlines in captions become spaces.

#include "core/explorer/mappoint.h"

#include <QList>
#include <QString>

namespace cospace {

// `indices` empty = every point.
QString mapPointsCsv(const QList<MapPoint> &points, const QList<int> &indices = {},
                     const QString &kindColumn = QStringLiteral("kind"));

// Writes OUT.csv or OUT.npy (+ OUT.tsv), by the extension; each file atomically (temp + rename).
// Throws std::runtime_error naming the file when it cannot be written or the extension is neither.
void writeMapPoints(const QString &path, const QList<MapPoint> &points);

}  // namespace cospace
