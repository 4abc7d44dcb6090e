// The projection engine: PCA on a hand-checked case, t-SNE/UMAP on separated blobs, determinism,
// resume == uninterrupted, cancel/continue, out-of-sample placement, Procrustes, modality gap,
// invalid input, and `cospace-cli project` end to end. Small N throughout: each case runs in well
// under a second or two.

#include "core/projection/alignment.h"
#include "core/base/job.h"
#include "core/projection/knn_p.h"
#include "core/projection/layoutcache.h"
#include "core/base/npy.h"
#include "core/projection/pca.h"
#include "core/projection/projection.h"
#include "core/projection/projection_p.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>

using namespace cospace;

namespace {

struct Blobs {
    Matrix x;
    std::vector<int> label;
};

// `clusters` tight Gaussian blobs around random directions on the unit sphere (cosine-separated).
Blobs makeBlobs(int clusters, int perCluster, int dim, double spread, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.f, 1.f);
    Matrix centres(clusters, dim);
    for (float &v : centres.data) v = g(rng);
    Blobs b{Matrix(clusters * perCluster, dim), {}};
    for (int c = 0; c < clusters; ++c) {
        double norm = 0;
        for (int j = 0; j < dim; ++j) norm += centres.at(c, j) * centres.at(c, j);
        for (int p = 0; p < perCluster; ++p) {
            const int i = c * perCluster + p;
            for (int j = 0; j < dim; ++j)
                b.x.at(i, j) = float(centres.at(c, j) / std::sqrt(norm) + spread * g(rng) / std::sqrt(dim));
            b.label.push_back(c);
        }
    }
    return b;
}

// Indices of the k nearest rows of row i in a 2-D layout (Euclidean), self excluded.
std::vector<int> layoutNeighbours(const Matrix &y, int i, int k)
{
    std::vector<std::pair<float, int>> d;
    for (int j = 0; j < y.rows; ++j)
        if (j != i) d.emplace_back(std::hypot(y.at(i, 0) - y.at(j, 0), y.at(i, 1) - y.at(j, 1)), j);
    std::partial_sort(d.begin(), d.begin() + k, d.end());
    std::vector<int> out;
    for (int j = 0; j < k; ++j) out.push_back(d[std::size_t(j)].second);
    return out;
}

// Fraction of each point's 10 layout neighbours that come from its own blob (1 = perfectly separated).
double neighbourPurity(const Matrix &y, const std::vector<int> &label)
{
    double same = 0;
    for (int i = 0; i < y.rows; ++i)
        for (int j : layoutNeighbours(y, i, 10)) same += label[std::size_t(j)] == label[std::size_t(i)];
    return same / (10.0 * y.rows);
}

ProjectionOptions options(ProjectionMethod method, int iterations = 0)
{
    ProjectionOptions o;
    o.method = method;
    o.seed = 7;
    o.threads = 1;   // the machine may be busy: 2 spinning OpenMP threads on 1 free core crawl
    if (iterations > 0) { o.tsneIterations = iterations; o.umapEpochs = iterations; }
    return o;
}

bool allFinite(const Matrix &m)
{
    return std::all_of(m.data.begin(), m.data.end(), [](float v) { return std::isfinite(v); });
}

}  // namespace

class TestProjection : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void layoutCacheKeyFollowsContent_data();
    void layoutCacheKeyFollowsContent();
    void powerTableMatchesPow_data();
    void powerTableMatchesPow();
    void rowBlocksReadAsOneTable_data();
    void rowBlocksReadAsOneTable();
    void layoutCacheKeyIgnoresBlocks_data();
    void layoutCacheKeyIgnoresBlocks();
    void pcaHandChecked();
    void pcaRandomizedFindsPlantedDirections_data();
    void pcaRandomizedFindsPlantedDirections();
    void separatesBlobs_data();
    void separatesBlobs();
    void clusteredKnnRecall_data();
    void clusteredKnnRecall();
    void spectralOrdersAPath_data();
    void spectralOrdersAPath();
    void spectralKeepsComponentsApart();
    void tsneKeepsHubsInPlace_data();
    void tsneKeepsHubsInPlace();
    void deterministic_data();
    void deterministic();
    void resumeEqualsUninterrupted_data();
    void resumeEqualsUninterrupted();
    void cancelThenContinue();
    void placesDuplicateNextToOriginal_data();
    void placesDuplicateNextToOriginal();
    void fromLayoutIsFinishedAndPlaces_data();
    void fromLayoutIsFinishedAndPlaces();
    void fromLayoutSharesUnitRows_data();
    void fromLayoutSharesUnitRows();
    void fromLayoutRejectsNonFiniteRows_data();
    void fromLayoutRejectsNonFiniteRows();
    void modalityGapOfBlocksMatchesMatrix_data();
    void modalityGapOfBlocksMatchesMatrix();
    void orthogonalProcrustesRecoversRotation();
    void procrustes2DRecoversSimilarity_data();
    void procrustes2DRecoversSimilarity();
    void initialLayoutIsUsed();
    void modalityGap();
    void rejectsInvalidInput_data();
    void rejectsInvalidInput();
    void cliProjectEndToEnd_data();
    void cliProjectEndToEnd();
};

// Rows (±2, 0, 5) and (0, ±1, 5): mean (0, 0, 5), covariance diag(8/3, 2/3, 0) with divisor N-1 = 3,
// so PC1 = x, PC2 = y and the scores are the centred x and y coordinates.
// The layout cache's key changes with any value, any order of rows, the shape and the options, and
// only with them (the digest behind it reads 64-bit words in four chains; sizes not a multiple of
// 32 bytes have a tail).
void TestProjection::layoutCacheKeyFollowsContent_data()
{
    using Edit = std::function<void(Matrix &, ProjectionOptions &)>;
    QTest::addColumn<int>("rows");
    QTest::addColumn<Edit>("edit");
    QTest::addColumn<bool>("sameKey");
    const auto none = [](Matrix &, ProjectionOptions &) {};
    for (int rows : {5, 64}) {   // 5 x 3 floats: 60 bytes, a 28-byte tail; 64 x 3: 768, none
        QTest::addRow("%s/%d", "unchanged", rows) << rows << Edit(none) << true;
        QTest::addRow("%s/%d", "first value", rows) << rows << Edit([](Matrix &m, ProjectionOptions &) { m.data.front() += 1e-6f; }) << false;
        QTest::addRow("%s/%d", "last value", rows) << rows << Edit([](Matrix &m, ProjectionOptions &) { m.data.back() = -m.data.back(); }) << false;
        QTest::addRow("%s/%d", "a middle value", rows) << rows << Edit([](Matrix &m, ProjectionOptions &) { m.data[7] = 0; }) << false;
        QTest::addRow("%s/%d", "two rows swapped", rows) << rows << Edit([](Matrix &m, ProjectionOptions &) {
            std::swap_ranges(m.row(0), m.row(0) + m.cols, m.row(1));
        }) << false;
        QTest::addRow("%s/%d", "same values, other shape", rows) << rows << Edit([](Matrix &m, ProjectionOptions &) {
            std::swap(m.rows, m.cols);
        }) << false;
        QTest::addRow("%s/%d", "seed", rows) << rows << Edit([](Matrix &, ProjectionOptions &o) { ++o.seed; }) << false;
        QTest::addRow("%s/%d", "initial layout", rows) << rows << Edit([](Matrix &m, ProjectionOptions &o) {
            o.initial = Matrix(m.rows, 2, 0.5f);
        }) << false;
    }
}

void TestProjection::layoutCacheKeyFollowsContent()
{
    using Edit = std::function<void(Matrix &, ProjectionOptions &)>;
    QFETCH(int, rows);
    QFETCH(Edit, edit);
    QFETCH(bool, sameKey);
    std::mt19937 rng(3);
    std::normal_distribution<float> g;
    Matrix m(rows, 3);
    for (float &v : m.data)
        v = g(rng);
    ProjectionOptions options;
    const QString before = layoutCacheKey(m, options);
    QCOMPARE(layoutCacheKey(m, options), before);   // deterministic
    edit(m, options);
    QCOMPARE(layoutCacheKey(m, options) == before, sameKey);
}

// `m`'s rows split at `cuts` into owned blocks of one table (as a workspace's images and captions are).
static RowBlocks splitRows(const Matrix &m, const std::vector<int> &cuts, std::vector<std::shared_ptr<const Matrix>> *owners = nullptr)
{
    RowBlocks table(m.cols);
    int from = 0;
    for (std::size_t c = 0; c <= cuts.size(); ++c) {
        const int to = c < cuts.size() ? cuts[c] : m.rows;
        auto part = std::make_shared<const Matrix>(MatrixView(m).middleRows(from, to - from).copy());
        table.append(MatrixView(*part), part);
        if (owners)
            owners->push_back(part);
        from = to;
    }
    return table;
}

// UMAP's table power against std::pow in double: within 1e-6 relative over the range of squared
// layout distances (and far beyond), exact where it hands over (0, subnormals), NaN for negatives.
void TestProjection::powerTableMatchesPow_data()
{
    QTest::addColumn<float>("b");
    QTest::newRow("min_dist 0.1 (b 0.79)") << 0.7915f;
    QTest::newRow("b 0.5") << 0.5f;
    QTest::newRow("b 1.5") << 1.5f;
}

void TestProjection::powerTableMatchesPow()
{
    QFETCH(float, b);
    const PowerTable power(b);
    std::mt19937 rng(8);
    std::uniform_real_distribution<double> log10x(-12.0, 12.0);
    double worst = 0;
    for (int i = 0; i < 200000; ++i) {
        const float x = float(std::pow(10.0, log10x(rng)));
        const double exact = std::pow(double(x), double(b));
        worst = std::max(worst, std::abs(double(power(x)) - exact) / exact);
    }
    QVERIFY2(worst < 1e-6, qPrintable(QString::number(worst)));
    for (float x : {1.f, 2.f, 4.f, 0.25f})   // powers of two: the exponent table alone
        QVERIFY(std::abs(double(power(x)) - std::pow(double(x), double(b))) <= 1e-6 * std::pow(double(x), double(b)));
    QCOMPARE(power(0.f), 0.f);
    const float subnormal = std::numeric_limits<float>::denorm_min() * 1000;
    QCOMPARE(power(subnormal), std::pow(subnormal, b));
    QVERIFY(std::isnan(power(-1.f)));
}

// Rows in blocks read as the rows of one matrix: row(), slice() (sharing the blocks) and copy().
void TestProjection::rowBlocksReadAsOneTable_data()
{
    QTest::addColumn<std::vector<int>>("cuts");
    QTest::addColumn<int>("first");
    QTest::addColumn<int>("count");
    QTest::newRow("one block, all") << std::vector<int>{} << 0 << 9;
    QTest::newRow("one block, middle") << std::vector<int>{} << 2 << 5;
    QTest::newRow("three blocks, all") << std::vector<int>{3, 4} << 0 << 9;
    QTest::newRow("three blocks, across all") << std::vector<int>{3, 4} << 2 << 5;
    QTest::newRow("three blocks, inside the last") << std::vector<int>{3, 4} << 5 << 3;
    QTest::newRow("three blocks, nothing") << std::vector<int>{3, 4} << 4 << 0;
}

void TestProjection::rowBlocksReadAsOneTable()
{
    QFETCH(std::vector<int>, cuts);
    QFETCH(int, first);
    QFETCH(int, count);
    Matrix m(9, 4);
    for (std::size_t i = 0; i < m.data.size(); ++i)
        m.data[i] = float(i);
    std::vector<std::shared_ptr<const Matrix>> owners;
    const RowBlocks table = splitRows(m, cuts, &owners);
    QCOMPARE(table.rows(), m.rows);
    QCOMPARE(table.cols(), m.cols);
    for (int i = 0; i < m.rows; ++i)
        QCOMPARE(table.row(i)[0], m.at(i, 0));
    const RowBlocks part = table.slice(first, count);
    QCOMPARE(part.rows(), count);
    QVERIFY(part.copy().data == std::vector<float>(m.row(first), m.row(first) + std::size_t(count) * m.cols));
    QVERIFY(table.copy(first, count).data == part.copy().data);
    for (const RowBlocks::Block &b : part.blocks())   // views into the same memory, not copies
        QVERIFY(b.rows.values == table.row(first + b.first));
    QCOMPARE(part.contiguous(), part.blocks().size() <= 1);
    Matrix storage;
    const MatrixView one = part.viewOrCopy(storage);   // in place when one block, else a copy
    QCOMPARE(one.rows, count);
    QVERIFY(std::equal(one.values, one.values + std::size_t(count) * m.cols, m.row(first)));
    QCOMPARE(storage.empty(), part.contiguous());
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, table.slice(first, m.rows - first + 1));
    RowBlocks wrong = table;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, wrong.append(Matrix(2, 5)));
}

// A table's key is its rows' key however they are split into blocks, whatever the byte tail of a
// block (3 columns: 12-byte rows, so the 32-byte groups of the digest straddle the blocks).
void TestProjection::layoutCacheKeyIgnoresBlocks_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<std::vector<int>>("cuts");
    QTest::newRow("one block") << 7 << std::vector<int>{};
    QTest::newRow("cut after 1 row") << 7 << std::vector<int>{1};
    QTest::newRow("cut after 3 and 4 rows") << 7 << std::vector<int>{3, 4};
    QTest::newRow("a block per row") << 7 << std::vector<int>{1, 2, 3, 4, 5, 6};
    QTest::newRow("64 rows in three") << 64 << std::vector<int>{10, 41};
}

void TestProjection::layoutCacheKeyIgnoresBlocks()
{
    QFETCH(int, rows);
    QFETCH(std::vector<int>, cuts);
    std::mt19937 rng(5);
    std::normal_distribution<float> g;
    Matrix m(rows, 3);
    for (float &v : m.data)
        v = g(rng);
    ProjectionOptions options;
    const RowBlocks table = splitRows(m, cuts);
    QCOMPARE(int(table.blocks().size()), int(cuts.size()) + 1);
    QCOMPARE(layoutCacheKey(table, options), layoutCacheKey(m, options));
    Matrix other = m;
    other.data.back() += 1.f;
    QVERIFY(layoutCacheKey(table, options) != layoutCacheKey(other, options));
}

void TestProjection::pcaHandChecked()
{
    Matrix x(4, 3);
    const float rows[4][3] = {{2, 0, 5}, {0, 1, 5}, {-2, 0, 5}, {0, -1, 5}};
    for (int i = 0; i < 4; ++i) for (int j = 0; j < 3; ++j) x.at(i, j) = rows[i][j];
    const PcaResult r = pca(x, 2);
    QCOMPARE(r.mean[2], 5.f);
    QVERIFY(std::abs(r.explainedVariance[0] - 8.f / 3) < 1e-5f);
    QVERIFY(std::abs(r.explainedVariance[1] - 2.f / 3) < 1e-5f);
    QVERIFY(std::abs(r.components.at(0, 0) - 1.f) < 1e-6f);   // sign: largest loading positive
    QVERIFY(std::abs(r.components.at(1, 1) - 1.f) < 1e-6f);
    for (int i = 0; i < 4; ++i) {
        QVERIFY(std::abs(r.projected.at(i, 0) - rows[i][0]) < 1e-5f);
        QVERIFY(std::abs(r.projected.at(i, 1) - rows[i][1]) < 1e-5f);
    }
}

// N > 2000 and D > 64 takes the randomized path: it must find two planted directions, with two
// power iterations and (above 50M values) with one.
void TestProjection::pcaRandomizedFindsPlantedDirections_data()
{
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("d");
    QTest::newRow("two power iterations") << 3000 << 100;
    QTest::newRow("one power iteration (large input)") << 100'000 << 500;
}

void TestProjection::pcaRandomizedFindsPlantedDirections()
{
    QFETCH(int, n);
    QFETCH(int, d);
    std::mt19937 rng(3);
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<float> u(d, 0.f), v(d, 0.f);
    u[3] = 0.6f; u[40] = 0.8f;          // unit, orthogonal
    v[10] = 1.f;
    Matrix x(n, d);
    for (int i = 0; i < n; ++i) {
        const float a = 3 * g(rng), b = 2 * g(rng);
        for (int j = 0; j < d; ++j) x.at(i, j) = 1.f + a * u[j] + b * v[j] + 0.05f * g(rng);
    }
    const PcaResult r = pca(x, 2, 11);
    double du = 0, dv = 0;
    for (int j = 0; j < d; ++j) { du += r.components.at(0, j) * u[j]; dv += r.components.at(1, j) * v[j]; }
    QVERIFY2(std::abs(du) > 0.999 && std::abs(dv) > 0.999, qPrintable(u"%1 %2"_qs.arg(du).arg(dv)));
    QVERIFY(std::abs(r.explainedVariance[0] / 9.0 - 1.0) < 0.1);
}

void TestProjection::separatesBlobs_data()
{
    QTest::addColumn<int>("method");
    QTest::addColumn<bool>("fft");
    QTest::newRow("tsne barnes-hut") << int(ProjectionMethod::Tsne) << false;
    QTest::newRow("tsne fft") << int(ProjectionMethod::Tsne) << true;
    QTest::newRow("umap") << int(ProjectionMethod::Umap) << false;
}

void TestProjection::separatesBlobs()
{
    QFETCH(int, method);
    QFETCH(bool, fft);
    const Blobs b = makeBlobs(6, 80, 32, 0.3, 1);
    ProjectionOptions o = options(ProjectionMethod(method));
    o.tsneGradient = fft ? ProjectionOptions::TsneGradient::Fft : ProjectionOptions::TsneGradient::BarnesHut;
    const Matrix y = project(b.x, o);
    QCOMPARE(y.rows, b.x.rows);
    QCOMPARE(y.cols, 2);
    QVERIFY(allFinite(y));
    const double purity = neighbourPurity(y, b.label);
    QVERIFY2(purity > 0.97, qPrintable(u"10-NN blob purity %1"_qs.arg(purity)));
}

void TestProjection::tsneKeepsHubsInPlace_data()
{
    QTest::addColumn<bool>("fft");
    QTest::newRow("barnes-hut") << false;
    QTest::newRow("fft") << true;
}

// A row that is every blob member's nearest neighbour (the blob's centre, in high dimension) carries
// many times the average row's share of P, and its attraction overshoots in early exaggeration (at 1M x
// 512 such hubs were flung ~100x the layout's bulk out and stretched the FFT grid 10x a side). With a
// learning rate far above N/12 every row's raw step is huge: no row may still move more than the step
// bound (twice it: re-centring the layout shifts every row by the mean step), and at the end each hub
// sits inside its blob.
void TestProjection::tsneKeepsHubsInPlace()
{
    QFETCH(bool, fft);
    const int blobs = 6, members = 100;
    Blobs b = makeBlobs(blobs, members, 64, 1.5, 9);
    Matrix x(blobs * (members + 1), b.x.cols);
    std::copy(b.x.data.begin(), b.x.data.end(), x.data.begin());
    for (int c = 0; c < blobs; ++c)   // hub c: the mean of blob c's members
        for (int i = 0; i < members; ++i)
            for (int j = 0; j < x.cols; ++j) x.at(blobs * members + c, j) += b.x.at(c * members + i, j) / members;
    ProjectionOptions o = options(ProjectionMethod::Tsne, 300);
    o.tsneGradient = fft ? ProjectionOptions::TsneGradient::Fft : ProjectionOptions::TsneGradient::BarnesHut;
    {
        ProjectionOptions fast = o;
        fast.learningRate = 20000;
        auto p = Projector::create(x, fast);
        Matrix before = p->layout();
        double largest = 0;
        for (int it = 0; it < 40; ++it) {
            p->run(1);
            const Matrix &y = p->layout();
            QVERIFY(allFinite(y));
            for (int i = 0; i < y.rows; ++i)
                largest = std::max(largest, double(std::hypot(y.at(i, 0) - before.at(i, 0), y.at(i, 1) - before.at(i, 1))));
            before = y;
        }
        QVERIFY2(largest <= 2 * kTsneMaxStepNorm * (1 + 1e-5), qPrintable(u"a row moved %1 in one iteration"_qs.arg(largest)));
        QVERIFY(largest > 0.5 * kTsneMaxStepNorm);   // the bound was reached, so it was exercised
    }
    auto p = Projector::create(x, o);
    p->run(o.tsneIterations);
    const Matrix &y = p->layout();
    QVERIFY(allFinite(y));
    for (int c = 0; c < blobs; ++c) {
        double cx = 0, cy = 0;
        for (int i = c * members; i < (c + 1) * members; ++i) { cx += y.at(i, 0); cy += y.at(i, 1); }
        cx /= members; cy /= members;
        double radius = 0;   // the blob's farthest member from its mean
        for (int i = c * members; i < (c + 1) * members; ++i)
            radius = std::max(radius, std::hypot(y.at(i, 0) - cx, y.at(i, 1) - cy));
        const int hub = blobs * members + c;
        const double off = std::hypot(y.at(hub, 0) - cx, y.at(hub, 1) - cy);
        QVERIFY2(off <= radius, qPrintable(u"hub %1 is %2 from its blob's mean, the blob's radius %3"_qs.arg(c).arg(off).arg(radius)));
    }
}

void TestProjection::deterministic_data()
{
    QTest::addColumn<int>("method");
    QTest::newRow("pca") << int(ProjectionMethod::Pca);
    QTest::newRow("tsne") << int(ProjectionMethod::Tsne);
    QTest::newRow("tsne fft") << int(ProjectionMethod::Tsne) + 100;
    QTest::newRow("umap") << int(ProjectionMethod::Umap);
}

// Same seed -> identical layout, and (below the exact-kNN limit) 1 thread == 2 threads.
void TestProjection::deterministic()
{
    QFETCH(int, method);
    const bool fft = method >= 100;
    method %= 100;
    const Blobs b = makeBlobs(4, 50, 16, 0.5, 2);
    ProjectionOptions o = options(ProjectionMethod(method), 150);
    if (fft) o.tsneGradient = ProjectionOptions::TsneGradient::Fft;
    const Matrix first = project(b.x, o);
    const Matrix again = project(b.x, o);
    QVERIFY(first.data == again.data);
    if (method != int(ProjectionMethod::Pca)) {
        o.threads = 2;
        QVERIFY(project(b.x, o).data == first.data);
    }
    if (method == int(ProjectionMethod::Umap)) {   // t-SNE from a PCA start draws no random numbers
        o.seed = 8;
        QVERIFY(project(b.x, o).data != first.data);
    }
}

void TestProjection::resumeEqualsUninterrupted_data() { deterministic_data(); }

void TestProjection::resumeEqualsUninterrupted()
{
    QFETCH(int, method);
    const bool fft = method >= 100;
    method %= 100;
    const Blobs b = makeBlobs(4, 50, 16, 0.5, 3);
    ProjectionOptions o = options(ProjectionMethod(method), 200);
    if (fft) o.tsneGradient = ProjectionOptions::TsneGradient::Fft;
    auto whole = Projector::create(b.x, o);
    whole->run(200);
    auto parts = Projector::create(b.x, o);
    parts->run(100);
    QCOMPARE(parts->finished(), method == int(ProjectionMethod::Pca));
    parts->run(100);
    QVERIFY(parts->finished());
    QCOMPARE(parts->iteration(), whole->iteration());
    QVERIFY(parts->layout().data == whole->layout().data);
}

void TestProjection::cancelThenContinue()
{
    const Blobs b = makeBlobs(3, 40, 8, 0.5, 4);
    JobControl job;
    auto p = Projector::create(b.x, options(ProjectionMethod::Tsne, 60), &job);
    p->run(20);
    QCOMPARE(p->iteration(), 20);
    job.cancel();
    QCOMPARE(p->run(20), 20);   // cancelled: no step taken, state intact
    JobControl fresh;
    auto reference = Projector::create(b.x, options(ProjectionMethod::Tsne, 60), &fresh);
    reference->run(20);
    QVERIFY(p->layout().data == reference->layout().data);
    QVERIFY_THROWS_EXCEPTION(JobCancelled, project(b.x, options(ProjectionMethod::Umap), &job));
}

void TestProjection::placesDuplicateNextToOriginal_data() { deterministic_data(); }

// A copy of row 5 must land closer to row 5 than row 5's 10th-nearest layout neighbour is.
void TestProjection::placesDuplicateNextToOriginal()
{
    QFETCH(int, method);
    method %= 100;
    const Blobs b = makeBlobs(5, 40, 24, 0.4, 5);
    auto p = Projector::create(b.x, options(ProjectionMethod(method)));
    p->run(p->totalIterations());
    const Matrix &y = p->layout();
    Matrix dup(1, b.x.cols);
    std::copy(b.x.row(5), b.x.row(5) + b.x.cols, dup.row(0));
    const Matrix placed = p->place(dup);
    QCOMPARE(placed.rows, 1);
    const float dist = std::hypot(placed.at(0, 0) - y.at(5, 0), placed.at(0, 1) - y.at(5, 1));
    const int tenth = layoutNeighbours(y, 5, 10).back();
    const float radius = std::hypot(y.at(tenth, 0) - y.at(5, 0), y.at(tenth, 1) - y.at(5, 1));
    QVERIFY2(dist <= radius, qPrintable(u"placed %1 away, 10-NN radius %2"_qs.arg(dist).arg(radius)));
    if (method == int(ProjectionMethod::Pca))
        QVERIFY(dist < 1e-4f);   // linear: the exact same point
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, p->place(Matrix(1, b.x.cols + 1)));
}

void TestProjection::fromLayoutIsFinishedAndPlaces_data() { deterministic_data(); }

// A layout read back from a cache: finished at once, the same layout, and place() as good as the
// original's (a duplicate of row 5 lands within its 10-NN radius).
void TestProjection::fromLayoutIsFinishedAndPlaces()
{
    QFETCH(int, method);
    method %= 100;
    const Blobs b = makeBlobs(5, 40, 24, 0.4, 6);
    const Matrix layout = project(b.x, options(ProjectionMethod(method)));
    auto p = Projector::fromLayout(b.x, layout, options(ProjectionMethod(method)));
    QVERIFY(p->finished());
    QVERIFY(p->layout().data == layout.data);
    Matrix dup(1, b.x.cols);
    std::copy(b.x.row(5), b.x.row(5) + b.x.cols, dup.row(0));
    const Matrix placed = p->place(dup);
    const float dist = std::hypot(placed.at(0, 0) - layout.at(5, 0), placed.at(0, 1) - layout.at(5, 1));
    const int tenth = layoutNeighbours(layout, 5, 10).back();
    const float radius = std::hypot(layout.at(tenth, 0) - layout.at(5, 0), layout.at(tenth, 1) - layout.at(5, 1));
    QVERIFY2(dist <= radius, qPrintable(u"placed %1 away, 10-NN radius %2"_qs.arg(dist).arg(radius)));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Projector::fromLayout(b.x, Matrix(3, 2), options(ProjectionMethod(method))));
}

// Over the caller's rows in blocks (a big workspace's mapped images and captions): unit rows are
// shared, not copied; other rows are normalised into a copy, the caller's left as they were. Either way
// place() matches the copying overload's exactly (kNN over the blocks merged as over one matrix).
void TestProjection::fromLayoutSharesUnitRows_data()
{
    QTest::addColumn<float>("scale");
    QTest::addColumn<std::vector<int>>("cuts");
    QTest::addColumn<bool>("shared");
    QTest::newRow("unit rows, one block") << 1.f << std::vector<int>{} << true;
    QTest::newRow("unit rows, three blocks") << 1.f << std::vector<int>{40, 41} << true;
    QTest::newRow("rows of length 3, one block") << 3.f << std::vector<int>{} << false;
    QTest::newRow("rows of length 3, two blocks") << 3.f << std::vector<int>{70} << false;
}

void TestProjection::fromLayoutSharesUnitRows()
{
    QFETCH(float, scale);
    QFETCH(std::vector<int>, cuts);
    QFETCH(bool, shared);
    const Blobs b = makeBlobs(4, 30, 16, 0.4, 9);
    Matrix unit = normalizedRows(b.x);
    for (float &v : unit.data)
        v *= scale;
    std::vector<std::shared_ptr<const Matrix>> owners;
    const RowBlocks table = splitRows(unit, cuts, &owners);
    const Matrix layout = project(b.x, options(ProjectionMethod::Pca));
    const auto p = Projector::fromLayout(table, layout, options(ProjectionMethod::Umap));
    for (const auto &owner : owners)
        QCOMPARE(owner.use_count(), shared ? 3 : 2);   // here, the table, and the projector when shared
    QVERIFY(table.copy().data == unit.data);   // never normalised in place
    const auto copied = Projector::fromLayout(unit, layout, options(ProjectionMethod::Umap));
    Matrix queries(3, unit.cols);
    for (int q = 0; q < 3; ++q)
        std::copy(b.x.row(q * 17 + 20), b.x.row(q * 17 + 20) + b.x.cols, queries.row(q));
    QVERIFY(p->place(queries).data == copied->place(queries).data);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Projector::fromLayout(RowBlocks(unit.cols), layout, options(ProjectionMethod::Umap)));
}

// A NaN or infinity in any block is refused, naming its row in the whole table.
void TestProjection::fromLayoutRejectsNonFiniteRows_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<float>("value");
    QTest::newRow("NaN in the first block") << 5 << std::numeric_limits<float>::quiet_NaN();
    QTest::newRow("infinity in the second block") << 57 << std::numeric_limits<float>::infinity();
    QTest::newRow("NaN in the last row") << 119 << std::numeric_limits<float>::quiet_NaN();
}

void TestProjection::fromLayoutRejectsNonFiniteRows()
{
    QFETCH(int, row);
    QFETCH(float, value);
    const Blobs b = makeBlobs(4, 30, 16, 0.4, 9);
    Matrix unit = normalizedRows(b.x);
    unit.at(row, 3) = value;
    const Matrix layout(unit.rows, 2, 0.5f);
    try {
        Projector::fromLayout(splitRows(unit, {50}), layout, options(ProjectionMethod::Umap));
        QFAIL("a non-finite row was accepted");
    } catch (const std::runtime_error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(u"row %1 "_qs.arg(row)), e.what());
    }
}

// The gap of a table whose first rows are images equals the gap with per-row labels, bit for bit.
void TestProjection::modalityGapOfBlocksMatchesMatrix_data()
{
    QTest::addColumn<int>("images");
    QTest::addColumn<std::vector<int>>("cuts");
    QTest::newRow("one block") << 50 << std::vector<int>{};
    QTest::newRow("blocks at the modality border") << 50 << std::vector<int>{50};
    QTest::newRow("blocks across it") << 50 << std::vector<int>{20, 90};
    QTest::newRow("one caption") << 119 << std::vector<int>{60};
}

void TestProjection::modalityGapOfBlocksMatchesMatrix()
{
    QFETCH(int, images);
    QFETCH(std::vector<int>, cuts);
    const Blobs b = makeBlobs(4, 30, 16, 0.4, 11);
    std::vector<int> modality(std::size_t(b.x.rows), 1);
    std::fill_n(modality.begin(), images, 0);
    const double expected = cospace::modalityGap(b.x, modality);
    QVERIFY(expected > 0);
    QCOMPARE(cospace::modalityGap(splitRows(b.x, cuts), images), expected);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, cospace::modalityGap(splitRows(b.x, cuts), 0));
}

void TestProjection::orthogonalProcrustesRecoversRotation()
{
    const int n = 60, d = 6;
    std::mt19937 rng(6);
    std::normal_distribution<float> g(0.f, 1.f);
    Matrix a(n, d);
    for (float &v : a.data) v = g(rng);
    // A known orthogonal matrix: a product of Givens rotations in planes (0,1), (2,4), (1,5).
    Matrix r(d, d);
    for (int i = 0; i < d; ++i) r.at(i, i) = 1;
    const int planes[3][2] = {{0, 1}, {2, 4}, {1, 5}};
    const double angles[3] = {0.7, -1.2, 2.1};
    for (int p = 0; p < 3; ++p) {
        const int i = planes[p][0], j = planes[p][1];
        const float c = float(std::cos(angles[p])), s = float(std::sin(angles[p]));
        for (int row = 0; row < d; ++row) {
            const float ri = r.at(row, i), rj = r.at(row, j);
            r.at(row, i) = c * ri - s * rj;
            r.at(row, j) = s * ri + c * rj;
        }
    }
    const Matrix b = applyRotation(a, r);
    const Matrix found = orthogonalProcrustes(a, b);
    for (std::size_t k = 0; k < r.data.size(); ++k)
        QVERIFY2(std::abs(found.data[k] - r.data[k]) < 1e-4f, qPrintable(u"entry %1"_qs.arg(k)));
}

void TestProjection::procrustes2DRecoversSimilarity_data()
{
    QTest::addColumn<double>("angle");
    QTest::addColumn<double>("scale");
    QTest::addColumn<bool>("reflect");
    QTest::newRow("rotate 40 deg, scale 2") << 0.698 << 2.0 << false;
    QTest::newRow("rotate -170 deg, shrink") << -2.967 << 0.3 << false;
    QTest::newRow("mirrored") << 1.0 << 1.0 << true;
}

void TestProjection::procrustes2DRecoversSimilarity()
{
    QFETCH(double, angle);
    QFETCH(double, scale);
    QFETCH(bool, reflect);
    std::mt19937 rng(9);
    std::normal_distribution<float> g(0.f, 1.f);
    Matrix ref(50, 2), moving(50, 2);
    for (float &v : ref.data) v = 5 * g(rng);
    // moving = inverse transform of ref: ref = s R (mirror?) moving + t
    const double c = std::cos(angle), s = std::sin(angle);
    const float tx = 3.f, ty = -7.f;
    for (int i = 0; i < 50; ++i) {
        const double x = (ref.at(i, 0) - tx) / scale, y = (ref.at(i, 1) - ty) / scale;
        moving.at(i, 0) = float(c * x + s * y);
        moving.at(i, 1) = float(-s * x + c * y) * (reflect ? -1.f : 1.f);
    }
    const Similarity2D t = procrustes2D(moving, ref);
    QCOMPARE(t.reflect, reflect);
    QVERIFY(std::abs(t.scale() - scale) < 1e-4);
    QVERIFY(std::abs(std::remainder(t.angleRadians() - angle, 2 * M_PI)) < 1e-4);
    QVERIFY(t.rmsd < 1e-4);
    std::vector<float> displacement;
    alignLayout(moving, ref, &displacement);
    QCOMPARE(int(displacement.size()), 50);
    QVERIFY(*std::max_element(displacement.begin(), displacement.end()) < 1e-3f);
}

// Starting from a previous layout keeps items where they were when the data has not changed.
void TestProjection::initialLayoutIsUsed()
{
    const Blobs b = makeBlobs(4, 40, 16, 0.4, 10);
    ProjectionOptions o = options(ProjectionMethod::Umap, 200);
    const Matrix first = project(b.x, o);
    // Start from the first layout moved 100 units right: a run that ignored it would land near [0, 10].
    o.initial = first;
    for (int i = 0; i < first.rows; ++i) o.initial.at(i, 0) += 100.f;
    o.seed = 99;
    const Matrix second = project(b.x, o);
    double meanX = 0;
    for (int i = 0; i < second.rows; ++i) meanX += second.at(i, 0) / second.rows;
    QVERIFY2(meanX > 50, qPrintable(u"mean x %1"_qs.arg(meanX)));
    std::vector<float> displacement;
    alignLayout(second, first, &displacement);
    std::sort(displacement.begin(), displacement.end());
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < first.rows; ++i) { lo = std::min(lo, first.at(i, 0)); hi = std::max(hi, first.at(i, 0)); }
    const float median = displacement[displacement.size() / 2];
    QVERIFY2(median < 0.25f * (hi - lo), qPrintable(u"median displacement %1 of width %2"_qs.arg(median).arg(hi - lo)));
    o.initial = Matrix(3, 2);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Projector::create(b.x, o));
}

void TestProjection::modalityGap()
{
    // Two modalities, each a blob around a different axis: the gap is |e0 - e1| = sqrt(2) when tight.
    Matrix x(6, 3);
    std::vector<int> modality{0, 0, 0, 1, 1, 1};
    for (int i = 0; i < 3; ++i) { x.at(i, 0) = 1; x.at(i + 3, 1) = 1; }
    QVERIFY(std::abs(cospace::modalityGap(x, modality) - std::sqrt(2.0)) < 1e-6);
    x.at(1, 2) = 0.5f;   // spread the images a little
    const double removed = centreModalities(x, modality);
    QVERIFY(removed > 1.0);
    QVERIFY(cospace::modalityGap(x, modality) < removed);   // recomputed on re-normalised rows
    for (int j = 0; j < 3; ++j) {
        double m0 = 0, m1 = 0;
        for (int i = 0; i < 3; ++i) { m0 += x.at(i, j); m1 += x.at(i + 3, j); }
        QVERIFY(std::abs(m0) < 1e-6 && std::abs(m1) < 1e-6);
    }
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, cospace::modalityGap(x, {0, 1}));
}

void TestProjection::rejectsInvalidInput_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::addColumn<bool>("nan");
    QTest::addColumn<QString>("expected");
    QTest::newRow("two rows") << 2 << 8 << false << u"at least 3 rows"_qs;
    QTest::newRow("empty") << 0 << 0 << false << u"at least 3 rows"_qs;
    QTest::newRow("one column") << 10 << 1 << false << u"at least 2 columns"_qs;
    QTest::newRow("NaN") << 10 << 4 << true << u"row 3 contains NaN"_qs;
}

void TestProjection::rejectsInvalidInput()
{
    QFETCH(int, rows);
    QFETCH(int, cols);
    QFETCH(bool, nan);
    QFETCH(QString, expected);
    Matrix x(rows, cols, 0.5f);
    for (std::size_t i = 0; i < x.data.size(); ++i) x.data[i] = float(i % 7) - 3;
    if (nan) x.at(3, 1) = NAN;
    for (ProjectionMethod m : {ProjectionMethod::Pca, ProjectionMethod::Tsne, ProjectionMethod::Umap}) {
        try {
            project(x, options(m));
            QFAIL("expected std::runtime_error");
        } catch (const std::runtime_error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(expected), e.what());
        }
    }
}

void TestProjection::cliProjectEndToEnd_data()
{
    QTest::addColumn<QString>("method");
    QTest::newRow("pca") << u"pca"_qs;
    QTest::newRow("tsne") << u"tsne"_qs;
    QTest::newRow("umap") << u"umap"_qs;
}

void TestProjection::cliProjectEndToEnd()
{
    QFETCH(QString, method);
    QTemporaryDir dir;
    const Blobs b = makeBlobs(3, 40, 16, 0.3, 12);
    const QString in = dir.filePath(u"x.npy"_qs), outPath = dir.filePath(u"y.npy"_qs);
    writeNpy(in, b.x);
    QProcess p;
    p.start(QStringLiteral(COSPACE_CLI), {u"--threads"_qs, u"1"_qs, u"project"_qs, u"--vectors"_qs, in,
                                           u"--method"_qs, method, u"--out"_qs, outPath, u"--seed"_qs, u"3"_qs,
                                           u"--timing"_qs});
    QVERIFY(p.waitForFinished(60000));
    const QByteArray stderrText = p.readAllStandardError();
    QVERIFY2(p.exitCode() == 0, stderrText.constData());
    QVERIFY(p.readAllStandardOutput().contains(" s"));   // prints the wall time
    // --timing: each stage's seconds on stderr, the optimisation last for the iterative methods.
    const QRegularExpression stageLine(u"^project: (.+) (\\d+\\.\\d\\d) s$"_qs, QRegularExpression::MultilineOption);
    QStringList stages;
    for (auto it = stageLine.globalMatch(QString::fromUtf8(stderrText)); it.hasNext();)
        stages << it.next().captured(1);
    QVERIFY2(!stages.isEmpty(), stderrText.constData());
    if (method != u"pca")
        QCOMPARE(stages.last(), u"optimising layout"_qs);
    if (method == u"umap")
        QVERIFY2(stages.contains(u"spectral start"_qs), stderrText.constData());
    const Matrix y = readNpy(outPath);
    QCOMPARE(y.rows, b.x.rows);
    QCOMPARE(y.cols, 2);
    QVERIFY(allFinite(y));
    QVERIFY(neighbourPurity(y, b.label) > 0.95);

    // A bad input file fails with the file's name and a non-zero exit code.
    p.start(QStringLiteral(COSPACE_CLI), {u"project"_qs, u"--vectors"_qs, outPath + u".missing"_qs,
                                           u"--method"_qs, method, u"--out"_qs, outPath});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("y.npy.missing"));
}

QTEST_GUILESS_MAIN(TestProjection)
// The clustered kNN (t-SNE and UMAP above their exact limits) finds nearly all exact neighbours on blobs,
// also overlapping ones (clusters have borders to miss across); on unclustered data it widens its
// search until a sampled recall reaches 0.9. The same for 1 and 2 threads.
void TestProjection::clusteredKnnRecall_data()
{
    QTest::addColumn<double>("spread");
    QTest::addColumn<double>("minRecall");
    QTest::newRow("separate blobs") << 0.5 << 0.99;
    QTest::newRow("overlapping blobs") << 1.5 << 0.9;
    QTest::newRow("unclustered (more probes, or brute force)") << 4.0 << 0.9;
}

void TestProjection::clusteredKnnRecall()
{
    QFETCH(double, spread);
    QFETCH(double, minRecall);
    const Matrix unit = normalizedRows(makeBlobs(12, 250, 24, spread, 5).x);
    const int k = 14;
    const KnnGraph exact = selfKnn(unit, k, 1, 1, nullptr, unit.rows);
    const KnnGraph clustered = selfKnn(unit, k, 1, 1, nullptr, 0);
    QCOMPARE(clustered.n, unit.rows);
    QCOMPARE(clustered.k, k);
    int found = 0;
    for (int i = 0; i < unit.rows; ++i) {
        const auto *e = exact.index.data() + std::size_t(i) * k, *c = clustered.index.data() + std::size_t(i) * k;
        for (int j = 0; j < k; ++j) {
            found += std::find(c, c + k, e[j]) != c + k;
            QVERIFY(c[j] != i);
            if (j > 0) QVERIFY(clustered.dist[std::size_t(i) * k + j] >= clustered.dist[std::size_t(i) * k + j - 1]);
        }
    }
    const double recall = double(found) / (double(unit.rows) * k);
    QVERIFY2(recall >= minRecall, qPrintable(QStringLiteral("recall@%1 %2").arg(k).arg(recall)));
    // The recall it reports (`project` prints it) is its sampled check: close to the whole graph's.
    QCOMPARE(exact.sampledRecall, 1.0);
    QVERIFY2(std::abs(clustered.sampledRecall - recall) < 0.05,
             qPrintable(QStringLiteral("sampled %1, whole %2").arg(clustered.sampledRecall).arg(recall)));
    const KnnGraph twoThreads = selfKnn(unit, k, 2, 1, nullptr, 0);
    QVERIFY(twoThreads.index == clustered.index);
    QVERIFY(twoThreads.dist == clustered.dist);
}

// The spectral start of a path graph (Fiedler vector: a half cosine wave) orders the inner nodes
// along its first axis, monotonically, for any thread count.
void TestProjection::spectralOrdersAPath_data()
{
    QTest::addColumn<int>("nodes");
    QTest::newRow("12") << 12;
    QTest::newRow("40") << 40;
}

void TestProjection::spectralOrdersAPath()
{
    QFETCH(int, nodes);
    std::vector<int> head, tail;
    std::vector<float> weight;
    for (int i = 0; i < nodes; ++i)
        for (int j : {i - 1, i + 1})
            if (j >= 0 && j < nodes) { head.push_back(i); tail.push_back(j); weight.push_back(1.f); }
    const Matrix unit = normalizedRows(makeBlobs(1, nodes, 4, 1.0, 6).x);   // only its size matters here
    const Matrix y = spectralLayout(unit, head, tail, weight, 1, 1);
    QCOMPARE(y.rows, nodes);
    const double sign = y.at(nodes - 1, 0) > y.at(0, 0) ? 1 : -1;
    for (int i = 2; i < nodes - 1; ++i)   // the end nodes' degree 1 scales them by 1/sqrt(2) (D^1/2)
        QVERIFY2(sign * (y.at(i, 0) - y.at(i - 1, 0)) > 0, qPrintable(QStringLiteral("node %1").arg(i)));
    QVERIFY(spectralLayout(unit, head, tail, weight, 1, 2).data == y.data);
}

// A graph of two components: each component gets its own region (placed by their means).
void TestProjection::spectralKeepsComponentsApart()
{
    const Blobs b = makeBlobs(2, 30, 8, 0.3, 7);
    std::vector<int> head, tail;
    std::vector<float> weight;
    for (int i = 0; i < b.x.rows; ++i)   // a ring inside each blob
        for (int j : {i - 1, i + 1}) {
            const int t = (j + 30) % 30 + (i / 30) * 30;
            head.push_back(i); tail.push_back(t); weight.push_back(1.f);
        }
    const Matrix y = spectralLayout(normalizedRows(b.x), head, tail, weight, 3, 1);
    QCOMPARE(y.rows, b.x.rows);
    QVERIFY(allFinite(y));
    // Every point is nearer its own blob's centre than the other's.
    double cx[2] = {0, 0}, cy[2] = {0, 0};
    for (int i = 0; i < y.rows; ++i) { cx[i / 30] += y.at(i, 0) / 30; cy[i / 30] += y.at(i, 1) / 30; }
    for (int i = 0; i < y.rows; ++i) {
        const int own = i / 30, other = 1 - own;
        QVERIFY(std::hypot(y.at(i, 0) - cx[own], y.at(i, 1) - cy[own])
                < std::hypot(y.at(i, 0) - cx[other], y.at(i, 1) - cy[other]));
    }
}

#include "tst_projection.moc"
