#include "core/projection/knn_p.h"

#include "core/base/job.h"
#include "core/base/kmeans.h"
#include "core/base/ompthreads.h"
#include "core/projection/projection.h"
#include "core/projection/projection_p.h"

#include <faiss/utils/distances.h>
#include <omp.h>

#include <algorithm>
#include <climits>
#include <cmath>

namespace cospace {

namespace {

// Queries go to FAISS in blocks of this many rows (its own BLAS block size), so a long exact search
// reports progress and stops soon after a cancel.
constexpr int kExactQueryBlock = 4096;

KnnGraph exactKnn(MatrixView base, const Matrix &queries, int k, int threads, bool excludeSelf, JobControl *job)
{
    const int extra = excludeSelf ? 1 : 0;
    const int kk = std::min(k + extra, base.rows);
    std::vector<float> sims(std::size_t(queries.rows) * kk);
    std::vector<int64_t> ids(sims.size());
    if (job) job->setTotal(queries.rows);
    {
        OmpThreads scope(threads);
        for (int first = 0; first < queries.rows; first += kExactQueryBlock) {
            if (job && job->cancelled())
                throw JobCancelled{};
            const int count = std::min(kExactQueryBlock, queries.rows - first);
            faiss::knn_inner_product(queries.row(first), base.values, std::size_t(base.cols),
                                     std::size_t(count), std::size_t(base.rows), std::size_t(kk),
                                     sims.data() + std::size_t(first) * kk, ids.data() + std::size_t(first) * kk);
            if (job) job->advance(count);
        }
    }
    KnnGraph g;
    g.n = queries.rows;
    g.k = kk - extra;
    g.index.resize(std::size_t(g.n) * g.k);
    g.dist.resize(g.index.size());
    for (int i = 0; i < g.n; ++i) {
        int out = 0;
        for (int j = 0; j < kk && out < g.k; ++j) {
            const int64_t id = ids[std::size_t(i) * kk + j];
            if ((excludeSelf && id == i) || id < 0)
                continue;
            g.index[std::size_t(i) * g.k + out] = int(id);
            g.dist[std::size_t(i) * g.k + out] = std::max(0.f, 1.f - sims[std::size_t(i) * kk + j]);
            ++out;
        }
    }
    return g;
}

// Spherical k-means of the unit rows into `clusters` centroids, seeded (base/kmeans.h).
Matrix sphericalKmeans(const Matrix &unit, int clusters, int threads, std::uint64_t seed)
{
    Rng rng(seed ^ 0x5851F42D4C957F2Dull);
    return sampledSphericalKmeans(unit, clusters, rng, threads);
}

// Approximate kNN by clusters: every row belongs to its nearest k-means centroid and looks for
// neighbours among the members of its kClusterProbes nearest centroids, by exact brute force (BLAS)
// per cluster. For N rows and sqrt(N) clusters that is ~probes / sqrt(N) of the full search's
// work, in the same fast matrix products. Recall@15 on clustered 100k x 256 sets: see projection.h.
constexpr int kClusterProbes = 8;
// Recall is checked against brute force on a sample of rows; below the bar the probes double, and
// past a quarter of the clusters the search falls back to brute force (unclustered data).
constexpr int kRecallSample = 256;
constexpr double kMinClusteredRecall = 0.9;

KnnGraph clusteredKnn(const Matrix &unit, const Matrix &centroids, int k, int probes, int threads, JobControl *job)
{
    const int n = unit.rows, d = unit.cols, clusters = centroids.rows;
    if (job) {
        job->setStage(QStringLiteral("nearest neighbours (clustered)"));
        job->setTotal(qint64(n) * probes);
    }
    std::vector<float> centroidSim(std::size_t(n) * probes);
    std::vector<int64_t> probe(centroidSim.size());
    {
        OmpThreads scope(threads);
        faiss::knn_inner_product(unit.data.data(), centroids.data.data(), std::size_t(d), std::size_t(n),
                                 std::size_t(clusters), std::size_t(probes), centroidSim.data(), probe.data());
    }
    auto probeOf = [&](int i, int r) { return int(std::max<int64_t>(0, probe[std::size_t(i) * probes + r])); };
    std::vector<std::vector<int>> members(static_cast<std::size_t>(clusters));
    for (int i = 0; i < n; ++i)
        members[std::size_t(probeOf(i, 0))].push_back(i);

    // Best k per row so far, ascending by (distance, index); rank r adds the r-th nearest cluster.
    KnnGraph g;
    g.n = n;
    g.k = k;
    g.index.assign(std::size_t(n) * k, -1);
    g.dist.assign(g.index.size(), INFINITY);
    const int kk = k + 1;   // the row itself is among its own cluster's members
    // Cluster by cluster, every row that probes it (at any rank) in one product with its members:
    // each cluster's members are gathered once instead of once per rank, and the products are
    // larger. A row's best k are the k smallest (distance, index) pairs over all its candidates,
    // whatever order the clusters come in.
    std::vector<std::vector<int>> queries(static_cast<std::size_t>(clusters));
    for (int i = 0; i < n; ++i)
        for (int r = 0; r < probes; ++r)
            queries[std::size_t(probeOf(i, r))].push_back(i);
    std::vector<float> sims;
    std::vector<int64_t> ids;
    std::vector<std::pair<float, int>> merged, candidates;
    for (int c = 0; c < clusters; ++c) {
        if (job && job->cancelled())
            throw JobCancelled{};
        std::vector<int> &q = queries[std::size_t(c)];
        const std::vector<int> &m = members[std::size_t(c)];
        if (q.empty() || m.empty()) {
            if (job) job->advance(qint64(q.size()));
            continue;
        }
        const Matrix qm = gatherRows(unit, q), mm = gatherRows(unit, m);
        const int found = std::min<int>(kk, int(m.size()));
        sims.resize(q.size() * std::size_t(found));
        ids.resize(sims.size());
        {
            OmpThreads scope(threads);
            faiss::knn_inner_product(qm.data.data(), mm.data.data(), std::size_t(d), q.size(), m.size(),
                                     std::size_t(found), sims.data(), ids.data());
        }
        for (std::size_t i = 0; i < q.size(); ++i) {
            const int row = q[i];
            int *bestIndex = g.index.data() + std::size_t(row) * k;
            float *bestDist = g.dist.data() + std::size_t(row) * k;
            // Only candidates ahead of the current k-th best can enter (after the first probes, few):
            // those are sorted and merged with the best list, which is sorted already.
            const std::pair<float, int> worst{bestDist[k - 1], bestIndex[k - 1] < 0 ? INT_MAX : bestIndex[k - 1]};
            candidates.clear();
            for (int j = 0; j < found; ++j) {
                const int64_t id = ids[i * std::size_t(found) + std::size_t(j)];
                if (id < 0 || m[std::size_t(id)] == row) continue;
                const std::pair<float, int> c{std::max(0.f, 1.f - sims[i * std::size_t(found) + std::size_t(j)]), m[std::size_t(id)]};
                if (c < worst) candidates.push_back(c);
            }
            if (candidates.empty()) continue;
            std::sort(candidates.begin(), candidates.end());
            merged.clear();
            int held = 0;
            while (held < k && bestIndex[held] >= 0) ++held;
            std::size_t a = 0, b = 0;
            while (int(merged.size()) < k && (a < std::size_t(held) || b < candidates.size())) {
                const bool fromBest = b == candidates.size() ||
                    (a < std::size_t(held) && std::pair<float, int>{bestDist[a], bestIndex[a]} < candidates[b]);
                if (fromBest) { merged.emplace_back(bestDist[a], bestIndex[a]); ++a; }
                else merged.push_back(candidates[b++]);
            }
            for (std::size_t j = 0; j < merged.size(); ++j) {
                bestDist[j] = merged[j].first;
                bestIndex[j] = merged[j].second;
            }
        }
        if (job) job->advance(qint64(q.size()));
        std::vector<int>().swap(q);   // done with: the lists hold probes x N ints in all
    }
    // Rows whose probed clusters held fewer than k others (tiny inputs): repeat the last neighbour.
    for (int i = 0; i < n; ++i)
        for (int j = 1; j < k; ++j)
            if (g.index[std::size_t(i) * k + j] < 0) {
                g.index[std::size_t(i) * k + j] = g.index[std::size_t(i) * k + j - 1];
                g.dist[std::size_t(i) * k + j] = g.dist[std::size_t(i) * k + j - 1];
            }
    return g;
}

// Exact neighbours of a seeded sample of rows, against which clusteredOrExactKnn checks its recall.
struct RecallSample {
    std::vector<int> rows;
    KnnGraph exact;   // k + 1 per row: the row itself is among them
};

RecallSample recallSample(const Matrix &unit, int k, int threads, std::uint64_t seed)
{
    RecallSample s;
    Rng rng(seed ^ 0xD1B54A32D192ED03ull);
    for (int i = 0; i < std::min(kRecallSample, unit.rows); ++i)
        s.rows.push_back(rng.below(unit.rows));
    s.exact = exactKnn(unit, gatherRows(unit, s.rows), std::min(k + 1, unit.rows), threads, false, nullptr);
    return s;
}

// Fraction of the sample's exact k neighbours that `g` lists.
double recall(const KnnGraph &g, const RecallSample &s)
{
    const int k = g.k;
    int found = 0, wanted = 0;
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
        const int *listed = g.index.data() + std::size_t(s.rows[i]) * k;
        for (int j = 0, taken = 0; j < s.exact.k && taken < k; ++j) {
            const int id = s.exact.index[i * std::size_t(s.exact.k) + std::size_t(j)];
            if (id == s.rows[i]) continue;
            ++taken; ++wanted;
            found += std::find(listed, listed + k, id) != listed + k;
        }
    }
    return wanted ? double(found) / wanted : 1.0;
}

KnnGraph clusteredOrExactKnn(const Matrix &unit, int k, int threads, std::uint64_t seed, JobControl *job)
{
    const int clusters = std::clamp(int(std::lround(std::sqrt(double(unit.rows)))), 1, unit.rows);
    if (job) job->setStage(QStringLiteral("k-means for the neighbour search"));
    const Matrix centroids = sphericalKmeans(unit, clusters, threads, seed);
    if (job) job->setStage(QStringLiteral("exact neighbours of sampled rows"));
    const RecallSample sample = recallSample(unit, k, threads, seed);
    for (int probes = std::min(kClusterProbes, clusters); probes <= std::max(1, clusters / 4); probes *= 2) {
        KnnGraph g = clusteredKnn(unit, centroids, k, probes, threads, job);
        g.sampledRecall = recall(g, sample);
        if (g.sampledRecall >= kMinClusteredRecall)
            return g;
    }
    if (job) job->setStage(QStringLiteral("nearest neighbours (exact)"));
    return exactKnn(unit, unit, k, threads, true, job);
}

}  // namespace

int resolveThreads(int threads)
{
    // 0 follows the process setting: cospace-cli's --threads sets it through initComputeThreads().
    return threads > 0 ? threads : std::max(1, omp_get_max_threads());
}

KnnGraph selfKnn(const Matrix &unit, int k, int threads, std::uint64_t seed, JobControl *job, int exactLimit)
{
    k = std::min(k, unit.rows - 1);
    threads = resolveThreads(threads);
    if (unit.rows <= exactLimit) {
        if (job) job->setStage(QStringLiteral("nearest neighbours (exact)"));
        return exactKnn(unit, unit, k, threads, true, job);
    }
    return clusteredOrExactKnn(unit, k, threads, seed, job);
}

KnnGraph queryKnn(const RowBlocks &unitBase, const Matrix &unitQueries, int k, int threads)
{
    k = std::min(k, unitBase.rows());
    threads = resolveThreads(threads);
    if (unitBase.contiguous())
        return exactKnn(unitBase.view(), unitQueries, k, threads, false, nullptr);
    // Each block's own k nearest, merged: the nearest k overall are among them.
    struct Candidate {
        float dist;
        int index;
        bool operator<(const Candidate &o) const { return dist != o.dist ? dist < o.dist : index < o.index; }
    };
    std::vector<std::vector<Candidate>> candidates(std::size_t(unitQueries.rows));
    for (const RowBlocks::Block &b : unitBase.blocks()) {
        const KnnGraph part = exactKnn(b.rows, unitQueries, std::min(k, b.rows.rows), threads, false, nullptr);
        for (int q = 0; q < part.n; ++q)
            for (int j = 0; j < part.k; ++j) {
                const std::size_t at = std::size_t(q) * part.k + j;
                candidates[std::size_t(q)].push_back({part.dist[at], b.first + part.index[at]});
            }
    }
    KnnGraph g;
    g.n = unitQueries.rows;
    g.k = k;
    g.index.resize(std::size_t(g.n) * g.k);
    g.dist.resize(g.index.size());
    for (int q = 0; q < g.n; ++q) {
        std::vector<Candidate> &c = candidates[std::size_t(q)];
        std::partial_sort(c.begin(), c.begin() + k, c.end());
        for (int j = 0; j < k; ++j) {
            g.index[std::size_t(q) * k + j] = c[std::size_t(j)].index;
            g.dist[std::size_t(q) * k + j] = c[std::size_t(j)].dist;
        }
    }
    return g;
}

}  // namespace cospace
