#include "knn_p.h"

#include "job.h"
#include "projection.h"

#include <faiss/utils/distances.h>
#include <hnswlib/hnswlib.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

namespace cospace {

// 1 - <a, b>, the distance hnswlib's InnerProductSpace computes, but compiled for AVX-512 and AVX2
// as well as the baseline and picked at run time: Debian's hnswlib headers choose their kernel at
// compile time, and this build targets baseline x86-64 (SSE), where the distances were 43% of a
// 100k-row UMAP. Sixteen separate partial sums let the compiler use whole vector registers.
// Clones by feature, not by arch=: the latter dispatches on the CPU model name (a Cooper Lake is no
// "skylake-avx512"), and this machine ran the baseline clone with it (seen in perf).
__attribute__((target_clones("avx512f", "avx2", "default")))
float hnswInnerProductDistance(const void *a, const void *b, const void *dimension)
{
    const auto *x = static_cast<const float *>(a), *y = static_cast<const float *>(b);
    const std::size_t n = *static_cast<const std::size_t *>(dimension);
    float partial[16] = {};
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (std::size_t j = 0; j < 16; ++j)
            partial[j] += x[i + j] * y[i + j];
    float sum = 0;
    for (std::size_t j = 0; j < 16; ++j)
        sum += partial[j];
    for (; i < n; ++i)
        sum += x[i] * y[i];
    return 1.f - sum;
}

namespace {

// HNSW parameters: M = 16 and efConstruction = 100 give > 0.95 recall@15 on 256-d embeddings at a
// fraction of the hnswlib default (200) build cost; the query beam is widened for larger k.
constexpr int kHnswM = 16;
constexpr int kHnswEfConstruction = 100;

// FAISS sizes its OpenMP pool from omp_get_max_threads(); restore the caller's setting afterwards.
class OmpThreads
{
public:
    explicit OmpThreads(int n) : m_saved(omp_get_max_threads()) { omp_set_num_threads(n); }
    ~OmpThreads() { omp_set_num_threads(m_saved); }
private:
    int m_saved;
};

// Queries go to FAISS in blocks of this many rows (its own BLAS block size), so a long exact search
// reports progress and stops soon after a cancel.
constexpr int kExactQueryBlock = 4096;

KnnGraph exactKnn(const Matrix &base, const Matrix &queries, int k, int threads, bool excludeSelf, JobControl *job)
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
            faiss::knn_inner_product(queries.row(first), base.data.data(), std::size_t(base.cols),
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

class InnerProductSpace final : public hnswlib::SpaceInterface<float>
{
public:
    explicit InnerProductSpace(std::size_t dimension) : m_dimension(dimension) {}
    std::size_t get_data_size() override { return m_dimension * sizeof(float); }
    hnswlib::DISTFUNC<float> get_dist_func() override { return &hnswInnerProductDistance; }
    void *get_dist_func_param() override { return &m_dimension; }
private:
    std::size_t m_dimension;
};

KnnGraph hnswKnn(const Matrix &unit, int k, int threads, std::uint64_t seed, JobControl *job)
{
    InnerProductSpace space(std::size_t(unit.cols));
    hnswlib::HierarchicalNSW<float> index(&space, std::size_t(unit.rows), kHnswM, kHnswEfConstruction,
                                          std::size_t(seed));
    if (job) {
        job->setStage(QStringLiteral("nearest neighbours"));
        job->setTotal(2 * qint64(unit.rows));
    }
    index.addPoint(unit.row(0), 0);
    std::atomic<bool> cancelled{false};
#pragma omp parallel for num_threads(threads) schedule(dynamic, 256)
    for (int i = 1; i < unit.rows; ++i) {
        if (cancelled || (job && job->cancelled())) { cancelled = true; continue; }
        index.addPoint(unit.row(i), hnswlib::labeltype(i));
        if (job && i % 256 == 0) job->advance(256);
    }
    if (job && job->cancelled())
        throw JobCancelled{};
    index.setEf(std::size_t(std::max(k + 32, 64)));
    KnnGraph g;
    g.n = unit.rows;
    g.k = k;
    g.index.assign(std::size_t(g.n) * k, 0);
    g.dist.assign(g.index.size(), 0.f);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 256)
    for (int i = 0; i < unit.rows; ++i) {
        auto heap = index.searchKnn(unit.row(i), std::size_t(k + 1));
        std::vector<std::pair<float, int>> found;
        while (!heap.empty()) {
            if (int(heap.top().second) != i)
                found.emplace_back(std::max(0.f, heap.top().first), int(heap.top().second));
            heap.pop();
        }
        std::sort(found.begin(), found.end());
        for (int j = 0; j < k; ++j) {
            // A tiny index can return fewer than k: repeat the last neighbour (harmless weights).
            const auto &f = found[std::min<std::size_t>(std::size_t(j), found.size() - 1)];
            g.index[std::size_t(i) * k + j] = f.second;
            g.dist[std::size_t(i) * k + j] = f.first;
        }
        if (job && i % 256 == 0) job->advance(256);
    }
    return g;
}

}  // namespace

int resolveThreads(int threads)
{
    // 0 follows the process setting: cospace-cli's --threads sets it through initComputeThreads().
    return threads > 0 ? threads : std::max(1, omp_get_max_threads());
}

Matrix normalizedRows(const Matrix &m)
{
    Matrix u = m;
    for (int i = 0; i < u.rows; ++i) {
        float *r = u.row(i);
        double s = 0;
        for (int j = 0; j < u.cols; ++j) s += double(r[j]) * r[j];
        const float inv = s > 0 ? float(1.0 / std::sqrt(s)) : 0.f;
        for (int j = 0; j < u.cols; ++j) r[j] *= inv;
    }
    return u;
}

KnnGraph selfKnn(const Matrix &unit, int k, int threads, std::uint64_t seed, JobControl *job, int exactLimit)
{
    k = std::min(k, unit.rows - 1);
    threads = resolveThreads(threads);
    if (unit.rows <= exactLimit) {
        if (job) job->setStage(QStringLiteral("nearest neighbours (exact)"));
        return exactKnn(unit, unit, k, threads, true, job);
    }
    return hnswKnn(unit, k, threads, seed, job);
}

KnnGraph queryKnn(const Matrix &unitBase, const Matrix &unitQueries, int k, int threads)
{
    return exactKnn(unitBase, unitQueries, std::min(k, unitBase.rows), resolveThreads(threads), false, nullptr);
}

}  // namespace cospace
