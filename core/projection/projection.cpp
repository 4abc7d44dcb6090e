#include "core/projection/projection.h"

#include "core/base/job.h"
#include "core/base/ompthreads.h"
#include "core/projection/knn_p.h"
#include "core/projection/pca.h"
#include "core/projection/projection_p.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace cospace {
namespace {

[[noreturn]] void invalid(const std::string &message) { throw std::runtime_error(message); }

// PCA as a one-step projector, so every method looks the same to the GUI and the CLI. The
// decomposition runs in the constructor (create() is the preparation step) so the projector never
// keeps a copy of the input, which at 1M x 512 is 2 GB; run(1) publishes the layout.
class PcaProjector final : public Projector
{
public:
    PcaProjector(const Matrix &vectors, const ProjectionOptions &options)
        : Projector(Matrix(), options), m_layout(vectors.rows, 2), m_pca(pca(vectors, 2, options.seed)) {}
    int run(int steps) override
    {
        if (steps > 0 && m_done == 0) {
            m_layout = m_pca.projected;
            m_done = 1;
        }
        return m_done;
    }
    int iteration() const override { return m_done; }
    int totalIterations() const override { return 1; }
    const Matrix &layout() const override { return m_layout; }
    Matrix placeExact(const Matrix &v) const
    {
        if (v.cols != m_pca.components.cols)
            invalid("place: vectors have " + std::to_string(v.cols) + " columns, the layout was made from "
                    + std::to_string(m_pca.components.cols));
        Matrix out(v.rows, 2);
        for (int i = 0; i < v.rows; ++i)
            for (int c = 0; c < 2; ++c) {
                double s = 0;
                for (int j = 0; j < v.cols; ++j)
                    s += double(v.at(i, j) - m_pca.mean[std::size_t(j)]) * m_pca.components.at(c, j);
                out.at(i, c) = float(s);
            }
        return out;
    }
private:
    Matrix m_layout;
    PcaResult m_pca;
    int m_done = 0;
};

// A layout made earlier: already finished. Its base class keeps the unit rows for place() whatever
// the method (hence options with a kNN method), so a cached PCA layout places queries by kNN.
class FixedProjector final : public Projector
{
public:
    FixedProjector(RowBlocks unitRows, const Matrix &layout, ProjectionOptions options)
        : Projector(std::move(unitRows), withKnnPlacement(std::move(options))), m_layout(layout) {}
    int run(int) override { return 0; }
    int iteration() const override { return 0; }
    int totalIterations() const override { return 0; }
    const Matrix &layout() const override { return m_layout; }
private:
    static ProjectionOptions withKnnPlacement(ProjectionOptions o)
    {
        o.method = ProjectionMethod::Umap;
        o.initial = {};
        return o;
    }
    Matrix m_layout;
};

void checkProjectionShape(int rows, int cols, const std::string &name)
{
    if (rows < 3)
        invalid(name + ": need at least 3 rows to project, got " + std::to_string(rows));
    if (cols < 2)
        invalid(name + ": need at least 2 columns, got " + std::to_string(cols));
}

void checkModality(const Matrix &v, const std::vector<int> &modality)
{
    validateProjectionInput(v);
    if (modality.size() != std::size_t(v.rows))
        invalid("modality labels: expected one per row");
    for (int m : modality)
        if (m != 0 && m != 1)
            invalid("modality labels must be 0 (image) or 1 (caption)");
}

std::vector<double> modalityMean(const Matrix &unit, const std::vector<int> &modality, int which)
{
    std::vector<double> mean(std::size_t(unit.cols), 0.0);
    int count = 0;
    for (int i = 0; i < unit.rows; ++i) {
        if (modality[std::size_t(i)] != which) continue;
        ++count;
        for (int j = 0; j < unit.cols; ++j) mean[std::size_t(j)] += unit.at(i, j);
    }
    if (count == 0)
        invalid("modality gap: both modalities need at least one row");
    for (double &m : mean) m /= count;
    return mean;
}

}  // namespace

void validateProjectionInput(const Matrix &v, const char *what)
{
    const std::string name(what);
    checkProjectionShape(v.rows, v.cols, name);
    if (v.data.size() != std::size_t(v.rows) * std::size_t(v.cols))
        invalid(name + ": data size does not match " + std::to_string(v.rows) + " x " + std::to_string(v.cols));
    // The first non-finite value, in parallel (a million 512-d rows are half a billion values).
    const std::ptrdiff_t n = std::ptrdiff_t(v.data.size());
    const std::ptrdiff_t first = firstIndexWhere(n, std::ptrdiff_t(1 << 20),
                                                 [&v](std::ptrdiff_t i) { return !std::isfinite(v.data[std::size_t(i)]); });
    if (first < n)
        invalid(name + ": row " + std::to_string(first / v.cols) + " contains NaN or infinity");
}

PowerTable::PowerTable(float b) : m_b(b)
{
    for (int e = 0; e < 256; ++e)
        m_exponent[e] = float(std::exp2(double(e - 127) * b));
    for (int j = 0; j <= kBuckets; ++j)
        m_mantissa[j] = float(std::pow(1.0 + double(j) / kBuckets, double(b)));
}

SmoothKnn smoothKnn(const float *dist, int k, double target)
{
    constexpr int kIterations = 64;
    constexpr double kTolerance = 1e-5;
    constexpr double kMinScale = 1e-3;   // umap-learn MIN_K_DIST_SCALE
    SmoothKnn s;
    double mean = 0;
    for (int j = 0; j < k; ++j) {
        mean += dist[j];
        if (s.rho == 0 && dist[j] > 0) s.rho = dist[j];
    }
    mean /= std::max(k, 1);
    double lo = 0, hi = INFINITY, mid = 1;
    for (int it = 0; it < kIterations; ++it) {
        double sum = 0;
        for (int j = 0; j < k; ++j) {
            const double d = dist[j] - s.rho;
            sum += d > 0 ? std::exp(-d / mid) : 1.0;
        }
        if (std::abs(sum - target) < kTolerance) break;
        if (sum > target) { hi = mid; mid = (lo + hi) / 2; }
        else { lo = mid; mid = std::isinf(hi) ? mid * 2 : (lo + hi) / 2; }
    }
    s.sigma = float(std::max(mid, kMinScale * mean));
    if (s.sigma <= 0) s.sigma = 1e-6f;
    return s;
}

Matrix initialLayout(const Matrix &unit, const ProjectionOptions &options)
{
    if (!options.initial.empty()) {
        if (options.initial.rows != unit.rows || options.initial.cols != 2)
            invalid("initial layout: expected " + std::to_string(unit.rows) + " x 2, got "
                    + std::to_string(options.initial.rows) + " x " + std::to_string(options.initial.cols));
        validateProjectionInput(options.initial, "initial layout");
        return options.initial;
    }
    return pca(unit, 2, options.seed).projected;
}

int knnNeighbours(const ProjectionOptions &options, int rows)
{
    switch (options.method) {
    case ProjectionMethod::Tsne: return std::min(rows - 1, int(std::floor(3 * options.perplexity)));
    case ProjectionMethod::Umap: return std::min(options.nNeighbors - 1, rows - 1);
    case ProjectionMethod::Pca: break;
    }
    return 0;
}

Projector::Projector(Matrix vectors, const ProjectionOptions &options)
    : m_unitRows(std::make_shared<const Matrix>(options.method == ProjectionMethod::Pca ? Matrix() : normalizedRows(std::move(vectors)))),
      m_unit(*m_unitRows), m_options(options)
{
    m_placeRows.append(m_unit, m_unitRows);
}

Projector::Projector(RowBlocks unitRows, const ProjectionOptions &options)
    : m_unitRows(std::make_shared<const Matrix>()), m_unit(*m_unitRows), m_placeRows(std::move(unitRows)), m_options(options) {}

std::unique_ptr<Projector> Projector::create(const Matrix &vectors, const ProjectionOptions &options, JobControl *job)
{
    if (options.method == ProjectionMethod::Pca) {   // reads the rows, keeps no copy
        validateProjectionInput(vectors);
        return std::make_unique<PcaProjector>(vectors, options);
    }
    return create(Matrix(vectors), options, job);   // t-SNE and UMAP normalise a copy
}

std::unique_ptr<Projector> Projector::create(Matrix &&vectors, const ProjectionOptions &options, JobControl *job)
{
    validateProjectionInput(vectors);
    switch (options.method) {
    case ProjectionMethod::Pca: return std::make_unique<PcaProjector>(vectors, options);
    case ProjectionMethod::Tsne: return makeTsne(std::move(vectors), options, job);   // normalised in place
    case ProjectionMethod::Umap: return makeUmap(std::move(vectors), options, job);
    }
    invalid("unknown projection method");
}

namespace {

// Sum of squares in double over eight independent lanes (the compiler may vectorise them; one
// chain of dependent adds may not be reordered), for a check, not for normalising.
double squaredNorm(const float *x, int n)
{
    double lane[8] = {};
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; ++l)
            lane[l] += double(x[j + l]) * x[j + l];
    for (; j < n; ++j)
        lane[0] += double(x[j]) * x[j];
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

// Throws unless `vectors` (finite) and `layout` (rows x 2, finite) can make a fixed projector; true when
// every row is unit length. One pass over the rows (a mapped million of them are 2 GB).
bool checkFixedInput(const RowBlocks &vectors, const Matrix &layout)
{
    checkProjectionShape(vectors.rows(), vectors.cols(), "vectors");
    if (layout.rows != vectors.rows() || layout.cols != 2)
        invalid("layout: expected " + std::to_string(vectors.rows()) + " x 2, got " + std::to_string(layout.rows)
                + " x " + std::to_string(layout.cols));
    validateProjectionInput(layout, "layout");
    bool allUnit = true;
    for (const RowBlocks::Block &b : vectors.blocks()) {
        const MatrixView v = b.rows;
        int firstBad = v.rows;
        bool unit = true;
#pragma omp parallel for schedule(static) reduction(min : firstBad) reduction(&& : unit) if (v.rows > 10000)
        for (int i = 0; i < v.rows; ++i) {
            const double sq = squaredNorm(v.row(i), v.cols);
            if (!std::isfinite(sq))
                firstBad = std::min(firstBad, i);
            unit = unit && std::abs(sq - 1.0) <= 1e-4;
        }
        if (firstBad < v.rows)
            invalid("vectors: row " + std::to_string(b.first + firstBad) + " contains NaN or infinity");
        allUnit = allUnit && unit;
    }
    return allUnit;
}

}  // namespace

// Unit rows are kept as they are; normalizing any other row would change it, so then a copy.
std::unique_ptr<Projector> Projector::fromLayout(const Matrix &vectors, const Matrix &layout,
                                                 const ProjectionOptions &options)
{
    const bool unit = checkFixedInput(RowBlocks::viewing(vectors), layout);
    return std::make_unique<FixedProjector>(RowBlocks::owning(unit ? vectors : normalizedRows(vectors)), layout, options);
}

std::unique_ptr<Projector> Projector::fromLayout(RowBlocks vectors, const Matrix &layout, const ProjectionOptions &options)
{
    if (!checkFixedInput(vectors, layout))
        vectors = RowBlocks::owning(normalizedRows(vectors.copy()));
    return std::make_unique<FixedProjector>(std::move(vectors), layout, options);
}

Matrix Projector::place(const Matrix &vectors) const
{
    if (auto *p = dynamic_cast<const PcaProjector *>(this))
        return p->placeExact(vectors);
    if (vectors.cols != m_placeRows.cols())
        invalid("place: vectors have " + std::to_string(vectors.cols) + " columns, the layout was made from "
                + std::to_string(m_placeRows.cols()));
    for (float x : vectors.data)
        if (!std::isfinite(x)) invalid("place: vectors contain NaN or infinity");
    const int k = std::min(m_options.nNeighbors, m_placeRows.rows());
    const KnnGraph g = queryKnn(m_placeRows, normalizedRows(vectors), k, m_options.threads);
    const Matrix &y = layout();
    Matrix out(vectors.rows, 2);
    for (int i = 0; i < g.n; ++i) {
        const float *d = g.dist.data() + std::size_t(i) * g.k;
        const int *nb = g.index.data() + std::size_t(i) * g.k;
        const SmoothKnn s = smoothKnn(d, g.k, std::log2(double(g.k)));
        double wx = 0, wy = 0, w = 0;
        for (int j = 0; j < g.k; ++j) {
            const double m = membership(d[j], s);
            wx += m * y.at(nb[j], 0);
            wy += m * y.at(nb[j], 1);
            w += m;
        }
        out.at(i, 0) = float(wx / w);
        out.at(i, 1) = float(wy / w);
    }
    return out;
}

namespace {

Matrix runToEnd(std::unique_ptr<Projector> p, JobControl *job, double *knnRecall)
{
    if (knnRecall)
        *knnRecall = p->knnRecall();
    if (job) {
        job->setStage(QStringLiteral("optimising layout"));
        job->setTotal(job->snapshot().done + p->totalIterations());   // after the kNN stage's count
    }
    while (!p->finished()) {
        const int before = p->iteration();
        p->run(10);
        if (job) job->advance(p->iteration() - before);
        if (job && job->cancelled()) throw JobCancelled{};
    }
    if (job) job->finish();
    return p->layout();
}

}  // namespace

Matrix project(const Matrix &vectors, const ProjectionOptions &options, JobControl *job, double *knnRecall)
{
    return runToEnd(Projector::create(vectors, options, job), job, knnRecall);
}

Matrix project(Matrix &&vectors, const ProjectionOptions &options, JobControl *job, double *knnRecall)
{
    return runToEnd(Projector::create(std::move(vectors), options, job), job, knnRecall);
}

namespace {

// The distance between the two modalities' mean unit rows, `modalityOf(i)` (0 or 1) naming row i's:
// each row normalised (normalizeRow) and summed in row order in double, one pass, no normalised copy.
template <typename ModalityOf>
double gapOfRows(const RowBlocks &vectors, ModalityOf modalityOf)
{
    const std::size_t cols = std::size_t(vectors.cols());
    std::vector<double> sum[2] = {std::vector<double>(cols), std::vector<double>(cols)};
    int count[2] = {0, 0};
    std::vector<float> unit(cols);
    for (const RowBlocks::Block &b : vectors.blocks())
        for (int i = 0; i < b.rows.rows; ++i) {
            const std::span<const float> row = b.rows.rowSpan(i);
            if (!std::all_of(row.begin(), row.end(), [](float v) { return std::isfinite(v); }))
                invalid("vectors: row " + std::to_string(b.first + i) + " contains NaN or infinity");
            std::copy(row.begin(), row.end(), unit.begin());
            normalizeRow(unit);
            const int m = modalityOf(b.first + i);
            ++count[m];
            for (std::size_t j = 0; j < cols; ++j)
                sum[m][j] += unit[j];
        }
    if (count[0] == 0 || count[1] == 0)
        invalid("modality gap: both modalities need at least one row");
    double s = 0;
    for (std::size_t j = 0; j < cols; ++j) {
        const double d = sum[0][j] / count[0] - sum[1][j] / count[1];
        s += d * d;
    }
    return std::sqrt(s);
}

}  // namespace

double modalityGap(const Matrix &vectors, const std::vector<int> &modality)
{
    checkModality(vectors, modality);
    return gapOfRows(RowBlocks::viewing(vectors), [&modality](int i) { return modality[std::size_t(i)]; });
}

double modalityGap(const RowBlocks &vectors, int imageCount)
{
    checkProjectionShape(vectors.rows(), vectors.cols(), "vectors");
    return gapOfRows(vectors, [imageCount](int i) { return i < imageCount ? 0 : 1; });
}

double centreModalities(Matrix &vectors, const std::vector<int> &modality)
{
    const double gap = modalityGap(vectors, modality);
    vectors = normalizedRows(vectors);
    const std::vector<double> means[2] = {modalityMean(vectors, modality, 0), modalityMean(vectors, modality, 1)};
    for (int i = 0; i < vectors.rows; ++i) {
        const auto &m = means[modality[std::size_t(i)]];
        for (int j = 0; j < vectors.cols; ++j) vectors.at(i, j) -= float(m[std::size_t(j)]);
    }
    return gap;
}

}  // namespace cospace
