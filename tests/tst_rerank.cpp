// Hubness correction (core/search/rerank.h): CSLS against its formula on a 3 x 3 example computed by
// hand, QB-Norm's dynamic inverted softmax on the same vectors, k-occurrence, and `eval --rerank`.

#include "core/search/rerank.h"
#include "core/eval/metrics.h"

#include <QTest>

#include <cmath>

using namespace cospace;

namespace {

Matrix rows2(std::initializer_list<std::pair<float, float>> xy)
{
    Matrix m(int(xy.size()), 2);
    int i = 0;
    for (const auto &[x, y] : xy) {
        m.at(i, 0) = x;
        m.at(i, 1) = y;
        ++i;
    }
    return m;
}

// Queries x1 = (1, 0), x2 = (0, 1), x3 = (0.6, 0.8); gallery y1 = (1, 0), y2 = (0, 1), y3 = (0.8, 0.6).
// Cosines: x1 -> (1, 0, 0.8), x2 -> (0, 1, 0.6), x3 -> (0.6, 0.8, 0.96).
const Matrix kQueries = rows2({{1.f, 0.f}, {0.f, 1.f}, {0.6f, 0.8f}});
const Matrix kGallery = rows2({{1.f, 0.f}, {0.f, 1.f}, {0.8f, 0.6f}});

}  // namespace

class TestRerank : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void cslsEqualsFormula_data();
    void cslsEqualsFormula();
    void correctionMatchesMatrix();
    void qbNormDynamic();
    void noneChangesNothing();
    void kOccurrenceCounts();
    void cslsDemotesAHub();
    void rankAdjustInMetrics();
    void rejectsBadInput();
};

void TestRerank::cslsEqualsFormula_data()
{
    QTest::addColumn<int>("query");
    QTest::addColumn<QList<double>>("expected");
    // k = 2, bank = the queries. r_T(x) = mean of the 2 best cosines of x: 0.9, 0.8, 0.88;
    // r_S(y) = mean of the 2 best cosines of y with the queries: y1 (1, 0, 0.6) 0.8,
    // y2 (0, 1, 0.8) 0.9, y3 (0.8, 0.6, 0.96) 0.88. csls = 2 cos - r_T - r_S.
    QTest::newRow("x1") << 0 << QList<double>{2 - 0.9 - 0.8, 0 - 0.9 - 0.9, 1.6 - 0.9 - 0.88};   // 0.3, -1.8, -0.18
    QTest::newRow("x2") << 1 << QList<double>{0 - 0.8 - 0.8, 2 - 0.8 - 0.9, 1.2 - 0.8 - 0.88};   // -1.6, 0.3, -0.48
    QTest::newRow("x3") << 2 << QList<double>{1.2 - 0.88 - 0.8, 1.6 - 0.88 - 0.9, 1.92 - 0.88 - 0.88}; // -0.48, -0.18, 0.16
}

void TestRerank::cslsEqualsFormula()
{
    QFETCH(int, query);
    QFETCH(QList<double>, expected);
    const Matrix csls = cslsMatrix(kQueries, kGallery, kQueries, 2);
    QCOMPARE(csls.rows, 3);
    QCOMPARE(csls.cols, 3);
    for (int g = 0; g < 3; ++g)
        QVERIFY2(std::abs(csls.at(query, g) - expected[g]) < 1e-5,
                 qPrintable(u"csls(x%1, y%2) = %3, expected %4"_qs.arg(query + 1).arg(g + 1).arg(csls.at(query, g)).arg(expected[g])));
}

void TestRerank::correctionMatchesMatrix()
{
    RerankParams p;
    p.method = Rerank::Csls;
    p.cslsK = 2;
    const HubnessCorrection c(kGallery, kQueries, p);
    QCOMPARE(c.galleryTerm().size(), std::size_t(3));
    QVERIFY(std::abs(c.galleryTerm()[0] - 0.8f) < 1e-6);
    QVERIFY(std::abs(c.galleryTerm()[1] - 0.9f) < 1e-6);
    QVERIFY(std::abs(c.galleryTerm()[2] - 0.88f) < 1e-6);
    const Matrix expected = cslsMatrix(kQueries, kGallery, kQueries, 2);
    for (int q = 0; q < 3; ++q) {
        std::vector<float> s(3);
        for (int g = 0; g < 3; ++g)
            s[std::size_t(g)] = kQueries.at(q, 0) * kGallery.at(g, 0) + kQueries.at(q, 1) * kGallery.at(g, 1);
        c.rescore(s);
        for (int g = 0; g < 3; ++g)
            QVERIFY(std::abs(s[std::size_t(g)] - expected.at(q, g)) < 1e-5);
    }
}

void TestRerank::qbNormDynamic()
{
    // Bank {x1, x2}: their top-1 are y1 and y2, the activation set. beta = 1 keeps the numbers small.
    RerankParams p;
    p.method = Rerank::QbNorm;
    p.qbBeta = 1.0;
    const Matrix bank = rows2({{1.f, 0.f}, {0.f, 1.f}});
    const HubnessCorrection c(kGallery, bank, p);
    QVERIFY(c.activated(0) && c.activated(1) && !c.activated(2));
    const double z[3] = {std::log(std::exp(1.0) + std::exp(0.0)), std::log(std::exp(0.0) + std::exp(1.0)),
                         std::log(std::exp(0.8) + std::exp(0.6))};
    for (int g = 0; g < 3; ++g)
        QVERIFY(std::abs(c.galleryTerm()[std::size_t(g)] - z[g]) < 1e-5);
    // x1's raw top-1 (y1) is activated: every score becomes beta cos - log Z (inverted softmax).
    std::vector<float> s1{1.f, 0.f, 0.8f};
    c.rescore(s1);
    QVERIFY(std::abs(s1[0] - (1 - z[0])) < 1e-5 && std::abs(s1[2] - (0.8 - z[2])) < 1e-5);
    // x3's raw top-1 (y3) is not: its cosines stay as they are.
    std::vector<float> s3{0.6f, 0.8f, 0.96f};
    c.rescore(s3);
    QCOMPARE(s3, (std::vector<float>{0.6f, 0.8f, 0.96f}));
}

void TestRerank::noneChangesNothing()
{
    const HubnessCorrection c(kGallery, Matrix(0, 2), RerankParams{});
    std::vector<float> s{0.1f, 0.2f, 0.3f};
    c.rescore(s);
    QCOMPARE(s, (std::vector<float>{0.1f, 0.2f, 0.3f}));
}

void TestRerank::kOccurrenceCounts()
{
    // Top-1 of x1, x2, x3: y1, y2, y3. Top-2: x1 {y1, y3}, x2 {y2, y3}, x3 {y3, y2}.
    QCOMPARE(kOccurrence(kGallery, kQueries, 1), (std::vector<int>{1, 1, 1}));
    QCOMPARE(kOccurrence(kGallery, kQueries, 2), (std::vector<int>{1, 2, 3}));
    QVERIFY(std::abs(skewness({1, 1, 1})) < 1e-12);
    QVERIFY(skewness({0, 0, 0, 0, 10}) > 1.0);
}

// A hub h = (0.5, 0.5, 0.7071) between two items g0 = (1, 0, 0) and g1 = (0, 1, 0) is the top-1 of
// both queries q0 ~ (1, 0, 0.8) and q1 ~ (0, 1, 0.8): cos(q0, g0) = 0.781 < cos(q0, h) = 0.832.
// With the queries as the bank and k = 2: r_S(g0) = r_S(g1) = (0.781 + 0) / 2 = 0.390, r_S(h) = 0.832,
// so csls(q0, g0) = 1.562 - 0.390 - r_T = 1.171 - r_T beats csls(q0, h) = 0.832 - r_T.
struct HubCase {
    Matrix gallery{3, 3}, queries{2, 3};
    HubCase()
    {
        const float g[9] = {1, 0, 0, 0, 1, 0, 0.5f, 0.5f, 0.70710678f};
        const float q[6] = {1, 0, 0.8f, 0, 1, 0.8f};
        gallery.data.assign(g, g + 9);
        queries.data.assign(q, q + 6);
        normalizeRows(gallery);
        normalizeRows(queries);
    }
};

void TestRerank::cslsDemotesAHub()
{
    const HubCase h;
    QCOMPARE(kOccurrence(h.gallery, h.queries, 1), (std::vector<int>{0, 0, 2}));
    RerankParams p;
    p.method = Rerank::Csls;
    p.cslsK = 2;
    const HubnessCorrection c(h.gallery, h.queries, p);
    QVERIFY(std::abs(c.galleryTerm()[0] - 0.3904f) < 1e-3 && std::abs(c.galleryTerm()[2] - 0.8322f) < 1e-3);
    QCOMPARE(kOccurrence(h.gallery, h.queries, 1, &c), (std::vector<int>{1, 1, 0}));
}

void TestRerank::rankAdjustInMetrics()
{
    // The hub case as an evaluation: caption 0 belongs to image 0, caption 1 to image 1.
    const HubCase h;
    const std::vector<int> owner{0, 1};
    const RetrievalMetrics plain = computeRetrievalMetrics(h.gallery, h.queries, owner);
    QCOMPARE(plain.t2i.r1, 0.0);
    RerankParams p;
    p.method = Rerank::Csls;
    p.cslsK = 2;
    const HubnessCorrection c(h.gallery, h.queries, p);
    const RetrievalMetrics fixed = computeRetrievalMetrics(h.gallery, h.queries, owner, {}, {},
                                                           [&c](float *s, int rows, int) { c.rescoreRows(s, rows); });
    QCOMPARE(fixed.t2i.r1, 1.0);
    QCOMPARE(fixed.cosMatched, plain.cosMatched);   // geometry is not re-ranked
}

void TestRerank::rejectsBadInput()
{
    RerankParams p;
    p.method = Rerank::Csls;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, HubnessCorrection(kGallery, Matrix(0, 2), p));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, HubnessCorrection(kGallery, Matrix(2, 3, 0.5f), p));
    QCOMPARE(kRerankNames.parse(u"QBNorm"_qs), std::optional<Rerank>(Rerank::QbNorm));
    QCOMPARE(kRerankNames.choices(), u"none, csls or qbnorm"_qs);
}

QTEST_GUILESS_MAIN(TestRerank)
#include "tst_rerank.moc"
