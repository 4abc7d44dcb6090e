#pragma once
// The map's colourings: by modality (the default), by folder, by cluster (k-means on the 2-D
// layout) and by similarity to the current query (a ramp). Pure functions of their inputs: all are
// reentrant and may run on any thread (the window computes clusters on the thread pool).

#include "core/base/names.h"
#include "ui/map/mapview.h"

#include <QColor>
#include <QList>
#include <QStringList>

namespace cospace {

enum class ColourBy { Modality, Folder, Cluster, Similarity };

// Stable names for workspace files, settings and --colour-by: modality, folder, cluster, similarity.
inline constexpr EnumNames<ColourBy, 4> kColourByNames{{{{ColourBy::Modality, "modality"},
                                                          {ColourBy::Folder, "folder"},
                                                          {ColourBy::Cluster, "cluster"},
                                                          {ColourBy::Similarity, "similarity"}}}};
QString colourByKey(ColourBy by);
ColourBy colourByFromKey(const QString &key);   // unknown or empty (a workspace without it) -> Modality

// Distinct colours for categories (Tableau 10, then lighter variants); wraps after 20.
QColor categoryColour(int index);

// Images coloured by the workspace folder they lie under (or their parent folder if none);
// captions take their image's colour, captions without one a neutral grey ("typed / unpaired").
MapColouring colourByFolder(const QList<MapPoint> &points, const QStringList &folders);

// k-means (k-means++ seeding, Lloyd iterations) on the points' 2-D positions; deterministic for a
// seed. k = 0 picks k from N (between 2 and 10). Fewer than 2 points: every point in cluster 1.
QList<int> kMeans2D(const QList<QPointF> &positions, int k, quint64 seed = 1, int maxIterations = 60);
MapColouring colourByCluster(const QList<MapPoint> &points, int k = 0, quint64 seed = 1);

// A ramp (viridis) from the lowest to the highest score; `scores` has one value per point.
MapColouring colourBySimilarity(const QList<float> &scores, const QString &query);

}  // namespace cospace
