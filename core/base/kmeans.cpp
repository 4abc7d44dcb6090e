#include "core/base/kmeans.h"

#include "core/base/ompthreads.h"

#include <faiss/utils/distances.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace cospace {

Matrix sphericalKmeans(const Matrix &sample, int clusters, int iterations, Rng &rng, int threads)
{
    const int n = sample.rows, d = sample.cols;
    if (clusters <= 0 || clusters > n)
        throw std::invalid_argument("sphericalKmeans: need 1..rows clusters");
    Matrix centroids(clusters, d);
    for (int c = 0; c < clusters; ++c)
        std::copy_n(sample.row(int(std::int64_t(c) * n / clusters)), d, centroids.row(c));
    std::vector<float> sim(static_cast<std::size_t>(n));
    std::vector<int64_t> nearest(sim.size());
    std::vector<double> sum(std::size_t(clusters) * d);
    std::vector<int> count(static_cast<std::size_t>(clusters));
    for (int it = 0; it < iterations; ++it) {
        {
            OmpThreads scope(threads);
            faiss::knn_inner_product(sample.data.data(), centroids.data.data(), std::size_t(d), std::size_t(n),
                                     std::size_t(clusters), 1, sim.data(), nearest.data());
        }
        std::fill(sum.begin(), sum.end(), 0.0);
        std::fill(count.begin(), count.end(), 0);
        for (int i = 0; i < n; ++i) {
            const int c = int(std::max<int64_t>(0, nearest[std::size_t(i)]));
            ++count[std::size_t(c)];
            const float *x = sample.row(i);
            double *s = sum.data() + std::size_t(c) * d;
            for (int j = 0; j < d; ++j) s[j] += x[j];
        }
        for (int c = 0; c < clusters; ++c) {
            float *centroid = centroids.row(c);
            const double *s = sum.data() + std::size_t(c) * d;
            for (int j = 0; j < d; ++j) centroid[j] = float(s[j]);
            if (count[std::size_t(c)] == 0 || !normalizeRow({centroid, std::size_t(d)}))   // empty: restart
                std::copy_n(sample.row(rng.below(n)), d, centroid);                  // at a random sample row
        }
    }
    return centroids;
}

Matrix sampledSphericalKmeans(MatrixView unit, int clusters, Rng &rng, int threads)
{
    const std::vector<int> sample = sampleWithoutReplacement(unit.rows, std::min(unit.rows, clusters * kKmeansSamplePerCluster), rng);
    return sphericalKmeans(gatherRows(unit, sample), clusters, kKmeansIterations, rng, threads);
}

}  // namespace cospace
