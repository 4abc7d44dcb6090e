#pragma once
// Clusters of images in the embedding space (not on the 2-D map): spherical k-means (cosine; k-means++
// seeding, Lloyd iterations on unit centroids), with k chosen by the silhouette (cosine distance) on
// a fixed sample when not given. What `cospace-cli clusters` and the Clusters panel use; labels come
// from clusterlabels.h.
//
// Deterministic for a seed (ties go to the lower cluster). Pure; thread-safe. Blocks, with progress
// and cancel through `job` (one step per k tried, one for assigning all rows
// after a sampled auto choice). Throws std::invalid_argument for k < 1.

#include "core/base/matrix.h"

#include <QList>
#include <QPair>

#include <cstdint>
#include <vector>

namespace cospace {

class JobControl;

inline constexpr int kAutoClusterMax = 20;          // auto: k in [2, min(20, sqrt(N / 2))]
inline constexpr int kSilhouetteSample = 2000;      // rows the silhouette is computed on (O(n^2))
// Auto on more rows than this: k-means and the silhouette choose k on this many rows drawn at random
// (seeded), then every row joins its nearest centroid (19 k-means over a million rows took minutes; the
// silhouette only ever saw 2,000 rows anyway).
inline constexpr int kAutoClusterSample = 20000;

struct ClusterParams {
    int k = 0;                   // 0 = auto (silhouette)
    int kMax = kAutoClusterMax;  // auto: the largest k tried
    std::uint64_t seed = 1;
    int iterations = 50;
    int silhouetteSample = kSilhouetteSample;
    int autoSample = kAutoClusterSample;
};

struct Clustering {
    int k = 0;
    std::vector<int> assignment;                  // row -> cluster, 0..k-1; clusters ordered largest first
    Matrix centroids;                             // k x D, unit rows (mean direction of the members)
    double silhouette = 0;                        // of the chosen k (0 for k = 1)
    QList<QPair<int, double>> silhouetteByK;      // auto: every k tried
};

std::vector<int> sphericalKMeans(MatrixView unit, int k, std::uint64_t seed, int iterations,
                                 Matrix *centroids = nullptr);
// Mean silhouette with cosine distance over at most `sample` rows (evenly spaced), in [-1, 1].
double silhouetteScore(MatrixView unit, const std::vector<int> &assignment, int sample = kSilhouetteSample);

Clustering clusterEmbeddings(MatrixView unit, const ClusterParams &params = {}, JobControl *job = nullptr);

}  // namespace cospace
