// Barnes-Hut t-SNE (van der Maaten 2014) on a cosine kNN graph, as a step-wise Projector.
//
// Conventions follow scikit-learn/openTSNE so layouts are comparable: conditional affinities over
// the 3*perplexity nearest neighbours calibrated by binary search on the precision, symmetrised
// P = (P + P^T) / 2N; gradient without the constant factor 4 and learning rate N/12 (the same step
// as sklearn's "auto" N/(12*4) with the factor); momentum 0.5 then 0.8; delta-bar-delta gains. One
// departure from sklearn: a row's step is clipped to kTsneMaxStepNorm (openTSNE's max_step_norm), so
// kNN hubs cannot be flung out of the layout.
// Every per-point quantity is computed independently and reduced in index order, so the result is
// the same for any thread count.

#include "core/base/job.h"
#include "core/projection/knn_p.h"
#include "core/projection/projection_p.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cospace {
namespace {

constexpr double kMinGain = 0.01;
constexpr double kMomentumEarly = 0.5, kMomentumLate = 0.8;
constexpr double kInitStd = 1e-4;        // PCA init scaled so column 0 has this std (openTSNE, sklearn)
constexpr int kMaxTreeDepth = 40;        // guards against coincident points
constexpr int kParallelMin = 2048;       // below this a parallel region costs more than it saves
constexpr int kInterpolationNodes = 3;   // FIt-SNE / openTSNE defaults
constexpr int kMinBoxes = 50;
constexpr double kBoxWidth = 1.0;
// kNN hubs (rows in many others' neighbour lists, common in high dimension) carry up to 40x the
// average row's share of P, so with the learning rate N/12 against exaggeration 12 their attraction
// overshoots and oscillates outward; at 1M x 512 a handful sat at +-200 while 99.8% of the rows were
// within +-2, and the FFT grid, which covers the whole extent, grew ~10x a side. openTSNE's answer,
// kept here: no row moves farther than kTsneMaxStepNorm in one iteration (ordinary rows never come
// close). Trustworthiness@15 unchanged by it: 20k x 256 0.9933 with and without, 200k x 512 0.9910
// against 0.9912; scaling hubs' steps by their share of P instead cost up to 0.003.

// The bounding box of a 2-D layout (x, y interleaved): lo[d] and hi[d] per axis.
struct Bounds {
    float lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
};

Bounds layoutBounds(const std::vector<float> &y, int n)
{
    Bounds b;
    for (int i = 0; i < n; ++i)
        for (int d = 0; d < 2; ++d) {
            b.lo[d] = std::min(b.lo[d], y[std::size_t(2 * i + d)]);
            b.hi[d] = std::max(b.hi[d], y[std::size_t(2 * i + d)]);
        }
    return b;
}

// Quadtree over the current layout, rebuilt every iteration: nodes in one array, children contiguous.
class QuadTree
{
public:
    struct Node {
        float comX = 0, comY = 0, width = 0;
        int count = 0, child = -1, begin = 0, end = 0;
    };
    void build(const std::vector<float> &y, int n)
    {
        m_y = &y;
        m_nodes.clear();
        m_perm.resize(std::size_t(n));
        std::iota(m_perm.begin(), m_perm.end(), 0);
        const Bounds b = layoutBounds(y, n);
        const float side = std::max(b.hi[0] - b.lo[0], b.hi[1] - b.lo[1]) * 1.0001f + 1e-12f;
        m_nodes.emplace_back();
        split(0, 0, n, b.lo[0], b.lo[1], side, 0);
    }
    // Repulsive force numerator and the Z contribution for point i (theta: Barnes-Hut criterion).
    void repulsion(int i, float theta2, double &fx, double &fy, double &sumQ) const
    {
        const std::vector<float> &y = *m_y;
        const float xi = y[2 * i], yi = y[2 * i + 1];
        int stack[4 * kMaxTreeDepth + 8];
        int top = 0;
        stack[top++] = 0;
        while (top > 0) {
            const Node &nd = m_nodes[std::size_t(stack[--top])];
            if (nd.count == 0) continue;
            const float dx = xi - nd.comX, dy = yi - nd.comY, d2 = dx * dx + dy * dy;
            if (nd.child < 0 || nd.width * nd.width < theta2 * d2) {
                if (nd.child < 0 && nd.count <= 8) {   // small leaf: exact, skipping i itself
                    for (int p = nd.begin; p < nd.end; ++p) {
                        const int j = m_perm[std::size_t(p)];
                        if (j == i) continue;
                        const float ex = xi - y[2 * j], ey = yi - y[2 * j + 1];
                        const double q = 1.0 / (1.0 + ex * ex + ey * ey);
                        sumQ += q; fx += q * q * ex; fy += q * q * ey;
                    }
                } else {
                    const bool self = nd.child < 0;   // deep leaf of coincident points may hold i
                    const double cnt = nd.count - (self && d2 == 0 ? 1 : 0);
                    const double q = 1.0 / (1.0 + d2);
                    sumQ += cnt * q; fx += cnt * q * q * dx; fy += cnt * q * q * dy;
                }
                continue;
            }
            for (int c = 0; c < 4; ++c) stack[top++] = nd.child + c;
        }
    }
private:
    void split(int node, int begin, int end, float x0, float y0, float side, int depth)
    {
        const std::vector<float> &y = *m_y;
        double sx = 0, sy = 0;
        for (int p = begin; p < end; ++p) {
            const int j = m_perm[std::size_t(p)];
            sx += y[2 * j]; sy += y[2 * j + 1];
        }
        Node &nd = m_nodes[std::size_t(node)];
        nd.count = end - begin; nd.begin = begin; nd.end = end; nd.width = side;
        if (nd.count > 0) { nd.comX = float(sx / nd.count); nd.comY = float(sy / nd.count); }
        if (nd.count <= 1 || depth >= kMaxTreeDepth) return;
        const float h = side / 2, mx = x0 + h, my = y0 + h;
        auto *perm = m_perm.data();
        // Partition into quadrants (x<mx,y<my), (x>=mx,y<my), (x<mx,y>=my), (x>=mx,y>=my).
        auto quadrant = [&](int j) { return (y[2 * j] >= mx ? 1 : 0) + (y[2 * j + 1] >= my ? 2 : 0); };
        int bounds[5];
        bounds[0] = begin;
        int start = begin;
        for (int q = 0; q < 3; ++q) {
            start = int(std::stable_partition(perm + start, perm + end, [&](int j) { return quadrant(j) == q; }) - perm);
            bounds[q + 1] = start;
        }
        bounds[4] = end;
        const int child = int(m_nodes.size());
        m_nodes[std::size_t(node)].child = child;
        m_nodes.resize(m_nodes.size() + 4);
        for (int q = 0; q < 4; ++q)
            split(child + q, bounds[q], bounds[q + 1], x0 + (q & 1 ? h : 0), y0 + (q & 2 ? h : 0), h, depth + 1);
    }
    const std::vector<float> *m_y = nullptr;
    std::vector<Node> m_nodes;
    std::vector<int> m_perm;
};

// FFT-accelerated interpolation of the t-SNE repulsion (Linderman et al. 2019, Nat. Methods 16:243,
// "FIt-SNE"): the kernels 1/(1+r^2) and 1/(1+r^2)^2 are evaluated on an equispaced grid of
// kInterpolationNodes Lagrange nodes per box, charges are spread from the points to the nodes, the
// node-to-node sums are one FFT convolution per (kernel, charge), and the potentials are
// interpolated back. Boxes are at most kBoxWidth wide and at least kMinBoxes per side (openTSNE's
// defaults), so the cost is O(N) plus FFTs of a grid that grows with the layout's extent.
// The grids and transforms are single precision (twice as fast as double; trustworthiness@15 on 20k
// real embeddings 0.955 either way); points accumulate their potentials in double.
// Everything is serial, per-point, per-row or one whole transform, so the result is the same for any
// thread count.
class FftRepulsion
{
public:
    // rep[2i..2i+1] = sum_j q_ij^2 (y_i - y_j) with q_ij = 1 / (1 + |y_i - y_j|^2); returns
    // Z = sum_{i != j} q_ij.
    double compute(const std::vector<float> &y, int n, std::vector<double> &rep, int threads)
    {
        const Bounds bounds = layoutBounds(y, n);
        const float *lo = bounds.lo, *hi = bounds.hi;
        const double extent = std::max(hi[0] - lo[0], hi[1] - lo[1]) * (1 + 1e-6) + 1e-9;
        const int boxes = std::max(kMinBoxes, int(std::ceil(extent / kBoxWidth)));
        const double boxW = extent / boxes, h = boxW / kInterpolationNodes;
        const int m = boxes * kInterpolationNodes;
        const int p = cv::getOptimalDFTSize(2 * m - 1);
        m_base.resize(std::size_t(2 * n));
        m_weight.resize(std::size_t(6 * n));
#pragma omp parallel for num_threads(threads) schedule(static) if (n >= kParallelMin)
        for (int i = 0; i < n; ++i)
            for (int d = 0; d < 2; ++d) {
                const double u = (y[2 * i + d] - lo[d]) / boxW;
                const int b = std::min(int(u), boxes - 1);
                lagrange(u - b, &m_weight[std::size_t(6 * i + 3 * d)]);
                m_base[std::size_t(2 * i + d)] = b * kInterpolationNodes;
            }
        // The grids live from one iteration to the next (reallocated when the grid grows): at 1M points
        // a 3000 x 3000 grid's ~0.8 GB of fresh buffers per iteration cost more in page faults than the
        // transforms.
        if (p != m_p) {
            m_p = p;
            const int cols = p / 2 + 1;
            m_charge = torch::empty({3, p, p}, torch::kFloat);
            m_kernel = torch::empty({2, p, p}, torch::kFloat);
            for (torch::Tensor &spectrum : m_spectra)
                spectrum = torch::empty({p, cols}, torch::kComplexFloat);
            m_products = torch::empty({4, p, cols}, torch::kComplexFloat);
            m_potentials = torch::empty({4, p, p}, torch::kFloat);
        }
        // Charges 1, y_x, y_y spread onto the nodes.
        torch::Tensor &charge = m_charge;
        charge.zero_();
        float *ch = charge.data_ptr<float>();
        const std::size_t plane = std::size_t(p) * p;
        for (int i = 0; i < n; ++i)
            for (int a = 0; a < kInterpolationNodes; ++a)
                for (int b = 0; b < kInterpolationNodes; ++b) {
                    const float w = m_weight[std::size_t(6 * i + a)] * m_weight[std::size_t(6 * i + 3 + b)];
                    const std::size_t at = std::size_t(m_base[std::size_t(2 * i)] + a) * p + std::size_t(m_base[std::size_t(2 * i + 1)] + b);
                    ch[at] += w;
                    ch[plane + at] += w * y[2 * i];
                    ch[2 * plane + at] += w * y[2 * i + 1];
                }
        // Kernels 1/(1+r^2) and its square on the circular grid: node offsets 0..m-1 at the start
        // of each axis and -(m-1)..-1 at its end, zero in between (the padding that makes the
        // circular convolution a linear one).
        torch::Tensor &kernel = m_kernel;
        kernel.zero_();
        float *k1 = kernel.data_ptr<float>(), *k2 = k1 + plane;
        const double h2 = h * h;
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int a = 0; a < p; ++a) {
            const int da = a < m ? a : (a > p - m ? p - a : -1);
            if (da < 0) continue;
            for (int b = 0; b < p; ++b) {
                const int db = b < m ? b : (b > p - m ? p - b : -1);
                if (db < 0) continue;
                const float q = float(1.0 / (1.0 + double(da * da + db * db) * h2));
                k1[std::size_t(a) * p + b] = q;
                k2[std::size_t(a) * p + b] = q * q;
            }
        }
        // Five forward transforms, four spectrum products, four inverses. The transforms are
        // LibTorch's (pocketfft, about three times OpenCV's dft at these sizes), one per task since
        // each runs on one thread; a transform's result does not depend on the thread it runs on.
        // The products are computed here, row by row: LibTorch's own complex multiply splits its
        // range by thread count and the split moves the rounding.
        torch::Tensor *spectra = m_spectra;   // K1, K2, charges 1, y_x, y_y
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (int t = 0; t < 5; ++t)
            torch::fft_rfft2_out(spectra[t], t < 2 ? kernel[t] : charge[t - 2]);
        const int cols = p / 2 + 1;
        torch::Tensor &products = m_products;
        static constexpr int kernelOf[4] = {0, 1, 1, 1}, chargeOf[4] = {2, 2, 3, 4};
        using Complex = c10::complex<float>;
        const Complex *spectrum[5];
        for (int t = 0; t < 5; ++t) spectrum[t] = spectra[t].data_ptr<Complex>();
        Complex *product = products.data_ptr<Complex>();
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int row = 0; row < 4 * p; ++row) {
            const int t = row / p;
            const std::size_t at = std::size_t(row % p) * cols;
            const Complex *a = spectrum[kernelOf[t]] + at, *b = spectrum[chargeOf[t]] + at;
            Complex *out = product + std::size_t(row) * cols;
            for (int c = 0; c < cols; ++c)
                out[c] = Complex(a[c].real() * b[c].real() - a[c].imag() * b[c].imag(),
                                 a[c].real() * b[c].imag() + a[c].imag() * b[c].real());
        }
        torch::Tensor &potentials = m_potentials;   // K1*1, K2*1, K2*y_x, K2*y_y
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (int t = 0; t < 4; ++t) {
            torch::Tensor out = potentials[t];
            torch::fft_irfft2_out(out, products[t], torch::IntArrayRef{p, p});
        }
        const float *pot = potentials.data_ptr<float>();
        std::vector<double> z(static_cast<std::size_t>(n));
#pragma omp parallel for num_threads(threads) schedule(static) if (n >= kParallelMin)
        for (int i = 0; i < n; ++i) {
            double phi[4] = {0, 0, 0, 0};
            for (int a = 0; a < kInterpolationNodes; ++a)
                for (int b = 0; b < kInterpolationNodes; ++b) {
                    const double w = m_weight[std::size_t(6 * i + a)] * m_weight[std::size_t(6 * i + 3 + b)];
                    const int r = m_base[std::size_t(2 * i)] + a, c = m_base[std::size_t(2 * i + 1)] + b;
                    for (int t = 0; t < 4; ++t) phi[t] += w * pot[t * plane + std::size_t(r) * p + c];
                }
            z[std::size_t(i)] = phi[0] - 1.0;   // minus the self term q_ii = 1
            rep[std::size_t(2 * i)] = y[2 * i] * phi[1] - phi[2];
            rep[std::size_t(2 * i + 1)] = y[2 * i + 1] * phi[1] - phi[3];
        }
        double total = 0;
        for (double v : z) total += v;
        return total;
    }

private:
    static void lagrange(double t, float *w)
    {
        static constexpr double nodes[3] = {1.0 / 6, 0.5, 5.0 / 6};   // box-centred, spacing 1/3
        for (int k = 0; k < 3; ++k) {
            double v = 1;
            for (int l = 0; l < 3; ++l)
                if (l != k) v *= (t - nodes[l]) / (nodes[k] - nodes[l]);
            w[k] = float(v);
        }
    }
    std::vector<int> m_base;
    std::vector<float> m_weight;
    int m_p = 0;   // the grids' side
    torch::Tensor m_charge, m_kernel, m_spectra[5], m_products, m_potentials;
};

class TsneProjector final : public Projector
{
public:
    TsneProjector(Matrix vectors, const ProjectionOptions &options, JobControl *job)
        : Projector(std::move(vectors), options), m_job(job), m_threads(resolveThreads(options.threads))
    {
        const int n = m_unit.rows;
        if (options.perplexity <= 0 || options.tsneIterations < 1 || options.theta < 0)
            throw std::runtime_error("t-SNE: perplexity and iterations must be positive");
        const int k = knnNeighbours(options, n);
        // Above the exact limit, brute force within the nearest k-means clusters: at 200k x 512 4x faster
        // than HNSW with a higher trustworthiness (bench/projection/README.md, sitting H).
        const KnnGraph g = selfKnn(m_unit, k, m_threads, options.seed, job, kExactKnnLimit);
        if (job && job->cancelled()) throw JobCancelled{};
        m_knnRecall = g.sampledRecall;
        if (job) job->setStage(QStringLiteral("affinities"));
        buildAffinities(g, std::min(options.perplexity, double(k)));
        m_layout = initialLayout(m_unit, options);
        m_eeIterations = options.initial.empty() ? std::min(options.earlyExaggerationIterations, options.tsneIterations) : 0;
        if (options.initial.empty()) {
            double m = 0, s = 0;
            for (int i = 0; i < n; ++i) m += m_layout.at(i, 0);
            m /= n;
            for (int i = 0; i < n; ++i) s += (m_layout.at(i, 0) - m) * (m_layout.at(i, 0) - m);
            const double scale = kInitStd / std::max(std::sqrt(s / std::max(n - 1, 1)), 1e-12);
            for (float &v : m_layout.data) v = float(v * scale);
        }
        using G = ProjectionOptions::TsneGradient;
        m_useFft = options.tsneGradient == G::Fft || (options.tsneGradient == G::Auto && n >= kFftTsneMinRows);
        m_learningRate = options.learningRate > 0 ? options.learningRate : std::max(n / 12.0, 50.0);
        m_update.assign(std::size_t(2 * n), 0.f);
        m_gains.assign(std::size_t(2 * n), 1.f);
        m_grad.assign(std::size_t(2 * n), 0.f);
        m_y = m_layout.data;
        m_order.resize(std::size_t(n));
        std::iota(m_order.begin(), m_order.end(), 0);
    }

    int run(int steps) override
    {
        for (int s = 0; s < steps && m_it < totalIterations(); ++s) {
            if (m_job && m_job->cancelled()) break;
            if (reorderDue(m_it)) reorder();
            step();
            ++m_it;
        }
        const int n = m_layout.rows;   // the caller's row order
        for (int r = 0; r < n; ++r) {
            const std::size_t i = std::size_t(m_order[std::size_t(r)]);
            m_layout.data[2 * i] = m_y[2 * std::size_t(r)];
            m_layout.data[2 * i + 1] = m_y[2 * std::size_t(r) + 1];
        }
        return m_it;
    }
    int iteration() const override { return m_it; }
    int totalIterations() const override { return m_options.tsneIterations; }
    const Matrix &layout() const override { return m_layout; }
    double knnRecall() const override { return m_knnRecall; }

private:
    // Conditional p_{j|i} by binary search on beta so that the entropy equals log(perplexity),
    // then the symmetric joint P in CSR form (rows sorted by column, so sums are in a fixed order).
    void buildAffinities(const KnnGraph &g, double perplexity)
    {
        const int n = g.n, k = g.k;
        const double target = std::log(perplexity);
        std::vector<float> cond(std::size_t(n) * k);
#pragma omp parallel for num_threads(m_threads) schedule(static)
        for (int i = 0; i < n; ++i) {
            const float *d = g.dist.data() + std::size_t(i) * k;
            float *p = cond.data() + std::size_t(i) * k;
            double beta = 1, lo = -INFINITY, hi = INFINITY;
            for (int it = 0; it < 200; ++it) {
                double sum = 0, sumDP = 0;
                for (int j = 0; j < k; ++j) {
                    const double e = std::exp(-beta * (d[j] - d[0]));   // shifted by d[0] for stability
                    p[j] = float(e); sum += e; sumDP += e * (d[j] - d[0]);
                }
                const double entropy = std::log(sum) + beta * sumDP / sum;
                for (int j = 0; j < k; ++j) p[j] = float(p[j] / sum);
                if (std::abs(entropy - target) < 1e-5) break;
                if (entropy > target) { lo = beta; beta = std::isinf(hi) ? beta * 2 : (beta + hi) / 2; }
                else { hi = beta; beta = std::isinf(lo) ? beta / 2 : (beta + lo) / 2; }
            }
        }
        // Row i gathers its own k entries and one from each row that lists i, then sorts them by column
        // and sums a pair's two halves: per row, in parallel (one global sort of 2nk entries took 25 s
        // at 1M rows). The fill order is fixed, so is each row's sum.
        std::vector<int> start(std::size_t(n) + 1, 0);
        for (int i = 0; i < n; ++i) {
            start[std::size_t(i) + 1] += k;
            for (int j = 0; j < k; ++j) ++start[std::size_t(g.index[std::size_t(i) * k + j]) + 1];
        }
        for (int i = 0; i < n; ++i) start[std::size_t(i) + 1] += start[std::size_t(i)];
        std::vector<std::pair<int, float>> raw(static_cast<std::size_t>(start[std::size_t(n)]));
        {
            std::vector<int> cursor(start.begin(), start.end() - 1);
            for (int i = 0; i < n; ++i)
                for (int j = 0; j < k; ++j) {
                    const int t = g.index[std::size_t(i) * k + j];
                    const float v = cond[std::size_t(i) * k + j];
                    raw[std::size_t(cursor[std::size_t(i)]++)] = {t, v};
                    raw[std::size_t(cursor[std::size_t(t)]++)] = {i, v};
                }
        }
        std::vector<int> merged(static_cast<std::size_t>(n));
#pragma omp parallel for num_threads(m_threads) schedule(dynamic, 1024) if (n >= kParallelMin)
        for (int i = 0; i < n; ++i) {
            auto *first = raw.data() + start[std::size_t(i)], *last = raw.data() + start[std::size_t(i) + 1];
            std::sort(first, last, [](auto &a, auto &b) { return a.first < b.first; });
            auto *out = first;
            for (auto *e = first; e < last;) {
                double v = 0;
                const int c = e->first;
                for (; e < last && e->first == c; ++e) v += e->second;
                *out++ = {c, float(v / (2.0 * n))};
            }
            merged[std::size_t(i)] = int(out - first);
        }
        m_rowStart.assign(std::size_t(n) + 1, 0);
        for (int i = 0; i < n; ++i) m_rowStart[std::size_t(i) + 1] = m_rowStart[std::size_t(i)] + merged[std::size_t(i)];
        m_col.resize(std::size_t(m_rowStart[std::size_t(n)]));
        m_val.resize(m_col.size());
#pragma omp parallel for num_threads(m_threads) schedule(static) if (n >= kParallelMin)
        for (int i = 0; i < n; ++i)
            for (int e = 0; e < merged[std::size_t(i)]; ++e) {
                const auto &entry = raw[std::size_t(start[std::size_t(i)] + e)];
                m_col[std::size_t(m_rowStart[std::size_t(i)] + e)] = entry.first;
                m_val[std::size_t(m_rowStart[std::size_t(i)] + e)] = entry.second;
            }
    }

    // Rows are kept in the order of a Morton (Z-order) curve over the layout, re-sorted from time to
    // time: a row's P neighbours then sit close by in memory (at 1M rows the attraction loop waited on
    // scattered reads of a 8 MB layout), and so do the grid nodes a row spreads to and reads back.
    // The layout forms its clusters in early exaggeration and mostly expands afterwards.
    static bool reorderDue(int it) { return it == 0 || it == 50 || it % 250 == 0; }

    void reorder()
    {
        const int n = m_layout.rows;
        const Bounds bounds = layoutBounds(m_y, n);
        const float *lo = bounds.lo, *hi = bounds.hi;
        const float scale[2] = {65535.f / std::max(hi[0] - lo[0], 1e-30f), 65535.f / std::max(hi[1] - lo[1], 1e-30f)};
        std::vector<std::pair<std::uint32_t, int>> keyed(static_cast<std::size_t>(n));
#pragma omp parallel for num_threads(m_threads) schedule(static) if (n >= kParallelMin)
        for (int i = 0; i < n; ++i) {
            std::uint32_t key = 0;
            for (int d = 0; d < 2; ++d) {
                const auto q = std::uint32_t(std::clamp((m_y[std::size_t(2 * i + d)] - lo[d]) * scale[d], 0.f, 65535.f));
                for (int b = 0; b < 16; ++b) key |= ((q >> b) & 1u) << (2 * b + d);
            }
            keyed[std::size_t(i)] = {key, i};
        }
        std::sort(keyed.begin(), keyed.end());   // ties by row: the same order for any thread count
        std::vector<int> at(static_cast<std::size_t>(n));   // old row -> new row
        for (int r = 0; r < n; ++r) at[std::size_t(keyed[std::size_t(r)].second)] = r;
        auto permute = [&](auto &values, int width) {
            auto old = values;
            for (int r = 0; r < n; ++r)
                for (int c = 0; c < width; ++c)
                    values[std::size_t(r) * width + c] = old[std::size_t(keyed[std::size_t(r)].second) * width + c];
        };
        permute(m_y, 2); permute(m_update, 2); permute(m_gains, 2); permute(m_order, 1);
        // P's rows move with their rows, columns are renamed and re-sorted (fixed summation order).
        std::vector<int> rowStart(std::size_t(n) + 1, 0);
        for (int r = 0; r < n; ++r) {
            const int old = keyed[std::size_t(r)].second;
            rowStart[std::size_t(r) + 1] = rowStart[std::size_t(r)] + m_rowStart[std::size_t(old) + 1] - m_rowStart[std::size_t(old)];
        }
        std::vector<int> col(m_col.size());
        std::vector<float> val(m_val.size());
#pragma omp parallel num_threads(m_threads) if (n >= kParallelMin)
        {
            std::vector<std::pair<int, float>> entries;
#pragma omp for schedule(static)
            for (int r = 0; r < n; ++r) {
                const int old = keyed[std::size_t(r)].second;
                entries.clear();
                for (int e = m_rowStart[std::size_t(old)]; e < m_rowStart[std::size_t(old) + 1]; ++e)
                    entries.emplace_back(at[std::size_t(m_col[std::size_t(e)])], m_val[std::size_t(e)]);
                std::sort(entries.begin(), entries.end(), [](auto &a, auto &b) { return a.first < b.first; });
                for (std::size_t e = 0; e < entries.size(); ++e) {
                    col[std::size_t(rowStart[std::size_t(r)]) + e] = entries[e].first;
                    val[std::size_t(rowStart[std::size_t(r)]) + e] = entries[e].second;
                }
            }
        }
        m_rowStart.swap(rowStart); m_col.swap(col); m_val.swap(val);
    }

    double barnesHut(std::vector<double> &rep)
    {
        const int n = m_layout.rows;
        m_tree.build(m_y, n);
        const float theta2 = float(m_options.theta * m_options.theta);
        std::vector<double> sumQ(static_cast<std::size_t>(n));
#pragma omp parallel for num_threads(m_threads) schedule(dynamic, 128) if (n >= kParallelMin)
        for (int i = 0; i < n; ++i) {
            double fx = 0, fy = 0, q = 0;
            m_tree.repulsion(i, theta2, fx, fy, q);
            sumQ[std::size_t(i)] = q; rep[std::size_t(2 * i)] = fx; rep[std::size_t(2 * i + 1)] = fy;
        }
        double z = 0;
        for (double q : sumQ) z += q;   // fixed order: thread-count independent
        return z;
    }

    void step()
    {
        const int n = m_layout.rows;
        std::vector<float> &y = m_y;
        const bool early = m_it < m_eeIterations;
        const double exaggeration = early ? m_options.earlyExaggeration : 1.0;
        const double momentum = early ? kMomentumEarly : kMomentumLate;
        std::vector<double> rep(static_cast<std::size_t>(2 * n));
        double z = m_useFft ? m_fft.compute(y, n, rep, m_threads) : barnesHut(rep);
        z = std::max(z, 1e-300);
#pragma omp parallel for num_threads(m_threads) schedule(dynamic, 128) if (n >= kParallelMin)
        for (int i = 0; i < n; ++i) {
            float ax = 0, ay = 0;
            const float xi = y[std::size_t(2 * i)], yi = y[std::size_t(2 * i + 1)];
            for (int e = m_rowStart[std::size_t(i)]; e < m_rowStart[std::size_t(i) + 1]; ++e) {
                const int j = m_col[std::size_t(e)];
                const float dx = xi - y[std::size_t(2 * j)], dy = yi - y[std::size_t(2 * j + 1)];
                const float w = m_val[std::size_t(e)] / (1.f + dx * dx + dy * dy);
                ax += w * dx; ay += w * dy;
            }
            m_grad[std::size_t(2 * i)] = float(exaggeration * ax - rep[std::size_t(2 * i)] / z);
            m_grad[std::size_t(2 * i + 1)] = float(exaggeration * ay - rep[std::size_t(2 * i + 1)] / z);
        }
#pragma omp parallel for num_threads(m_threads) schedule(static) if (n >= kParallelMin)
        for (int i = 0; i < n; ++i) {
            float *update = &m_update[2 * std::size_t(i)], *gain = &m_gains[2 * std::size_t(i)];
            const float *grad = &m_grad[2 * std::size_t(i)];
            for (int d = 0; d < 2; ++d) {
                const bool sameSign = (grad[d] > 0) == (update[d] > 0);
                gain[d] = float(std::max(sameSign ? gain[d] * 0.8 : gain[d] + 0.2, kMinGain));
                update[d] = float(momentum * update[d] - m_learningRate * gain[d] * grad[d]);
            }
            const double norm = std::hypot(double(update[0]), double(update[1]));
            if (norm > kTsneMaxStepNorm)
                for (int d = 0; d < 2; ++d) update[d] = float(update[d] * (kTsneMaxStepNorm / norm));
            y[2 * std::size_t(i)] += update[0];
            y[2 * std::size_t(i) + 1] += update[1];
        }
        double mx = 0, my = 0;   // keep the layout centred (openTSNE does the same)
        for (int i = 0; i < n; ++i) { mx += y[std::size_t(2 * i)]; my += y[std::size_t(2 * i + 1)]; }
        mx /= n; my /= n;
#pragma omp parallel for num_threads(m_threads) schedule(static) if (n >= kParallelMin)
        for (int i = 0; i < n; ++i) { y[std::size_t(2 * i)] -= float(mx); y[std::size_t(2 * i + 1)] -= float(my); }
    }

    JobControl *m_job;
    int m_threads;
    int m_it = 0;
    int m_eeIterations = 0;
    double m_learningRate = 0;
    Matrix m_layout;                    // the caller's row order, written after each run()
    std::vector<float> m_y;             // the layout in the working order
    std::vector<int> m_order;           // working row -> the caller's row
    std::vector<int> m_rowStart, m_col;
    std::vector<float> m_val, m_update, m_gains, m_grad;
    QuadTree m_tree;
    FftRepulsion m_fft;
    bool m_useFft = false;
    double m_knnRecall = 1.0;
};

}  // namespace

std::unique_ptr<Projector> makeTsne(Matrix vectors, const ProjectionOptions &options, JobControl *job)
{
    return std::make_unique<TsneProjector>(std::move(vectors), options, job);
}

}  // namespace cospace
