#pragma once
// Private: cosine k-nearest-neighbour graphs for t-SNE, UMAP and out-of-sample placement.
// Inputs are L2-normalised rows; distances are cosine distances 1 - <a, b>, ascending per row.

#include "core/base/matrix.h"

#include <cstdint>
#include <vector>

namespace cospace {

class JobControl;

struct KnnGraph {
    int n = 0, k = 0;
    std::vector<int> index;      // n * k neighbour rows, nearest first, self excluded
    std::vector<float> dist;     // n * k cosine distances
    // recall@k against brute force on a seeded sample of rows (the clustered kNN's own check);
    // 1 for an exact graph, -1 when not measured (HNSW).
    double sampledRecall = 1.0;
};

// Approximate kNN above the exact limit: hnswlib HNSW (the build order depends on `threads`, see
// projection.h), or brute force within the nearest k-means clusters (deterministic; the probed
// clusters can miss a neighbour across a cluster border).
enum class ApproximateKnn { Hnsw, Clustered };

// kNN of every row among the other rows. Exact (FAISS brute force) for n <= exactLimit (t-SNE:
// kExactKnnLimit, UMAP: kUmapExactKnnLimit), else `approximate`.
KnnGraph selfKnn(const Matrix &unit, int k, int threads, std::uint64_t seed, JobControl *job, int exactLimit,
                 ApproximateKnn approximate = ApproximateKnn::Hnsw);

// Exact kNN of each query row among the base rows (out-of-sample placement; queries are few).
KnnGraph queryKnn(const Matrix &unitBase, const Matrix &unitQueries, int k, int threads);

// hnswlib distance function: 1 - <a, b> over *(const std::size_t *)dimension floats, in the
// widest vector instructions the CPU has (chosen at run time).
float hnswInnerProductDistance(const void *a, const void *b, const void *dimension);

int resolveThreads(int threads);   // 0 -> all cores

}  // namespace cospace
