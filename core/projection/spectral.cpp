// Spectral initialisation for UMAP (umap-learn's spectral_layout): the eigenvectors of the
// normalised graph Laplacian I - D^-1/2 W D^-1/2 for its second and third smallest eigenvalues,
// i.e. of A = D^-1/2 W D^-1/2 for its largest after the trivial one (D^1/2 1, eigenvalue 1).
// Found by Lanczos with full reorthogonalisation, the trivial vector deflated. A fixed number of
// steps, not convergence: on a graph of many loose clusters the leading eigenvalues crowd near 1,
// and a partly converged vector from their span places the clusters as well for a start.
//
// Deterministic for any thread count: sums over rows run in fixed blocks, added in block order.

#include "core/projection/pca.h"
#include "core/projection/projection_p.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cospace {
namespace {

constexpr int kLanczosSteps = 64;
constexpr int kSumBlocks = 64;
constexpr int kParallelRows = 20000;   // graphs smaller than this run on one thread
constexpr int kMetaTsneMin = 50;   // components laid out by t-SNE of their means from this many   // fixed row blocks for sums (thread-count independent)

double blockedDot(const double *x, const double *y, int n, int threads)
{
    double partial[kSumBlocks];
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int b = 0; b < kSumBlocks; ++b) {
        const int from = int(std::int64_t(n) * b / kSumBlocks), to = int(std::int64_t(n) * (b + 1) / kSumBlocks);
        double s = 0;
        for (int i = from; i < to; ++i) s += x[i] * y[i];
        partial[b] = s;
    }
    return std::accumulate(partial, partial + kSumBlocks, 0.0);
}

void axpy(double a, const double *x, double *y, int n, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int i = 0; i < n; ++i) y[i] += a * x[i];
}

// Eigen-decomposition of a small symmetric matrix (row-major m x m) by cyclic Jacobi rotations:
// eigenvalues on return in `a`'s diagonal, eigenvectors in the columns of `v`.
void jacobiEigen(std::vector<double> &a, std::vector<double> &v, int m)
{
    v.assign(std::size_t(m) * m, 0.0);
    for (int i = 0; i < m; ++i) v[std::size_t(i) * m + i] = 1;
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0;
        for (int p = 0; p < m; ++p)
            for (int q = p + 1; q < m; ++q) off += a[std::size_t(p) * m + q] * a[std::size_t(p) * m + q];
        if (off < 1e-24) break;
        for (int p = 0; p < m; ++p)
            for (int q = p + 1; q < m; ++q) {
                const double apq = a[std::size_t(p) * m + q];
                if (std::abs(apq) < 1e-300) continue;
                const double theta = (a[std::size_t(q) * m + q] - a[std::size_t(p) * m + p]) / (2 * apq);
                const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
                const double c = 1 / std::sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < m; ++k) {   // columns p, q
                    const double akp = a[std::size_t(k) * m + p], akq = a[std::size_t(k) * m + q];
                    a[std::size_t(k) * m + p] = c * akp - s * akq;
                    a[std::size_t(k) * m + q] = s * akp + c * akq;
                }
                for (int k = 0; k < m; ++k) {   // rows p, q
                    const double apk = a[std::size_t(p) * m + k], aqk = a[std::size_t(q) * m + k];
                    a[std::size_t(p) * m + k] = c * apk - s * aqk;
                    a[std::size_t(q) * m + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < m; ++k) {
                    const double vkp = v[std::size_t(k) * m + p], vkq = v[std::size_t(k) * m + q];
                    v[std::size_t(k) * m + p] = c * vkp - s * vkq;
                    v[std::size_t(k) * m + q] = s * vkp + c * vkq;
                }
            }
    }
}

// Divides m by its largest magnitude, so it spans at most [-1, 1]; false (m unchanged) when that
// is not a positive number.
bool scaleToUnit(Matrix &m)
{
    float extent = 0;
    for (float x : m.data) extent = std::max(extent, std::abs(x));
    if (!(extent > 0)) return false;
    for (float &x : m.data) x /= extent;
    return true;
}

// Connected component of every row (numbered by first row) and their count.
int components(int n, const std::vector<int> &head, const std::vector<int> &tail, std::vector<int> &label)
{
    std::vector<int> parent(static_cast<std::size_t>(n));
    std::iota(parent.begin(), parent.end(), 0);
    auto find = [&](int i) {
        while (parent[std::size_t(i)] != i) i = parent[std::size_t(i)] = parent[std::size_t(parent[std::size_t(i)])];
        return i;
    };
    for (std::size_t e = 0; e < head.size(); ++e) {
        const int a = find(head[e]), b = find(tail[e]);
        if (a != b) parent[std::size_t(std::max(a, b))] = std::min(a, b);
    }
    label.assign(std::size_t(n), -1);
    int count = 0;
    for (int i = 0; i < n; ++i) {
        const int root = find(i);
        if (label[std::size_t(root)] < 0) label[std::size_t(root)] = count++;
        label[std::size_t(i)] = label[std::size_t(root)];
    }
    return count;
}

// The spectral layout of a connected graph, scaled to [-1, 1]; empty when it cannot be computed.
Matrix connectedLayout(int n, const std::vector<int> &head, const std::vector<int> &tail,
                       const std::vector<float> &weight, std::uint64_t seed, int threads)
{
    if (n < 4)
        return {};
    if (n < kParallelRows)
        threads = 1;   // parallel regions would cost more than these sums
    Rng rng(seed);
    // CSR by head (the edges come sorted by head) and A's scaling D^-1/2.
    std::vector<std::size_t> first(std::size_t(n) + 1, 0);
    for (int h : head) ++first[std::size_t(h) + 1];
    for (int i = 0; i < n; ++i) first[std::size_t(i) + 1] += first[std::size_t(i)];
    std::vector<double> invSqrtDegree(static_cast<std::size_t>(n), 0.0);
    for (std::size_t e = 0; e < head.size(); ++e) invSqrtDegree[std::size_t(head[e])] += weight[e];
    std::vector<double> trivial(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        trivial[std::size_t(i)] = std::sqrt(invSqrtDegree[std::size_t(i)]);
        invSqrtDegree[std::size_t(i)] = 1 / trivial[std::size_t(i)];
    }
    const double trivialNorm = std::sqrt(blockedDot(trivial.data(), trivial.data(), n, threads));
    for (double &t : trivial) t /= trivialNorm;

    auto multiply = [&](const double *x, double *y) {   // y = A x
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int i = 0; i < n; ++i) {
            double s = 0;
            for (std::size_t e = first[std::size_t(i)]; e < first[std::size_t(i) + 1]; ++e)
                s += double(weight[e]) * invSqrtDegree[std::size_t(tail[e])] * x[tail[e]];
            y[i] = s * invSqrtDegree[std::size_t(i)];
        }
    };
    auto orthogonalise = [&](double *w, const std::vector<std::vector<double>> &basis) {
        axpy(-blockedDot(trivial.data(), w, n, threads), trivial.data(), w, n, threads);
        for (const auto &b : basis) axpy(-blockedDot(b.data(), w, n, threads), b.data(), w, n, threads);
    };

    // Up to kLanczosSteps rows: the whole space, so exact eigenvectors. Larger components get fewer
    // steps than kLanczosSteps (the m^3 Jacobi step stays cheap for hundreds of them).
    const int steps = n <= kLanczosSteps ? n - 1 : std::min(kLanczosSteps, 16 + int(std::sqrt(double(n))));
    std::vector<std::vector<double>> basis;
    std::vector<double> w(static_cast<std::size_t>(n)), alpha, beta;
    for (double &x : w) x = rng.uniform() - 0.5;
    for (int j = 0; j < steps; ++j) {
        orthogonalise(w.data(), basis);
        orthogonalise(w.data(), basis);   // twice is enough (Kahan-Parlett)
        const double norm = std::sqrt(blockedDot(w.data(), w.data(), n, threads));
        if (j > 0) beta.push_back(norm);
        if (norm < 1e-10) { if (j > 0) beta.pop_back(); break; }
        for (double &x : w) x /= norm;
        basis.push_back(w);
        multiply(basis.back().data(), w.data());
        alpha.push_back(blockedDot(basis.back().data(), w.data(), n, threads));
    }
    const int m = int(basis.size());
    if (m < 2)
        return {};
    std::vector<double> t(std::size_t(m) * m, 0.0), v;
    for (int i = 0; i < m; ++i) t[std::size_t(i) * m + i] = alpha[std::size_t(i)];
    for (int i = 0; i + 1 < m; ++i) t[std::size_t(i) * m + i + 1] = t[std::size_t(i + 1) * m + i] = beta[std::size_t(i)];
    jacobiEigen(t, v, m);
    std::vector<int> order(static_cast<std::size_t>(m));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return t[std::size_t(a) * m + a] > t[std::size_t(b) * m + b]; });

    Matrix layout(n, 2);
    for (int c = 0; c < 2; ++c) {
        const int col = order[std::size_t(c)];
        for (int i = 0; i < n; ++i) {
            double s = 0;
            for (int j = 0; j < m; ++j) s += basis[std::size_t(j)][std::size_t(i)] * v[std::size_t(j) * m + col];
            layout.at(i, c) = float(s);
        }
    }
    if (!scaleToUnit(layout)) return {};
    return layout;
}

// Several components (umap-learn's multi_component_layout, simplified): the components' mean
// rows are laid out first (PCA, or t-SNE from kMetaTsneMin components), then each component's own
// spectral layout is drawn around its place, within 0.4 of the distance to the nearest other one.
Matrix componentsLayout(const Matrix &unit, const std::vector<int> &head, const std::vector<int> &tail,
                        const std::vector<float> &weight, const std::vector<int> &label, int count,
                        std::uint64_t seed, int threads)
{
    const int n = unit.rows, d = unit.cols;
    Matrix centroids(count, d);
    std::vector<int> size(static_cast<std::size_t>(count), 0);
    {
        std::vector<double> sum(std::size_t(count) * d, 0.0);
        for (int i = 0; i < n; ++i) {
            const int c = label[std::size_t(i)];
            ++size[std::size_t(c)];
            for (int j = 0; j < d; ++j) sum[std::size_t(c) * d + j] += unit.at(i, j);
        }
        for (int c = 0; c < count; ++c)
            for (int j = 0; j < d; ++j) centroids.at(c, j) = float(sum[std::size_t(c) * d + j] / size[std::size_t(c)]);
    }
    Matrix meta;
    if (count >= kMetaTsneMin) {
        ProjectionOptions o;
        o.method = ProjectionMethod::Tsne;
        o.perplexity = std::min(30.0, (count - 1) / 3.0);
        o.threads = threads;
        meta = project(centroids, o);
    } else if (count >= 3) {
        meta = pca(centroids, 2, 1).projected;
    } else {   // two: side by side
        meta = Matrix(2, 2);
        meta.at(0, 0) = -1;
        meta.at(1, 0) = 1;
    }
    if (!scaleToUnit(meta)) std::fill(meta.data.begin(), meta.data.end(), 0.f);
    // Each component's radius: 0.4 of the distance to the nearest other centre (umap-learn: 0.5,
    // which lets neighbouring components touch).
    std::vector<float> radius(static_cast<std::size_t>(count), 1.f);
    for (int a = 0; a < count; ++a) {
        float nearest = INFINITY;
        for (int b = 0; b < count; ++b) {
            if (a == b) continue;
            const float dx = meta.at(a, 0) - meta.at(b, 0), dy = meta.at(a, 1) - meta.at(b, 1);
            nearest = std::min(nearest, std::sqrt(dx * dx + dy * dy));
        }
        radius[std::size_t(a)] = std::isfinite(nearest) && nearest > 0 ? 0.4f * nearest : 0.05f;
    }
    // Rows of each component, in order, and their local numbers.
    std::vector<std::vector<int>> rows(static_cast<std::size_t>(count));
    std::vector<int> local(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        local[std::size_t(i)] = int(rows[std::size_t(label[std::size_t(i)])].size());
        rows[std::size_t(label[std::size_t(i)])].push_back(i);
    }
    std::vector<std::vector<int>> subHead(static_cast<std::size_t>(count)), subTail(static_cast<std::size_t>(count));
    std::vector<std::vector<float>> subWeight(static_cast<std::size_t>(count));
    for (std::size_t e = 0; e < head.size(); ++e) {   // sorted by head stays sorted by local head
        const std::size_t c = std::size_t(label[std::size_t(head[e])]);
        subHead[c].push_back(local[std::size_t(head[e])]);
        subTail[c].push_back(local[std::size_t(tail[e])]);
        subWeight[c].push_back(weight[e]);
    }
    Matrix layout(n, 2);
    // Components one per thread; each draws from its own generator, so any thread count agrees.
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int c = 0; c < count; ++c) {
        const std::vector<int> &members = rows[std::size_t(c)];
        const std::uint64_t componentSeed = seed + 0x9E3779B97F4A7C15ull * std::uint64_t(c + 1);
        const int componentThreads = int(members.size()) >= kParallelRows ? threads : 1;
        const Matrix own = connectedLayout(int(members.size()), subHead[std::size_t(c)], subTail[std::size_t(c)],
                                           subWeight[std::size_t(c)], componentSeed, componentThreads);
        Rng rng(componentSeed ^ 1);
        const float r = radius[std::size_t(c)];
        for (std::size_t i = 0; i < members.size(); ++i) {
            const float ox = own.empty() ? float(rng.uniform() * 2 - 1) : own.at(int(i), 0);
            const float oy = own.empty() ? float(rng.uniform() * 2 - 1) : own.at(int(i), 1);
            layout.at(members[i], 0) = meta.at(c, 0) + r * ox;
            layout.at(members[i], 1) = meta.at(c, 1) + r * oy;
        }
    }
    return layout;
}

}  // namespace

Matrix spectralLayout(const Matrix &unit, const std::vector<int> &head, const std::vector<int> &tail,
                      const std::vector<float> &weight, std::uint64_t seed, int threads)
{
    const int n = unit.rows;
    Rng rng(seed ^ 0x2545F4914F6CDD1Dull);   // the noise
    std::vector<int> label;
    const int count = components(n, head, tail, label);
    Matrix layout;
    if (count == 1) {
        layout = connectedLayout(n, head, tail, weight, seed, threads);
        if (layout.empty()) return {};
    } else {
        layout = componentsLayout(unit, head, tail, weight, label, count, seed, threads);
    }
    // umap-learn adds noise of 1e-4 (at a scale of 10) so that identical rows do not coincide.
    for (float &x : layout.data) x = 10.f * x + float(1e-4 * (rng.uniform() - 0.5));
    return layout;
}

}  // namespace cospace
