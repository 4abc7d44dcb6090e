#pragma once
// Private pieces shared by the projection methods.

#include "core/base/matrix.h"
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

// A small, fast, portable generator (splitmix64-seeded xorshift64*): the same stream on every
// platform, unlike std:: distributions, so seeded layouts are reproducible.
class Rng
{
public:
    explicit Rng(std::uint64_t seed)
    {
        std::uint64_t z = seed + 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        m_state = (z ^ (z >> 31)) | 1ull;
    }
    std::uint64_t next()
    {
        m_state ^= m_state >> 12; m_state ^= m_state << 25; m_state ^= m_state >> 27;
        return m_state * 0x2545F4914F6CDD1Dull;
    }
    int below(int n) { return int((next() >> 33) % std::uint64_t(n)); }
    double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
private:
    std::uint64_t m_state;
};

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
