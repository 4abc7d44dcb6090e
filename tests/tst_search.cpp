// Search: prompt parsing, weighted prompts, exact search equals brute force, HNSW recall, calibrated
// percentiles, and the export/import round trip through the CLI (npy and TensorBoard tsv).

#include "fakemodel_p.h"

#include "core/store/embeddingstore.h"
#include "core/base/npy.h"
#include "core/search/quantizedscan.h"
#include "core/search/search.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <random>

using namespace cospace;
using namespace cospace::test;

Q_DECLARE_METATYPE(QList<cospace::PromptTerm>)

namespace {

Matrix randomUnit(int n, int d, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> g;
    Matrix m(n, d);
    for (int i = 0; i < n; ++i) {
        double s = 0;
        for (int j = 0; j < d; ++j) {
            m.at(i, j) = g(rng);
            s += double(m.at(i, j)) * m.at(i, j);
        }
        for (int j = 0; j < d; ++j)
            m.at(i, j) = float(m.at(i, j) / std::sqrt(s));
    }
    return m;
}

StoredSet storedSet(const Matrix &x)
{
    StoredSet set;
    set.vectors = x;
    for (int i = 0; i < x.rows; ++i)
        set.items.append({i + 1, Modality::Image, u"/img/%1.png"_qs.arg(i), {}, {}, 1, 1});
    return set;
}

std::vector<int> bruteTopK(const Matrix &x, std::span<const float> q, int k)
{
    std::vector<std::pair<float, int>> s;
    for (int i = 0; i < x.rows; ++i)
        s.emplace_back(std::inner_product(q.begin(), q.end(), x.row(i), 0.f), i);
    std::partial_sort(s.begin(), s.begin() + k, s.end(), [](auto a, auto b) { return a.first > b.first; });
    std::vector<int> out;
    for (int i = 0; i < k; ++i)
        out.push_back(s[std::size_t(i)].second);
    return out;
}

}  // namespace

class TestSearch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsePrompt_data();
    void parsePrompt();
    void emptyPromptThrows();
    void weightedPromptIsWeightedSum();
    void exactEqualsBruteForce();
    void hnswRecall();
    void quantizedEqualsBruteForce_data();
    void quantizedEqualsBruteForce();
    void quantizeRowByHand();
    void percentileIsCalibrated();
    void storeRoundTrip();
    void exportImportRoundTrip_data();
    void exportImportRoundTrip();
};

void TestSearch::parsePrompt_data()
{
    QTest::addColumn<QString>("prompt");
    QTest::addColumn<QList<PromptTerm>>("terms");
    QTest::newRow("plain") << u"a red car"_qs << QList<PromptTerm>{{u"a red car"_qs, 1.f}};
    QTest::newRow("negative word") << u"beach -people"_qs
                                   << QList<PromptTerm>{{u"beach"_qs, 1.f}, {u"people"_qs, -1.f}};
    QTest::newRow("weights") << u"0.7 red car + 0.3 night"_qs
                             << QList<PromptTerm>{{u"red car"_qs, 0.7f}, {u"night"_qs, 0.3f}};
    QTest::newRow("minus operator") << u"city - 0.5 rain"_qs
                                    << QList<PromptTerm>{{u"city"_qs, 1.f}, {u"rain"_qs, -0.5f}};
    QTest::newRow("negative weight") << u"dog -0.25 cat"_qs
                                     << QList<PromptTerm>{{u"dog"_qs, 1.f}, {u"cat"_qs, -0.25f}};
    QTest::newRow("hyphen inside a word") << u"a t-shirt"_qs << QList<PromptTerm>{{u"a t-shirt"_qs, 1.f}};
    QTest::newRow("spaces") << u"  sunset   +  sea "_qs << QList<PromptTerm>{{u"sunset"_qs, 1.f}, {u"sea"_qs, 1.f}};
}

void TestSearch::parsePrompt()
{
    QFETCH(QString, prompt);
    QFETCH(QList<PromptTerm>, terms);
    const QList<PromptTerm> got = cospace::parsePrompt(prompt);
    QCOMPARE(got.size(), terms.size());
    for (qsizetype i = 0; i < got.size(); ++i) {
        QCOMPARE(got[i].text, terms[i].text);
        QCOMPARE(got[i].weight, terms[i].weight);
    }
}

void TestSearch::emptyPromptThrows()
{
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, cospace::parsePrompt(u"  + - "_qs));
    FakeModel m;
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, encodePrompt(m, u"cat - cat"_qs));   // cancels out
}

void TestSearch::weightedPromptIsWeightedSum()
{
    FakeModel m;
    const Matrix e = m.encodeTexts({u"red car"_qs, u"night"_qs});
    const std::vector<float> q = encodePrompt(m, u"0.7 red car + 0.3 night"_qs);
    std::vector<float> expect(std::size_t(e.cols));
    double n = 0;
    for (int j = 0; j < e.cols; ++j) {
        expect[std::size_t(j)] = 0.7f * e.at(0, j) + 0.3f * e.at(1, j);
        n += double(expect[std::size_t(j)]) * expect[std::size_t(j)];
    }
    for (int j = 0; j < e.cols; ++j)
        QVERIFY(std::abs(q[std::size_t(j)] - float(expect[std::size_t(j)] / std::sqrt(n))) < 1e-6f);
    // A negative term moves the query away from it.
    const std::vector<float> neg = encodePrompt(m, u"red car -night"_qs);
    const float withNight = std::inner_product(neg.begin(), neg.end(), e.row(1), 0.f);
    const float plain = std::inner_product(e.row(0), e.row(0) + e.cols, e.row(1), 0.f);
    QVERIFY(withNight < plain);
}

void TestSearch::exactEqualsBruteForce()
{
    const Matrix x = randomUnit(500, 24, 1);
    const SearchIndex index(storedSet(x));
    QVERIFY(index.exact());
    const Matrix q = randomUnit(20, 24, 2);
    for (int i = 0; i < q.rows; ++i) {
        const QList<SearchHit> hits = index.search(q.rowSpan(i), 10);
        const std::vector<int> ref = bruteTopK(x, q.rowSpan(i), 10);
        QCOMPARE(hits.size(), 10);
        for (int r = 0; r < 10; ++r) {
            QCOMPARE(hits[r].rank, r + 1);
            QCOMPARE(hits[r].item.path, u"/img/%1.png"_qs.arg(ref[std::size_t(r)]));
            const float s = std::inner_product(q.row(i), q.row(i) + q.cols, x.row(ref[std::size_t(r)]), 0.f);
            QVERIFY(std::abs(hits[r].score - s) < 1e-5f);
        }
    }
    QCOMPARE(index.search(q.rowSpan(0), 1000).size(), 500);   // k above n: all items
}

void TestSearch::hnswRecall()
{
    const Matrix x = randomUnit(3000, 16, 3);
    SearchIndexParams p;
    p.kind = IndexKind::Hnsw;
    const SearchIndex index(storedSet(x), p);
    QCOMPARE(index.kind(), IndexKind::Hnsw);
    const Matrix q = randomUnit(50, 16, 4);
    int found = 0;
    for (int i = 0; i < q.rows; ++i) {
        const std::vector<int> ref = bruteTopK(x, q.rowSpan(i), 10);
        for (const SearchHit &h : index.search(q.rowSpan(i), 10))
            found += std::count(ref.begin(), ref.end(), int(h.item.id - 1));
    }
    const double recall = found / 500.0;
    QVERIFY2(recall >= 0.95, qPrintable(QString::number(recall)));
}

void TestSearch::quantizedEqualsBruteForce_data()
{
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("dim");
    QTest::newRow("dim multiple of 32") << 4000 << 64;
    QTest::newRow("odd dim (padded codes)") << 3000 << 37;
    QTest::newRow("CLIP-sized") << 2000 << 512;
    QTest::newRow("fewer rows than candidates") << 50 << 16;
}

void TestSearch::quantizedEqualsBruteForce()
{
    QFETCH(int, n);
    QFETCH(int, dim);
    const Matrix x = randomUnit(n, dim, 11);
    SearchIndexParams p;
    p.exactLimit = n - 1;   // Auto switches to the int8 scan above the exact limit
    const SearchIndex index(storedSet(x), p);
    QCOMPARE(index.kind(), IndexKind::Quantized);
    const Matrix q = randomUnit(30, dim, 12);
    for (int i = 0; i < q.rows; ++i) {
        const QList<SearchHit> hits = index.search(q.rowSpan(i), 10);
        const std::vector<int> ref = bruteTopK(x, q.rowSpan(i), 10);
        QCOMPARE(hits.size(), qsizetype(std::min(10, n)));
        for (qsizetype r = 0; r < hits.size(); ++r) {
            QCOMPARE(hits[r].rank, int(r) + 1);
            QCOMPARE(hits[r].item.path, u"/img/%1.png"_qs.arg(ref[std::size_t(r)]));
            const float s = std::inner_product(q.row(i), q.row(i) + q.cols, x.row(ref[std::size_t(r)]), 0.f);
            QVERIFY(std::abs(hits[r].score - s) < 1e-5f);
        }
    }
}

void TestSearch::quantizeRowByHand()
{
    const std::vector<float> v{0.5f, -0.25f, 0.f, 0.125f};
    std::int8_t codes[4];
    QCOMPARE(quantizeRow(v, codes), 0.5f / 127.f);
    QCOMPARE(int(codes[0]), 127);
    QCOMPARE(int(codes[1]), -64);   // -63.5 rounds away from zero
    QCOMPARE(int(codes[2]), 0);
    QCOMPARE(int(codes[3]), 32);    // 31.75
    const std::vector<float> zero(4, 0.f);
    QCOMPARE(quantizeRow(zero, codes), 0.f);
    QCOMPARE(int(codes[0]), 0);
    // A zero query against the scan: every score 0, still k rows, no crash.
    const QuantizedScan scan(randomUnit(40, 4, 13));
    QCOMPARE(scan.search(zero, 5).size(), std::size_t(5));
    QVERIFY(scan.search(std::vector<float>(3, 1.f), 5).empty());   // wrong dimension
}

void TestSearch::percentileIsCalibrated()
{
    const Matrix x = randomUnit(2000, 16, 5);
    const SearchIndex index(storedSet(x));
    const Matrix q = randomUnit(1, 16, 6);
    // Monotonic, bounded, and ~uniform: a random item's score lands near the middle on average.
    QCOMPARE(index.percentile(q.rowSpan(0), 2.f), 100.0);
    QCOMPARE(index.percentile(q.rowSpan(0), -2.f), 0.0);
    double sum = 0;
    for (int i = 0; i < x.rows; ++i)
        sum += index.percentile(q.rowSpan(0), std::inner_product(q.row(0), q.row(0) + 16, x.row(i), 0.f));
    QVERIFY(std::abs(sum / x.rows - 50) < 3);
    const QList<SearchHit> hits = index.search(q.rowSpan(0), 5);
    for (qsizetype i = 1; i < hits.size(); ++i)
        QVERIFY(hits[i].percentile <= hits[i - 1].percentile);
    QVERIFY(hits[0].percentile > 99);
}

void TestSearch::storeRoundTrip()
{
    QTemporaryDir dir;
    EmbeddingStore store(dir.filePath(u"s.db"_qs));
    const qint64 id = store.ensureModel(u"m"_qs, u"m"_qs, 24);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, store.ensureModel(u"m"_qs, u"m"_qs, 12));
    const Matrix x = randomUnit(300, 24, 7);
    StoredSet in = storedSet(x);
    store.putBatch(id, in.items, x);
    store.putBatch(id, in.items, x);   // idempotent: no duplicates
    QCOMPARE(store.itemCount(), 300);
    const StoredSet out = store.load(id);
    QCOMPARE(out.vectors.data, x.data);
    QCOMPARE(out.items.size(), 300);
    QCOMPARE(out.items[7].path, in.items[7].path);
}

void TestSearch::exportImportRoundTrip_data()
{
    QTest::addColumn<QString>("format");
    QTest::newRow("npy") << u"npy"_qs;
    QTest::newRow("tsv") << u"tsv"_qs;
}

void TestSearch::exportImportRoundTrip()
{
    QFETCH(QString, format);
    QTemporaryDir dir;
    // Vectors from elsewhere: an npy + metadata with images and captions (a tab inside a caption).
    const Matrix x = randomUnit(40, 12, 8);
    QDir().mkpath(dir.filePath(u"in"_qs));
    writeNpy(dir.filePath(u"in/vectors.npy"_qs), x);
    QFile meta(dir.filePath(u"in/metadata.tsv"_qs));
    QVERIFY(meta.open(QIODevice::WriteOnly));
    meta.write("modality\tpath\tcaption\n");
    for (int i = 0; i < x.rows; ++i)
        meta.write(i % 2 ? QStringLiteral("caption\t\tcaption number %1 é\n").arg(i).toUtf8()
                         : QStringLiteral("image\t/photos/ü%1.jpg\t\n").arg(i).toUtf8());
    meta.close();
    auto cli = [](const QStringList &args) {
        QProcess p;
        p.start(QStringLiteral(COSPACE_CLI), args);
        p.waitForFinished(60000);
        if (p.exitCode() != 0)
            qWarning() << p.readAllStandardError();
        return p.exitCode();
    };
    const QString a = dir.filePath(u"a.db"_qs), b = dir.filePath(u"b.db"_qs);
    QCOMPARE(cli({u"import"_qs, u"--store"_qs, a, u"--model"_qs, u"external-clip"_qs, u"--format"_qs, u"npy"_qs,
                  dir.filePath(u"in"_qs)}), 0);
    QCOMPARE(cli({u"export"_qs, u"--store"_qs, a, u"--model"_qs, u"external-clip"_qs, u"--format"_qs, format,
                  dir.filePath(u"out1"_qs)}), 0);
    QCOMPARE(cli({u"import"_qs, u"--store"_qs, b, u"--model"_qs, u"external-clip"_qs, u"--format"_qs, format,
                  dir.filePath(u"out1"_qs)}), 0);
    QCOMPARE(cli({u"export"_qs, u"--store"_qs, b, u"--model"_qs, u"external-clip"_qs, u"--format"_qs, u"npy"_qs,
                  dir.filePath(u"out2"_qs)}), 0);
    const Matrix y = readNpy(dir.filePath(u"out2/vectors.npy"_qs));
    QCOMPARE(y.rows, x.rows);
    QCOMPARE(y.cols, x.cols);
    for (std::size_t i = 0; i < x.data.size(); ++i)
        QVERIFY(std::abs(x.data[i] - y.data[i]) < 1e-6f);
    QFile m1(dir.filePath(u"in/metadata.tsv"_qs)), m2(dir.filePath(u"out2/metadata.tsv"_qs));
    QVERIFY(m1.open(QIODevice::ReadOnly) && m2.open(QIODevice::ReadOnly));
    QCOMPARE(m2.readAll(), m1.readAll());
    // Unknown format and missing folder are errors, not crashes.
    QVERIFY(cli({u"export"_qs, u"--store"_qs, a, u"--model"_qs, u"external-clip"_qs, u"--format"_qs, u"csv"_qs,
                 dir.filePath(u"x"_qs)}) != 0);
    QVERIFY(cli({u"import"_qs, u"--store"_qs, a, u"--model"_qs, u"x"_qs, u"--format"_qs, u"npy"_qs,
                 dir.filePath(u"missing"_qs)}) != 0);
}

QTEST_GUILESS_MAIN(TestSearch)
#include "tst_search.moc"
