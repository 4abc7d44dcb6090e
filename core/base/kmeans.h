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

}  // namespace cospace
