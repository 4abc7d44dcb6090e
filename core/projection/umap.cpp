// UMAP (McInnes, Healy & Melville 2018) as a step-wise Projector, following umap-learn's defaults
// and its optimize_layout_euclidean schedule: fuzzy simplicial set from a cosine kNN graph
// (smooth-kNN calibration, fuzzy union), edges sampled in proportion to their weight, negative
// sampling, linearly decaying learning rate, gradients clipped to [-4, 4].
//
// Parallel SGD that does not depend on the thread count: the edges, in umap-learn's order (by head),
// fall into kSgdChunks chunks of consecutive heads; a chunk owns its heads' points. Chunks run
// concurrently, each in that order, moving their own points at once; an edge whose tail belongs
// to another chunk reads the tail from a snapshot and defers the tail's move. Each epoch runs in
// kSgdSlices slices; between slices the deferred moves are applied (by owner, in chunk order) and
// the snapshot is refreshed. Negative samples are read from the snapshot; each (epoch, chunk,
// slice) draws from its own seeded generator. So the layout is the same for any thread count and
// run(a) + run(b) == run(a + b) exactly. Both ends of an edge move, as in umap-learn: moving only
// the head cost 0.05 trustworthiness on real 20k; a race-free schedule of point-block pairs (both
// ends moved at once, but umap-learn's order lost) cost 0.01 (measured, bench/projection/README.md).

#include "core/base/job.h"
#include "core/projection/knn_p.h"
#include "core/projection/projection_p.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cospace {
namespace {

constexpr double kInitialAlpha = 1.0;
// Starting from a given layout (the previous checkpoint's) the SGD only refines it: with the full
// rate items wander a third of the map's width between identical inputs (measured in the tests).
constexpr double kRefineLearningRate = 0.25;
constexpr float kGradClip = 4.f;
constexpr double kInitRange = 10.0;   // umap-learn rescales the initial layout to [0, 10]
// Fixed, not the thread count, so that layouts do not depend on it. More chunks balance more
// threads but defer more moves; more slices keep the snapshot fresher but synchronise more often.
constexpr int kSgdChunks = 16;
constexpr int kSgdSlices = 4;

// A tail's move deferred to the end of the slice.
struct DeferredMove { int point; float dx, dy; };

// Fit 1 / (1 + a x^(2b)) to the target membership curve (umap-learn's find_ab_params) by
// Gauss-Newton with a step-halving line search on 300 points in [0, 3*spread].
std::pair<double, double> fitAB(double spread, double minDist)
{
    std::vector<double> xs, ys;
    for (int i = 0; i < 300; ++i) {
        const double x = 3 * spread * i / 299.0;
        xs.push_back(x);
        ys.push_back(x < minDist ? 1.0 : std::exp(-(x - minDist) / spread));
    }
    auto loss = [&](double a, double b) {
        double s = 0;
        for (std::size_t i = 0; i < xs.size(); ++i) {
            const double r = 1.0 / (1.0 + a * std::pow(xs[i], 2 * b)) - ys[i];
            s += r * r;
        }
        return s;
    };
    double a = 1.5, b = 0.9;
    for (int it = 0; it < 100; ++it) {
        double jtj[3] = {0, 0, 0}, jtr[2] = {0, 0};
        for (std::size_t i = 0; i < xs.size(); ++i) {
            if (xs[i] <= 0) continue;
            const double p = std::pow(xs[i], 2 * b), den = 1 + a * p, f = 1 / den;
            const double da = -p * f * f, db = -a * p * 2 * std::log(xs[i]) * f * f;
            const double r = f - ys[i];
            jtj[0] += da * da; jtj[1] += da * db; jtj[2] += db * db;
            jtr[0] += da * r; jtr[1] += db * r;
        }
        const double det = jtj[0] * jtj[2] - jtj[1] * jtj[1];
        if (std::abs(det) < 1e-300) break;
        const double sa = (jtj[2] * jtr[0] - jtj[1] * jtr[1]) / det, sb = (jtj[0] * jtr[1] - jtj[1] * jtr[0]) / det;
        double t = 1, base = loss(a, b);
        while (t > 1e-6 && !(a - t * sa > 0 && b - t * sb > 0 && loss(a - t * sa, b - t * sb) < base)) t /= 2;
        if (t <= 1e-6) break;
        a -= t * sa; b -= t * sb;
    }
    return {a, b};
}

class UmapProjector final : public Projector
{
public:
    UmapProjector(Matrix vectors, const ProjectionOptions &options, JobControl *job)
        : Projector(std::move(vectors), options), m_job(job), m_seed(options.seed), m_threads(resolveThreads(options.threads))
    {
        const int n = m_unit.rows;
        if (options.nNeighbors < 2 || options.minDist < 0 || options.spread <= 0 || options.negativeSampleRate < 0)
            throw std::runtime_error("UMAP: n_neighbors must be >= 2, min_dist >= 0, spread > 0");
        const int k = knnNeighbours(options, n);   // n_neighbors - 1 others: umap-learn counts the point itself
        const KnnGraph g = selfKnn(m_unit, k, m_threads, options.seed, job, kUmapExactKnnLimit);
        if (job && job->cancelled()) throw JobCancelled{};
        m_knnRecall = g.sampledRecall;
        m_epochs = options.umapEpochs > 0 ? options.umapEpochs : (n <= 10000 ? 500 : 200);
        std::tie(m_a, m_b) = fitAB(options.spread, options.minDist);
        m_power = std::make_unique<const PowerTable>(float(m_b));
        if (job) job->setStage(QStringLiteral("fuzzy graph"));
        const std::vector<float> weight = buildGraph(g, std::log2(double(k + 1)));
        if (job) job->setStage(QStringLiteral("spectral start"));
        initLayout(options, weight);
    }

    int run(int steps) override
    {
        for (int s = 0; s < steps && m_epoch < m_epochs; ++s) {
            if (m_job && m_job->cancelled()) break;
            epoch(m_epoch);
            ++m_epoch;
        }
        return m_epoch;
    }
    int iteration() const override { return m_epoch; }
    int totalIterations() const override { return m_epochs; }
    const Matrix &layout() const override { return m_layout; }
    double knnRecall() const override { return m_knnRecall; }

private:
    // Returns the kept edges' memberships (the spectral start's weights).
    std::vector<float> buildGraph(const KnnGraph &g, double target)
    {
        const int n = g.n, k = g.k;
        std::vector<std::pair<std::int64_t, float>> entries;
        entries.reserve(std::size_t(n) * k * 2);
        for (int i = 0; i < n; ++i) {
            const float *d = g.dist.data() + std::size_t(i) * k;
            // The point itself (distance 0, membership 1 in umap-learn) is left out of the sum's
            // neighbours but counted in the target, as in smooth_knn_dist's loop from j = 1.
            const SmoothKnn s = smoothKnn(d, k, target);
            for (int j = 0; j < k; ++j) {
                const int t = g.index[std::size_t(i) * k + j];
                const float w = membership(d[j], s);
                entries.emplace_back(std::int64_t(i) * n + t, w);
                entries.emplace_back(std::int64_t(t) * n + i, -w);   // sign marks the transpose
            }
        }
        std::sort(entries.begin(), entries.end(), [](auto &x, auto &y) { return x.first < y.first; });
        // Fuzzy union: w = a + b - a b, where a = w(i->j) and b = w(j->i).
        std::vector<float> weight;
        for (std::size_t e = 0; e < entries.size();) {
            double fwd = 0, bwd = 0;
            std::size_t f = e;
            for (; f < entries.size() && entries[f].first == entries[e].first; ++f)
                (entries[f].second >= 0 ? fwd : bwd) = std::abs(entries[f].second);
            const double w = fwd + bwd - fwd * bwd;
            if (w > 0) {
                m_head.push_back(int(entries[e].first / n));
                m_tail.push_back(int(entries[e].first % n));
                weight.push_back(float(w));
            }
            e = f;
        }
        // Drop edges too weak to be sampled once in the run, then schedule the rest (umap-learn's
        // make_epochs_per_sample): an edge of weight w is sampled every max_w / w epochs.
        const float maxW = *std::max_element(weight.begin(), weight.end());
        std::size_t out = 0;
        for (std::size_t e = 0; e < weight.size(); ++e) {
            if (weight[e] < maxW / float(m_epochs)) continue;
            m_head[out] = m_head[e]; m_tail[out] = m_tail[e];
            m_epochsPerSample.push_back(double(maxW) / weight[e]);
            weight[out] = weight[e];
            ++out;
        }
        m_head.resize(out); m_tail.resize(out); weight.resize(out);
        m_nextSample = m_epochsPerSample;
        const double rate = std::max(m_options.negativeSampleRate, 1);
        for (double e : m_epochsPerSample) m_nextNegative.push_back(e / rate);
        makeChunks(n);
        return weight;
    }

    // Chunk c owns rows m_chunkFirstRow[c] .. m_chunkFirstRow[c + 1] and the edges headed there,
    // m_chunkFirstEdge[c] .. m_chunkFirstEdge[c + 1]; the cuts balance the edge counts.
    void makeChunks(int rows)
    {
        const std::size_t edges = m_head.size();
        m_chunkFirstRow.assign(kSgdChunks + 1, rows);
        m_chunkFirstEdge.assign(kSgdChunks + 1, edges);
        m_chunkFirstRow[0] = 0;
        m_chunkFirstEdge[0] = 0;
        std::size_t e = 0;
        for (int c = 1; c < kSgdChunks; ++c) {
            e = std::max(e, edges * std::size_t(c) / kSgdChunks);
            while (e > 0 && e < edges && m_head[e] == m_head[e - 1]) ++e;   // cut between heads
            m_chunkFirstEdge[std::size_t(c)] = e;
            m_chunkFirstRow[std::size_t(c)] = e < edges ? m_head[e] : rows;
        }
        m_owner.resize(std::size_t(rows));
        for (int c = 0; c < kSgdChunks; ++c)
            for (int i = m_chunkFirstRow[std::size_t(c)]; i < m_chunkFirstRow[std::size_t(c) + 1]; ++i)
                m_owner[std::size_t(i)] = std::uint8_t(c);
        m_deferred.resize(std::size_t(kSgdChunks) * kSgdChunks);
    }

    void initLayout(const ProjectionOptions &options, const std::vector<float> &weight)
    {
        if (!options.initial.empty()) {   // a given layout keeps its coordinates
            m_layout = initialLayout(m_unit, options);
            return;
        }
        // umap-learn's default, spectral (PCA if that fails).
        m_layout = spectralLayout(m_unit, m_head, m_tail, weight, options.seed, m_threads);
        if (m_layout.empty())
            m_layout = initialLayout(m_unit, options);
        for (int c = 0; c < 2; ++c) {
            float lo = INFINITY, hi = -INFINITY;
            for (int i = 0; i < m_layout.rows; ++i) { lo = std::min(lo, m_layout.at(i, c)); hi = std::max(hi, m_layout.at(i, c)); }
            const float scale = float(kInitRange) / std::max(hi - lo, 1e-12f);
            for (int i = 0; i < m_layout.rows; ++i) m_layout.at(i, c) = (m_layout.at(i, c) - lo) * scale;
        }
    }

    void epoch(int n)
    {
        m_snapshot = m_layout.data;
#pragma omp parallel num_threads(m_threads)
        for (int slice = 0; slice < kSgdSlices; ++slice) {
#pragma omp for schedule(dynamic, 1)
            for (int c = 0; c < kSgdChunks; ++c)
                runSlice(n, c, slice);
#pragma omp for schedule(dynamic, 1)
            for (int owner = 0; owner < kSgdChunks; ++owner)
                applyDeferred(owner);
        }
    }

    // The moves chunks deferred to the rows `owner` owns, in chunk order; then the snapshot of them.
    void applyDeferred(int owner)
    {
        float *y = m_layout.data.data();
        for (int c = 0; c < kSgdChunks; ++c) {
            std::vector<DeferredMove> &moves = m_deferred[std::size_t(c) * kSgdChunks + std::size_t(owner)];
            for (const DeferredMove &m : moves) { y[2 * m.point] += m.dx; y[2 * m.point + 1] += m.dy; }
            moves.clear();
        }
        const std::size_t from = 2 * std::size_t(m_chunkFirstRow[std::size_t(owner)]);
        const std::size_t to = 2 * std::size_t(m_chunkFirstRow[std::size_t(owner) + 1]);
        std::copy(m_layout.data.begin() + std::ptrdiff_t(from), m_layout.data.begin() + std::ptrdiff_t(to),
                  m_snapshot.begin() + std::ptrdiff_t(from));
    }

    // The generator's rows drawn kAhead draws early, each prefetched when drawn: the same rows in the
    // same order as calling rng.below(rows) in place (the layout is bit-identical), with the cache
    // misses of random negatives overlapped instead of waited for one by one.
    class NegativeSamples
    {
    public:
        NegativeSamples(Rng &rng, int rows, const float *snapshot) : m_rng(rng), m_rows(rows), m_snapshot(snapshot)
        {
            for (int &r : m_ahead)
                r = draw();
        }
        int next()
        {
            const int r = m_ahead[m_at];
            m_ahead[m_at] = draw();
            m_at = (m_at + 1) % kAhead;
            return r;
        }

    private:
        static constexpr int kAhead = 16;
        int draw()
        {
            if (m_rows <= 0)
                return 0;
            const int r = m_rng.below(m_rows);
            __builtin_prefetch(m_snapshot + 2 * std::size_t(r));
            return r;
        }
        Rng &m_rng;
        int m_rows;
        const float *m_snapshot;
        int m_ahead[kAhead];
        int m_at = 0;
    };
    static constexpr std::size_t kEdgeLookahead = 8;

    void runSlice(int n, int chunk, int slice)
    {
        float *y = m_layout.data.data();
        const float *snapshot = m_snapshot.data();
        const int rows = m_layout.rows;
        const double start = m_options.initial.empty() ? kInitialAlpha : kRefineLearningRate;
        const float alpha = float(start * (1.0 - double(n) / m_epochs));
        const float fa = float(m_a), fb = float(m_b);
        const PowerTable &power = *m_power;
        const bool negatives = m_options.negativeSampleRate > 0;
        const double negPerSample = 1.0 / std::max(m_options.negativeSampleRate, 1);
        const std::uint64_t stream = (std::uint64_t(n) * kSgdChunks + std::uint64_t(chunk)) * kSgdSlices + std::uint64_t(slice);
        Rng rng(m_seed + 0x632BE59BD9B4E019ull * (stream + 1));
        const std::size_t chunkFirst = m_chunkFirstEdge[std::size_t(chunk)];
        const std::size_t chunkEdges = m_chunkFirstEdge[std::size_t(chunk) + 1] - chunkFirst;
        const std::size_t first = chunkFirst + chunkEdges * std::size_t(slice) / kSgdSlices;
        const std::size_t last = chunkFirst + chunkEdges * std::size_t(slice + 1) / kSgdSlices;
        std::vector<DeferredMove> *deferred = m_deferred.data() + std::size_t(chunk) * kSgdChunks;
        NegativeSamples negativeRows(rng, rows, snapshot);
        for (std::size_t e = first; e < last; ++e) {
            // The tail a few edges on: its row is a cache miss (the layout is 8 MB at 1M points). Only
            // for an edge due this epoch: most are not, and their prefetches only evicted useful rows.
            if (e + kEdgeLookahead < last && m_nextSample[e + kEdgeLookahead] <= n) {
                const int ahead = m_tail[e + kEdgeLookahead];
                __builtin_prefetch(y + 2 * std::size_t(ahead), 1);
                __builtin_prefetch(snapshot + 2 * std::size_t(ahead));
            }
            if (m_nextSample[e] > n) continue;
            float *cur = y + 2 * m_head[e];
            const int tail = m_tail[e];
            const int tailOwner = m_owner[std::size_t(tail)];
            float *oth = tailOwner == chunk ? y + 2 * tail : nullptr;
            const float *o = oth ? oth : snapshot + 2 * tail;
            float dx = cur[0] - o[0], dy = cur[1] - o[1];
            double d2 = dx * dx + dy * dy;
            if (d2 > 0) {
                // One power per update: d^(2(b-1)) = d^(2b) / d^2 (from a table: powf was 30% of the run).
                const float pb = power(float(d2));
                const float coeff = -2.f * fa * fb * (pb / float(d2)) / (fa * pb + 1.f);
                const float gx = std::clamp(coeff * dx, -kGradClip, kGradClip) * alpha;
                const float gy = std::clamp(coeff * dy, -kGradClip, kGradClip) * alpha;
                cur[0] += gx; cur[1] += gy;
                if (oth) { oth[0] -= gx; oth[1] -= gy; }
                else deferred[tailOwner].push_back({tail, -gx, -gy});
            }
            m_nextSample[e] += m_epochsPerSample[e];
            if (!negatives) continue;
            const int count = int((n - m_nextNegative[e]) / (m_epochsPerSample[e] * negPerSample));
            for (int p = 0; p < count; ++p) {
                const int r = negativeRows.next();
                if (r == tail || r == m_head[e]) continue;
                const float *neg = snapshot + 2 * r;
                dx = cur[0] - neg[0]; dy = cur[1] - neg[1];
                d2 = dx * dx + dy * dy;
                float gx = kGradClip, gy = kGradClip;
                if (d2 > 0) {
                    const float coeff = 2.f * fb / ((0.001f + float(d2)) * (fa * power(float(d2)) + 1.f));
                    gx = std::clamp(coeff * dx, -kGradClip, kGradClip);
                    gy = std::clamp(coeff * dy, -kGradClip, kGradClip);
                }
                cur[0] += gx * alpha; cur[1] += gy * alpha;
            }
            m_nextNegative[e] += count * m_epochsPerSample[e] * negPerSample;
        }
    }

    JobControl *m_job;
    std::uint64_t m_seed;
    int m_threads;
    int m_epochs = 0, m_epoch = 0;
    double m_knnRecall = 1.0;
    double m_a = 1, m_b = 1;
    std::unique_ptr<const PowerTable> m_power;   // x^b
    Matrix m_layout;
    std::vector<int> m_head, m_tail;
    std::vector<double> m_epochsPerSample, m_nextSample, m_nextNegative;
    std::vector<int> m_chunkFirstRow;
    std::vector<std::size_t> m_chunkFirstEdge;
    std::vector<std::uint8_t> m_owner;                // row -> chunk
    std::vector<std::vector<DeferredMove>> m_deferred;   // [chunk * kSgdChunks + owner]
    std::vector<float> m_snapshot;   // the layout as of the last slice boundary
};

}  // namespace

std::unique_ptr<Projector> makeUmap(Matrix vectors, const ProjectionOptions &options, JobControl *job)
{
    return std::make_unique<UmapProjector>(std::move(vectors), options, job);
}

}  // namespace cospace
