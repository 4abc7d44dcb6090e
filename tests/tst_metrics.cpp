// Retrieval metrics against ranks worked out by hand, with exact ties and several captions per image.

#include "core/eval/metrics.h"

#include "core/base/job.h"

#include <QTest>

#include <random>

#include <cmath>

using namespace cospace;

namespace {
Matrix rows(const std::vector<std::vector<float>> &r)
{
    Matrix m(int(r.size()), int(r[0].size()));
    for (std::size_t i = 0; i < r.size(); ++i)
        for (std::size_t j = 0; j < r[i].size(); ++j)
            m.at(int(i), int(j)) = r[i][j];
    return m;
}
const float kHalf = float(std::sqrt(0.5));
}  // namespace

class TestMetrics : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void ranksByHand();
    void ranksMatchBruteForce_data();
    void ranksMatchBruteForce();
    void rankedFirstApproximatesExact_data();
    void rankedFirstApproximatesExact();
    void sharedTextsByHand();
    void summaryByHand();
    void geometry();
    void perfectSpace();
    void rejectsBadShapes();
};

// Images I0=[1,0], I1=[0,1], I2=[.6,.8]; captions c0..c5 with owners 0,0,1,2,1,0.
static const Matrix kImages = rows({{1, 0}, {0, 1}, {0.6f, 0.8f}});
static const Matrix kCaptions = rows({{1, 0}, {0.8f, 0.6f}, {0, 1}, {0, 1}, {0.8f, 0.6f}, {kHalf, kHalf}});
static const std::vector<int> kOwner{0, 0, 1, 2, 1, 0};

void TestMetrics::ranksByHand()
{
    // t2i: c0 -> I0 first; c1: I2 (.96) beats I0 (.8); c2 -> I1 first; c3: I1 (1) beats I2 (.8);
    // c4: I0 (.8) and I2 (.96) beat I1 (.6); c5: I1 ties I0 (counted ahead) and I2 (.99) beats it.
    QCOMPARE(textToImageRanks(kImages, kCaptions, kOwner), (std::vector<int>{1, 2, 1, 2, 3, 3}));
    // i2t: I0's best own caption c0 scores 1, unbeaten; I1's best (c2 = 1) ties c3 -> rank 2;
    // I2's only caption c3 scores .8: c1, c4 (.96), c5 (.99) beat it and c2 (.8) ties -> rank 5.
    QCOMPARE(imageToTextRanks(kImages, kCaptions, kOwner), (std::vector<int>{1, 2, 5}));
}

// Ranks over several 1024-caption blocks against a brute-force count, on small integer vectors (every
// dot product exact in float, so ties are real ties and count against the caption); progress reaches
// every caption, and a cancelled job stops with JobCancelled.
void TestMetrics::ranksMatchBruteForce_data()
{
    QTest::addColumn<int>("captions");
    QTest::addColumn<int>("images");
    QTest::addColumn<bool>("cancel");
    QTest::newRow("one block") << 300 << 40 << false;
    QTest::newRow("three blocks") << 2500 << 300 << false;
    QTest::newRow("cancelled") << 2500 << 300 << true;
}

void TestMetrics::ranksMatchBruteForce()
{
    QFETCH(int, captions);
    QFETCH(int, images);
    QFETCH(bool, cancel);
    std::mt19937 rng(4);
    std::uniform_int_distribution<int> value(-2, 2);
    Matrix img(images, 6), cap(captions, 6);
    for (float &v : img.data) v = float(value(rng));
    for (float &v : cap.data) v = float(value(rng));
    std::vector<int> owner(static_cast<std::size_t>(captions));
    for (int c = 0; c < captions; ++c)
        owner[std::size_t(c)] = (c * 7) % images;
    JobControl job;
    if (cancel) {
        job.cancel();
        QVERIFY_THROWS_EXCEPTION(JobCancelled, textToImageRanks(img, cap, owner, {}, &job));
        return;
    }
    const std::vector<int> ranks = textToImageRanks(img, cap, owner, {}, &job);
    QCOMPARE(job.snapshot().done, qint64(captions));
    QCOMPARE(job.snapshot().total, qint64(captions));
    const auto dot = [&](int c, int i) {
        double s = 0;
        for (int j = 0; j < 6; ++j) s += double(cap.at(c, j)) * img.at(i, j);
        return s;
    };
    int ties = 0;
    for (int c = 0; c < captions; ++c) {
        const double best = dot(c, owner[std::size_t(c)]);
        int ahead = 0;
        for (int i = 0; i < images; ++i)
            if (i != owner[std::size_t(c)] && dot(c, i) >= best) {
                ++ahead;
                ties += dot(c, i) == best;
            }
        QCOMPARE(ranks[std::size_t(c)], ahead + 1);
    }
    QVERIFY(ties > 0);   // the data has ties to be pessimistic about
}

// Rank-one flags: exact under the budget (the ranks' own answer); past it, by probed clusters, which can
// only miss an image that beats a caption's own, never invent one — so every exact "first" stays first,
// and on clustered data nearly all answers agree.
void TestMetrics::rankedFirstApproximatesExact_data()
{
    QTest::addColumn<double>("exactPairs");
    QTest::addColumn<bool>("cancel");
    QTest::newRow("exact") << 1e12 << false;
    QTest::newRow("approximate") << 0.0 << false;
    QTest::newRow("approximate, cancelled") << 0.0 << true;
}

void TestMetrics::rankedFirstApproximatesExact()
{
    QFETCH(double, exactPairs);
    QFETCH(bool, cancel);
    const int n = 3000, d = 16, blobs = 30;
    std::mt19937 rng(12);
    std::normal_distribution<float> g;
    Matrix centres(blobs, d), img(n, d), cap(n, d);
    for (float &v : centres.data) v = g(rng);
    std::vector<int> owner(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < d; ++j) {
            img.at(i, j) = centres.at(i % blobs, j) + 0.3f * g(rng);
            cap.at(i, j) = img.at(i, j) + 0.25f * g(rng);   // a noisy caption of image i
        }
        owner[std::size_t(i)] = i;
    }
    normalizeRows(img);
    normalizeRows(cap);
    JobControl job;
    if (cancel) {
        job.cancel();
        QVERIFY_THROWS_EXCEPTION(JobCancelled, rankedFirst(img, cap, owner, {}, &job, exactPairs));
        return;
    }
    const std::vector<char> first = rankedFirst(img, cap, owner, {}, &job, exactPairs);
    QCOMPARE(job.snapshot().done, job.snapshot().total);
    const std::vector<int> ranks = textToImageRanks(img, cap, owner);
    int exactFirst = 0, agree = 0;
    for (int c = 0; c < n; ++c) {
        exactFirst += ranks[std::size_t(c)] == 1;
        agree += (ranks[std::size_t(c)] == 1) == (first[std::size_t(c)] != 0);
        if (ranks[std::size_t(c)] == 1)
            QVERIFY2(first[std::size_t(c)], qPrintable(QString::number(c)));
    }
    QVERIFY(exactFirst > n / 10 && exactFirst < n * 9 / 10);   // both answers occur
    if (exactPairs > 0)
        QCOMPARE(agree, n);
    else
        QVERIFY2(agree >= n * 95 / 100, qPrintable(QString::number(agree)));
}

void TestMetrics::sharedTextsByHand()
{
    // c2 and c3 are the same text (hence the same vector), written for I1 and for I2: each is correct
    // for both images. t2i: c2 and c3 now find a correct image first (I1 = 1); the rest as above.
    const std::vector<int> text{0, 1, 2, 2, 4, 5};
    QCOMPARE(textToImageRanks(kImages, kCaptions, kOwner, text), (std::vector<int>{1, 2, 1, 1, 3, 3}));
    // i2t: I1's correct captions are c2, c3, c4: c2/c3 score 1 -> rank 1. I2's are c2, c3 (.8):
    // c1, c4 (.96) and c5 (.99) beat them -> rank 4 (the tie with c2 no longer counts against it).
    QCOMPARE(imageToTextRanks(kImages, kCaptions, kOwner, text), (std::vector<int>{1, 1, 4}));
    // Distinct ids change nothing; textIds() gives equal strings equal ids.
    QCOMPARE(textToImageRanks(kImages, kCaptions, kOwner, {0, 1, 2, 3, 4, 5}), (std::vector<int>{1, 2, 1, 2, 3, 3}));
    QCOMPARE(textIds({u"a"_qs, u"b"_qs, u"a"_qs}), (std::vector<int>{0, 1, 0}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, textToImageRanks(kImages, kCaptions, kOwner, {0, 1}));
}

void TestMetrics::summaryByHand()
{
    const RetrievalMetrics m = computeRetrievalMetrics(kImages, kCaptions, kOwner);
    QCOMPARE(m.nImages, 3);
    QCOMPARE(m.nCaptions, 6);
    QVERIFY(qFuzzyCompare(m.t2i.r1, 2.0 / 6));
    QCOMPARE(m.t2i.r5, 1.0);
    QCOMPARE(m.t2i.medianRank, 2.0);
    QCOMPARE(m.t2i.meanRank, 2.0);
    QVERIFY(qFuzzyCompare(m.i2t.r1, 1.0 / 3));
    QCOMPARE(m.i2t.r5, 1.0);
    QCOMPARE(m.i2t.medianRank, 2.0);
    QVERIFY(qFuzzyCompare(m.i2t.meanRank, 8.0 / 3));
    QVERIFY(std::abs(m.rsum - 100 * (1.0 / 3 + 1 + 1 + 2.0 / 6 + 1 + 1)) < 1e-9);
    const QJsonObject json = m.toJson();
    for (const char *key : {"n_images", "n_captions", "i2t", "t2i", "rsum", "alignment", "uniformity", "modality_gap"})
        QVERIFY2(json.contains(QLatin1String(key)), key);
    QVERIFY(json.value(u"i2t"_qs).toObject().contains(u"median_rank"_qs));
}

void TestMetrics::geometry()
{
    const RetrievalMetrics m = computeRetrievalMetrics(kImages, kCaptions, kOwner);
    // Matched cosines: c0.I0=1, c1.I0=.8, c2.I1=1, c3.I2=.8, c4.I1=.6, c5.I0=.7071.
    const double matched = (1 + 0.8 + 1 + 0.8 + 0.6 + kHalf) / 6;
    QVERIFY(std::abs(m.cosMatched - matched) < 1e-6);
    QVERIFY(std::abs(m.alignment - (2 - 2 * matched)) < 1e-6);
    // Centroids [1.6/3, 1.8/3] and [(3.3071)/6, (3.9071)/6].
    const double gx = 1.6 / 3 - (2.6 + kHalf) / 6, gy = 1.8 / 3 - (3.2 + kHalf) / 6;
    QVERIFY(std::abs(m.modalityGap - std::sqrt(gx * gx + gy * gy)) < 1e-6);
    QVERIFY(m.uniformity < 0);
    QVERIFY(m.cosRandom < m.cosMatched);
}

void TestMetrics::perfectSpace()
{
    // Orthogonal images, each caption equal to its image: every rank is 1, no gap.
    const Matrix img = rows({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
    const RetrievalMetrics m = computeRetrievalMetrics(img, img, {0, 1, 2});
    QCOMPARE(m.i2t.r1, 1.0);
    QCOMPARE(m.t2i.r1, 1.0);
    QCOMPARE(m.rsum, 600.0);
    QVERIFY(m.modalityGap < 1e-7);
    QVERIFY(m.alignment < 1e-7);
}

void TestMetrics::rejectsBadShapes()
{
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, computeRetrievalMetrics(kImages, kCaptions, {0, 1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, computeRetrievalMetrics(kImages, kCaptions, {0, 0, 1, 2, 1, 9}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, computeRetrievalMetrics(rows({{1, 0, 0}}), kCaptions, kOwner));
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
