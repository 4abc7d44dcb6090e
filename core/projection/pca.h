#pragma once
// Principal component analysis of the rows of a matrix (LibTorch/OpenBLAS inside).
//
// Centres the rows and returns the top `components` principal directions and the data projected
// onto them. Small inputs (D <= 64 or N <= 2000) use an exact eigendecomposition of the covariance;
// larger ones a seeded randomized SVD (Halko, Martinsson & Tropp 2011, Alg. 4.4, 2 power iterations
// with 10 extra columns), accurate to round-off for the leading components of real embeddings and
// O(N D k) instead of O(N D^2). Signs are fixed so that the largest-magnitude loading of each
// direction is positive, so results are repeatable. Throws std::runtime_error on bad input.

#include "core/base/matrix.h"

#include <cstdint>

namespace cospace {

struct PcaResult {
    Matrix projected;            // N x components
    Matrix components;           // components x D, orthonormal rows
    std::vector<float> mean;     // D
    std::vector<float> explainedVariance;   // per component (sample variance, divisor N - 1)
};

PcaResult pca(const Matrix &vectors, int components = 2, std::uint64_t seed = 1);

}  // namespace cospace
