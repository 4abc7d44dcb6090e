#pragma once
// Private pieces shared by the projection methods.

#include "core/base/matrix.h"
#include "core/base/rng.h"
#include "core/projection/projection.h"

#include <cmath>
#include <cstdint>
#include <cstring>
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

// x^b for positive finite floats and a fixed b > 0 (UMAP's gradient: one per SGD update, where
// glibc's powf was 30% of a 200k projection). x = 2^e (1 + f): 2^(e b) from a table per exponent, and
// (1 + f)^b interpolated linearly between 513 samples of f: within 1e-6 of the exact value relative
// (about 4e-7 for b = 1.5, 1e-7 for UMAP's usual b = 0.79, a float's rounding). Zero, subnormal,
// negative and non-finite x go to std::pow. Deterministic: the same x gives the same result on every thread.
class PowerTable
{
public:
    explicit PowerTable(float b);
    float operator()(float x) const
    {
        std::uint32_t bits;
        std::memcpy(&bits, &x, sizeof bits);
        const std::uint32_t exponent = bits >> 23;   // the sign is 0 for positive x
        if (exponent == 0 || exponent >= 255)
            return std::pow(x, m_b);
        const std::uint32_t mantissa = bits & 0x7FFFFFu;
        const std::uint32_t j = mantissa >> kFracShift;
        const float t = float(mantissa & ((1u << kFracShift) - 1)) * (1.f / float(1u << kFracShift));
        const float r = m_mantissa[j] + (m_mantissa[j + 1] - m_mantissa[j]) * t;
        return m_exponent[exponent] * r;
    }

private:
    static constexpr int kBuckets = 512;
    static constexpr int kFracShift = 23 - 9;   // log2(kBuckets) leading mantissa bits pick the bucket
    float m_b;
    float m_exponent[256];                 // 2^((e - 127) b) for the biased exponent e
    float m_mantissa[kBuckets + 1];        // (1 + j / kBuckets)^b
};

// They normalise `vectors` in place into the projector's unit rows (pass a copy to keep the original).
std::unique_ptr<Projector> makeTsne(Matrix vectors, const ProjectionOptions &options, JobControl *job);
std::unique_ptr<Projector> makeUmap(Matrix vectors, const ProjectionOptions &options, JobControl *job);

}  // namespace cospace
