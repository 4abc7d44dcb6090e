#include "core/analysis/clusters.h"

#include "core/base/job.h"
#include "core/base/rng.h"
#include "core/base/torchmatrix_p.h"

#include <torch/torch.h>

#include <QString>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace cospace {

namespace {

// k-means++ seeding on cosine distance (Arthur & Vassilvitskii 2007), seeded.
std::vector<int> seedCentres(const torch::Tensor &x, int k, std::uint64_t seed)
{
    const int64_t n = x.size(0);
    std::mt19937_64 rng(seed);
    std::vector<int> centres{int(std::uniform_int_distribution<int64_t>(0, n - 1)(rng))};
    torch::Tensor d2 = (1 - x.matmul(x[centres[0]])).clamp_min(0);
    while (int(centres.size()) < k) {
        const torch::Tensor w = d2.to(torch::kDouble).contiguous();
        const double *p = w.data_ptr<double>();
        const double total = w.sum().item<double>();
        int next = 0;
        if (total <= 0) {
            next = int(std::uniform_int_distribution<int64_t>(0, n - 1)(rng));   // all alike: any row
        } else {
            double r = std::uniform_real_distribution<double>(0, total)(rng), acc = 0;
            for (next = 0; next < n - 1 && (acc += p[next]) < r; ++next) {}
        }
        centres.push_back(next);
        d2 = torch::minimum(d2, (1 - x.matmul(x[next])).clamp_min(0));
    }
    return centres;
}

// Each row to its nearest centre (cosine), clusters renumbered largest first (ties: lower old id), and
// the members' mean directions as the centroids.
std::vector<int> assignToCentres(MatrixView unit, const torch::Tensor &c, Matrix *centroidsOut)
{
    const torch::Tensor x = detail::viewOf(unit);
    const int n = unit.rows;
    const int k = int(c.size(0));
    std::vector<int> assign(std::size_t(n), 0);
    const torch::Tensor final = x.matmul(c.t()).argmax(1).contiguous();
    const int64_t *l = final.data_ptr<int64_t>();
    // Clusters ordered largest first (ties: lower old id), so ids read like a ranking.
    std::vector<int> sizes(std::size_t(k), 0);
    for (int i = 0; i < n; ++i)
        ++sizes[std::size_t(l[i])];
    std::vector<int> order(static_cast<std::size_t>(k));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return sizes[std::size_t(a)] > sizes[std::size_t(b)]; });
    std::vector<int> rank(static_cast<std::size_t>(k));
    for (int r = 0; r < k; ++r)
        rank[std::size_t(order[std::size_t(r)])] = r;
    for (int i = 0; i < n; ++i)
        assign[std::size_t(i)] = rank[std::size_t(l[i])];
    if (centroidsOut) {
        Matrix centres(k, unit.cols);
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < unit.cols; ++j)
                centres.at(assign[std::size_t(i)], j) += unit.at(i, j);
        normalizeRows(centres);
        *centroidsOut = std::move(centres);
    }
    return assign;
}

}  // namespace

std::vector<int> sphericalKMeans(MatrixView unit, int k, std::uint64_t seed, int iterations, Matrix *centroidsOut)
{
    if (k < 1)
        throw std::invalid_argument("k-means: k must be at least 1");
    const int n = unit.rows;
    std::vector<int> assign(std::size_t(n), 0);
    if (n == 0)
        return assign;
    k = std::min(k, n);
    torch::NoGradGuard noGrad;
    const torch::Tensor x = detail::viewOf(unit);
    const std::vector<int> seeds = seedCentres(x, k, seed);
    torch::Tensor c = x.index_select(0, torch::tensor(std::vector<int64_t>(seeds.begin(), seeds.end()))).clone();
    torch::Tensor labels;
    for (int it = 0; it < std::max(1, iterations); ++it) {
        const torch::Tensor next = x.matmul(c.t()).argmax(1);
        if (labels.defined() && next.equal(labels))
            break;
        labels = next;
        torch::Tensor sums = torch::zeros_like(c).index_add_(0, labels, x);
        const torch::Tensor norms = sums.norm(2, 1, true);
        // An emptied cluster keeps its centre (it may win rows back next round).
        c = torch::where(norms > 1e-12, sums / norms.clamp_min(1e-12), c);
    }
    return assignToCentres(unit, c, centroidsOut);
}

double silhouetteScore(MatrixView unit, const std::vector<int> &assignment, int sample)
{
    const int n = unit.rows;
    const int k = assignment.empty() ? 0 : *std::max_element(assignment.begin(), assignment.end()) + 1;
    if (n < 3 || k < 2)
        return 0;
    const int m = std::min(n, std::max(3, sample));
    std::vector<int64_t> rows(static_cast<std::size_t>(m));
    for (int i = 0; i < m; ++i)
        rows[std::size_t(i)] = int64_t(double(i) * n / m);   // evenly spaced: deterministic
    torch::NoGradGuard noGrad;
    const torch::Tensor x = detail::viewOf(unit).index_select(0, torch::tensor(rows));
    const torch::Tensor dist = (1 - x.matmul(x.t())).clamp_min(0).to(torch::kDouble).contiguous();
    const double *d = dist.data_ptr<double>();
    double total = 0;
    for (int i = 0; i < m; ++i) {
        std::vector<double> sum(std::size_t(k), 0);
        std::vector<int> count(std::size_t(k), 0);
        for (int j = 0; j < m; ++j) {
            if (j == i)
                continue;
            const int c = assignment[std::size_t(rows[std::size_t(j)])];
            sum[std::size_t(c)] += d[std::size_t(i) * std::size_t(m) + std::size_t(j)];
            ++count[std::size_t(c)];
        }
        const int own = assignment[std::size_t(rows[std::size_t(i)])];
        if (count[std::size_t(own)] == 0)
            continue;   // a singleton in the sample scores 0 (Rousseeuw's convention)
        const double a = sum[std::size_t(own)] / count[std::size_t(own)];
        double b = 1e300;
        for (int c = 0; c < k; ++c)
            if (c != own && count[std::size_t(c)] > 0)
                b = std::min(b, sum[std::size_t(c)] / count[std::size_t(c)]);
        if (b < 1e300 && std::max(a, b) > 0)
            total += (b - a) / std::max(a, b);
    }
    return total / m;
}

Clustering clusterEmbeddings(MatrixView unit, const ClusterParams &params, JobControl *job)
{
    Clustering best;
    if (params.k < 0)
        throw std::invalid_argument("clusters: k must be positive (or 0 for auto)");
    if (params.k > 0 || unit.rows < 4) {
        best.k = std::max(1, std::min(params.k > 0 ? params.k : 1, unit.rows));
        best.assignment = sphericalKMeans(unit, best.k, params.seed, params.iterations, &best.centroids);
        best.silhouette = silhouetteScore(unit, best.assignment, params.silhouetteSample);
        return best;
    }
    const int kMax = std::max(2, std::min(params.kMax, int(std::sqrt(unit.rows / 2.0))));
    const bool sampled = params.autoSample > 0 && unit.rows > params.autoSample;
    Matrix sample;
    if (sampled) {
        // Random (seeded), not evenly spaced: rows stored in a periodic order would alias with a stride.
        Rng rng(params.seed);
        std::vector<int> rows = sampleWithoutReplacement(unit.rows, params.autoSample, rng);
        std::sort(rows.begin(), rows.end());
        sample = gatherRows(unit, rows);
    }
    const MatrixView chooseOn = sampled ? MatrixView(sample) : unit;
    if (job) {
        job->setStage(sampled ? u"k-means, k = 2..%1 (silhouette, on %2 of %3 rows)"_qs.arg(kMax).arg(sample.rows).arg(unit.rows)
                              : u"k-means, k = 2..%1 (silhouette)"_qs.arg(kMax));
        job->setTotal(kMax - 1 + (sampled ? 1 : 0));
    }
    best.silhouette = -2;
    for (int k = 2; k <= kMax; ++k) {
        if (job && job->cancelled())
            throw JobCancelled{};
        Clustering c;
        c.k = k;
        c.assignment = sphericalKMeans(chooseOn, k, params.seed, params.iterations, &c.centroids);
        c.silhouette = silhouetteScore(chooseOn, c.assignment, params.silhouetteSample);
        best.silhouetteByK.append({k, c.silhouette});
        if (c.silhouette > best.silhouette) {
            c.silhouetteByK = best.silhouetteByK;
            best = std::move(c);
        }
        if (job)
            job->advance();
    }
    if (sampled) {
        if (job) {
            job->setStage(u"assigning all %1 rows to %2 clusters"_qs.arg(unit.rows).arg(best.k));
            if (job->cancelled())
                throw JobCancelled{};
        }
        // One assignment pass of every row to the sample's centroids (the sample's k-means already
        // converged; a full k-means over a million rows would take minutes more).
        torch::NoGradGuard noGrad;
        const Matrix sampleCentres = best.centroids;
        best.assignment = assignToCentres(unit, detail::viewOf(sampleCentres), &best.centroids);
        best.silhouette = silhouetteScore(unit, best.assignment, params.silhouetteSample);
        if (job)
            job->advance();
    }
    return best;
}

}  // namespace cospace
