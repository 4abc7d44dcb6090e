#pragma once
// Private pieces shared by the projection methods.

#include "core/base/matrix.h"
#include "core/base/rng.h"
#include "core/projection/projection.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace cospace {

// UMAP's smooth-kNN calibration for one point (McInnes et al. 2018, §3.1; umap-learn's
// smooth_knn_dist): rho = distance to the nearest neighbour at non-zero distance, sigma such that
// sum_j exp(-max(0, d_j - rho) / sigma) = log2(k) over the k given distances (ascending).
struct SmoothKnn { float rho = 0, sigma = 1; };
SmoothKnn smoothKnn(const float *dist, int k, double target);
inline float membership(float d, const SmoothKnn &s) { return d <= s.rho ? 1.f : std::exp(-(d - s.rho) / s.sigma); }

// The PCA start both t-SNE and UMAP use (of the L2-normalised rows), or options.initial.
Matrix initialLayout(const Matrix &unit, const ProjectionOptions &options);

// UMAP's spectral initialisation (spectral.cpp): a layout of the unit rows scaled to [-10, 10] from
// their symmetric weighted graph, given as edges sorted by head (both directions present). A graph
// of several components gets one spectral layout per component, placed by a layout of their means.
// Empty when it cannot be computed (the caller falls back to PCA).
Matrix spectralLayout(const Matrix &unit, const std::vector<int> &head, const std::vector<int> &tail,
                      const std::vector<float> &weight, std::uint64_t seed, int threads);

std::unique_ptr<Projector> makeTsne(const Matrix &vectors, const ProjectionOptions &options, JobControl *job);
std::unique_ptr<Projector> makeUmap(const Matrix &vectors, const ProjectionOptions &options, JobControl *job);

}  // namespace cospace
