#pragma once
// Private: cosine k-nearest-neighbour graphs for t-SNE, UMAP and out-of-sample placement.
// Inputs are L2-normalised rows; distances are cosine distances 1 - <a, b>, ascending per row.

#include "core/base/matrix.h"
#include "core/base/rowblocks.h"

#include <cstdint>
#include <vector>

namespace cospace {

class JobControl;

struct KnnGraph {
    int n = 0, k = 0;
    std::vector<int> index;      // n * k neighbour rows, nearest first, self excluded
    std::vector<float> dist;     // n * k cosine distances
    // recall@k against brute force on a seeded sample of rows (the clustered kNN's own check);
    // 1 for an exact graph.
    double sampledRecall = 1.0;
};

// kNN of every row among the other rows: exact (FAISS brute force) for n <= exactLimit (t-SNE:
// kExactKnnLimit, UMAP: kUmapExactKnnLimit), else brute force within the nearest k-means clusters
// (deterministic; a probed cluster set can miss a neighbour across a cluster border, so the recall is
// measured on a sample and the probes doubled below 0.9). HNSW served above the limit until 2026-12
// (slower and less trustworthy at 200k x 512: bench/projection/README.md, sitting H).
KnnGraph selfKnn(const Matrix &unit, int k, int threads, std::uint64_t seed, JobControl *job, int exactLimit);

// Exact kNN of each query row among the base rows (out-of-sample placement; queries are few), which may
// lie in several blocks (a workspace's mapped images and captions); indices count across the blocks.
KnnGraph queryKnn(const RowBlocks &unitBase, const Matrix &unitQueries, int k, int threads);

int resolveThreads(int threads);   // 0 -> all cores

}  // namespace cospace
