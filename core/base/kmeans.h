#pragma once
// Spherical k-means (cosine Lloyd iterations on unit rows), shared by the clustered kNN of the
// projections (projection/knn.cpp) and the inverted-file search index (search/ivfindex.h).

#include "core/base/matrix.h"
#include "core/base/rng.h"

namespace cospace {

// `clusters` unit centroids of the unit rows of `sample` (clusters <= sample.rows): the initial
// centroids are rows c * n / clusters (pass a shuffled sample), then `iterations` Lloyd steps; a
// centroid left without members restarts at a row drawn from `rng`. Assignment runs on `threads`
// threads; centroids are summed serially in double, so the result does not depend on the thread count.
Matrix sphericalKmeans(const Matrix &sample, int clusters, int iterations, Rng &rng, int threads);

// Centroids for a clustered search over all of `unit`'s rows (the projections' kNN, the map's pair
// check): the above on a sample of at most kKmeansSamplePerCluster rows per centroid drawn from `rng`,
// kKmeansIterations Lloyd steps.
inline constexpr int kKmeansSamplePerCluster = 48;
inline constexpr int kKmeansIterations = 8;
Matrix sampledSphericalKmeans(MatrixView unit, int clusters, Rng &rng, int threads);

}  // namespace cospace
