// The IVF search index beside a store's snapshot (search/ivfindex.h): its lists partition the rows,
// its recall against exact search on clustered data, reuse while current, incremental update after
// appended rows (old rows keep their lists), rebuild after every other kind of change and from every
// kind of damaged file, in memory where the file cannot be written, cancellation without harm; the
// CLI's `index` command and `search --index ivf / --ivf-limit` (background build).

#include "cachefile_p.h"
#include "core/base/npy.h"
#include "core/search/ivfindex.h"
#include "core/search/search.h"
#include "core/store/embeddingstore.h"
#include "core/store/vectorsnapshot.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <algorithm>
#include <functional>
#include <numeric>
#include <random>

using namespace cospace;
using namespace cospace::test;

namespace {

constexpr int kDim = 32;
constexpr int kClusters = 40;

// Unit rows around kClusters random centres (cosine to the centre ~0.8), row i in cluster i % kClusters:
// neighbourhoods an inverted file can exploit, like real embeddings'.
Matrix clustered(int n, unsigned seed, int firstRow = 0)
{
    std::mt19937 centresRng(7);   // the same centres for every call
    std::normal_distribution<float> g;
    Matrix centres(kClusters, kDim);
    for (float &v : centres.data)
        v = g(centresRng);
    for (int c = 0; c < kClusters; ++c)
        normalizeRow({centres.row(c), std::size_t(kDim)});
    std::mt19937 rng(seed);
    Matrix m(n, kDim);
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < kDim; ++j)
            m.at(i, j) = centres.at((firstRow + i) % kClusters, j) + 0.75f * g(rng) / std::sqrt(float(kDim));
        normalizeRow({m.row(i), std::size_t(kDim)});
    }
    return m;
}

struct Fixture {
    QTemporaryDir dir;
    std::unique_ptr<EmbeddingStore> store;
    qint64 a = 0;

    explicit Fixture(int rows = 6000)
    {
        store = std::make_unique<EmbeddingStore>(dir.filePath(u"s.db"_qs));
        a = store->ensureModel(u"a"_qs, u"a"_qs, kDim);
        store->putBatch(a, images(rows), clustered(rows, 1));
    }
    std::shared_ptr<const VectorSnapshot> snapshot() const { return VectorSnapshot::open(*store, a, Modality::Image); }
    QString ivfPath() const { return dir.filePath(u"s.db-m1-image.ivf"_qs); }
};

// Every snapshot row is in exactly one list.
void checkPartition(const IvfIndex &ivf)
{
    QCOMPARE(ivf.rows(), ivf.snapshot().rows());
    std::vector<int> seen(std::size_t(ivf.rows()), 0);
    for (int l = 0; l < ivf.lists(); ++l)
        for (int r : ivf.list(l)) {
            QVERIFY(r >= 0 && r < ivf.rows());
            ++seen[std::size_t(r)];
        }
    QVERIFY(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
}

// The list of every row.
std::vector<int> listOfRows(const IvfIndex &ivf)
{
    std::vector<int> out(std::size_t(ivf.rows()), -1);
    for (int l = 0; l < ivf.lists(); ++l)
        for (int r : ivf.list(l))
            out[std::size_t(r)] = l;
    return out;
}

// Mean recall@k of the index against brute force, for queries near stored rows.
double recallAt(const IvfIndex &ivf, int k, int probes, int queries = 60)
{
    const VectorSnapshot &s = ivf.snapshot();
    std::mt19937 rng(5);
    std::normal_distribution<float> g;
    qint64 found = 0;
    for (int q = 0; q < queries; ++q) {
        const int base = int(rng() % unsigned(s.rows()));
        std::vector<float> query(s.row(base).begin(), s.row(base).end());
        for (float &v : query)
            v += 0.3f * g(rng) / std::sqrt(float(kDim));
        normalizeRow(query);
        std::vector<std::pair<float, int>> exact;
        for (int i = 0; i < s.rows(); ++i)
            exact.emplace_back(std::inner_product(query.begin(), query.end(), s.row(i).begin(), 0.f), i);
        std::partial_sort(exact.begin(), exact.begin() + k, exact.end(), [](auto x, auto y) { return x.first > y.first; });
        QSet<int> truth;
        for (int i = 0; i < k; ++i)
            truth.insert(exact[std::size_t(i)].second);
        const std::vector<ScoredRow> hits = ivf.search(query, k, probes);
        if (int(hits.size()) != k)
            return -1;
        for (const ScoredRow &h : hits)
            found += truth.contains(h.row);
    }
    return double(found) / double(queries * k);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestIvfIndex : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void recallAgainstExact_data();
    void recallAgainstExact();
    void mapsWhenCurrent();
    void appendedRowsAreAddedIncrementally();
    void unindexedRowsAreScannedUntilUpdated();
    void otherChangesRebuild_data();
    void otherChangesRebuild();
    void damagedFileIsRebuilt_data();
    void damagedFileIsRebuilt();
    void unwritableBuildsInMemory();
    void cancelKeepsThePreviousFile();
    void searchIndexOverIvf();
    void cliIndexAndSearch();
    void cliAutoBuildsInBackground();
};

void TestIvfIndex::recallAgainstExact_data()
{
    QTest::addColumn<int>("lists");
    QTest::addColumn<int>("k");
    QTest::newRow("default lists (~sqrt n), k 10") << 0 << 10;
    QTest::newRow("16 lists, k 10") << 16 << 10;
    QTest::newRow("150 lists, k 10") << 150 << 10;
    QTest::newRow("default lists, k 1") << 0 << 1;
}

void TestIvfIndex::recallAgainstExact()
{
    QFETCH(int, lists);
    QFETCH(int, k);
    Fixture f;
    IvfOptions options;
    options.lists = lists;
    const auto ivf = IvfIndex::open(f.snapshot(), nullptr, options);
    QCOMPARE(ivf->origin(), IvfIndex::Origin::Built);
    QVERIFY(QFile::exists(f.ivfPath()));
    if (lists > 0)
        QVERIFY(std::abs(ivf->lists() - lists) <= lists / 10 + 1);   // per-group rounding
    else
        QVERIFY(ivf->lists() > 40 && ivf->lists() < 120);
    checkPartition(*ivf);
    QVERIFY(ivf->defaultProbes() >= 1 && ivf->defaultProbes() <= ivf->lists());
    QVERIFY(ivf->calibratedRecall() >= kCalibrationRecall);
    // Scanning every list is the int8 scan with exact re-rank: the exact answer.
    QVERIFY(recallAt(*ivf, k, ivf->lists()) >= 0.99);   // float summation order may swap near-ties
    // The calibrated default keeps most neighbours while scanning a fraction of the lists.
    const double recall = recallAt(*ivf, k, 0);
    QVERIFY2(recall >= 0.9, qPrintable(u"recall %1 at %2 probes"_qs.arg(recall).arg(ivf->defaultProbes())));
    QVERIFY(recallAt(*ivf, k, 1) <= recall);
}

void TestIvfIndex::mapsWhenCurrent()
{
    Fixture f;
    QCOMPARE(IvfIndex::state(*f.snapshot()), IvfIndex::State::Stale);
    QVERIFY(!IvfIndex::openCurrent(f.snapshot()));
    const auto built = IvfIndex::open(f.snapshot());
    QCOMPARE(IvfIndex::state(*f.snapshot()), IvfIndex::State::Current);
    const QByteArray bytes = readFile(f.ivfPath());
    const auto mapped = IvfIndex::openCurrent(f.snapshot());
    QVERIFY(mapped);
    QCOMPARE(mapped->origin(), IvfIndex::Origin::Mapped);
    QCOMPARE(listOfRows(*mapped), listOfRows(*built));
    QCOMPARE(mapped->defaultProbes(), built->defaultProbes());
    QCOMPARE(IvfIndex::open(f.snapshot())->origin(), IvfIndex::Origin::Mapped);
    QCOMPARE(readFile(f.ivfPath()), bytes);   // not rewritten
}

void TestIvfIndex::appendedRowsAreAddedIncrementally()
{
    Fixture f;
    const auto before = IvfIndex::open(f.snapshot());
    const std::vector<int> oldLists = listOfRows(*before);
    f.store->putBatch(f.a, images(700, 6000), clustered(700, 2, 6000));
    const auto snap = f.snapshot();
    QCOMPARE(snap->rows(), 6700);
    QCOMPARE(IvfIndex::state(*snap), IvfIndex::State::Appendable);
    const auto after = IvfIndex::open(snap);
    QCOMPARE(after->origin(), IvfIndex::Origin::Updated);
    QCOMPARE(after->trainedRows(), 6000);
    QCOMPARE(after->lists(), before->lists());
    checkPartition(*after);
    const std::vector<int> newLists = listOfRows(*after);
    QVERIFY(std::equal(oldLists.begin(), oldLists.end(), newLists.begin()));   // old rows stay put
    QVERIFY(recallAt(*after, 10, 0) >= 0.9);
    QCOMPARE(IvfIndex::state(*snap), IvfIndex::State::Current);
}

// openUsable() maps an index that lacks appended rows; search() scans those in full, so a query
// equal to a new row finds it, and with every list probed the answer is the exact one.
void TestIvfIndex::unindexedRowsAreScannedUntilUpdated()
{
    Fixture f;
    IvfIndex::open(f.snapshot());
    const Matrix added = clustered(300, 4, 6000);
    f.store->putBatch(f.a, images(300, 6000), added);
    const auto snap = f.snapshot();
    QVERIFY(!IvfIndex::openCurrent(snap));
    const auto usable = IvfIndex::openUsable(snap);
    QVERIFY(usable);
    QCOMPARE(usable->rows(), 6000);
    QCOMPARE(usable->unindexedRows(), 300);
    for (int i : {0, 150, 299}) {
        const std::vector<ScoredRow> hits = usable->search(added.rowSpan(i), 3, 1);
        QCOMPARE(hits.size(), std::size_t(3));
        QCOMPARE(hits[0].row, 6000 + i);
    }
    QVERIFY(recallAt(*usable, 10, usable->lists()) >= 0.99);
    SearchIndexParams params;
    params.nullSetSize = 20;
    QCOMPARE(SearchIndex(usable, params).size(), 6300);
    // A stale file is not usable.
    f.store->putBatch(f.a, images(2), clustered(2, 12));
    QVERIFY(!IvfIndex::openUsable(f.snapshot()));
}

void TestIvfIndex::otherChangesRebuild_data()
{
    using Write = std::function<void(Fixture &)>;
    QTest::addColumn<Write>("write");
    QTest::addColumn<int>("rowsAfter");
    QTest::newRow("same images, new vectors")
        << Write([](Fixture &f) { f.store->putBatch(f.a, images(3), clustered(3, 9)); }) << 6000;
    QTest::newRow("images deleted")
        << Write([](Fixture &f) {
               QSet<QString> present;
               for (int i = 0; i < 6000; ++i)
                   if (i != 10 && i != 4000)
                       present.insert(u"/photos/%1.jpg"_qs.arg(i));
               QCOMPARE(f.store->dropMissingImages({u"/photos"_qs}, present), 2);
           })
        << 5998;
    QTest::newRow("grown past the retrain limit")
        << Write([](Fixture &f) { f.store->putBatch(f.a, images(kRetrainGrowth * 6000, 6000), clustered(kRetrainGrowth * 6000, 3, 6000)); })
        << (kRetrainGrowth + 1) * 6000;
}

void TestIvfIndex::otherChangesRebuild()
{
    using Write = std::function<void(Fixture &)>;
    QFETCH(Write, write);
    QFETCH(int, rowsAfter);
    Fixture f;
    IvfIndex::open(f.snapshot());
    write(f);
    const auto snap = f.snapshot();
    QCOMPARE(snap->rows(), rowsAfter);
    QCOMPARE(IvfIndex::state(*snap), IvfIndex::State::Stale);
    const auto ivf = IvfIndex::open(snap);
    QCOMPARE(ivf->origin(), IvfIndex::Origin::Built);
    QCOMPARE(ivf->trainedRows(), rowsAfter);
    checkPartition(*ivf);
}

void TestIvfIndex::damagedFileIsRebuilt_data()
{
    using Damage = std::function<void(const QString &)>;
    QTest::addColumn<Damage>("damage");
    QTest::newRow("truncated") << Damage([](const QString &p) { QVERIFY(QFile::resize(p, QFileInfo(p).size() - 4)); });
    QTest::newRow("cut inside the header") << Damage([](const QString &p) { QVERIFY(QFile::resize(p, 100)); });
    QTest::newRow("empty") << Damage([](const QString &p) { QVERIFY(QFile::resize(p, 0)); });
    QTest::newRow("a header byte flipped (rows)") << Damage([](const QString &p) { writeBytes(p, "\x07", 24); });
    QTest::newRow("not an index") << Damage([](const QString &p) { writeBytes(p, "PK\x03\x04 garbage", 0); });
    QTest::newRow("list offsets out of order") << Damage([](const QString &p) {
        // listOffsets[1] (the second int64 of that section) set far past the rows: caught on open.
        QFile f(p);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray header = f.read(4096);
        f.close();
        quint64 offset = 0;   // listOffsetsOffset: the 4th section offset after the 48-byte store id
        std::memcpy(&offset, header.constData() + 8 + 8 + 8 + 24 + 48 + 8 + 16 + 24, sizeof offset);
        const qint64 huge = 1LL << 40;
        writeBytes(p, QByteArray(reinterpret_cast<const char *>(&huge), sizeof huge), qint64(offset) + 8);
    });
}

void TestIvfIndex::damagedFileIsRebuilt()
{
    using Damage = std::function<void(const QString &)>;
    QFETCH(Damage, damage);
    Fixture f;
    IvfIndex::open(f.snapshot());
    damage(f.ivfPath());
    QVERIFY(!IvfIndex::openCurrent(f.snapshot()));
    const auto ivf = IvfIndex::open(f.snapshot());
    QCOMPARE(ivf->origin(), IvfIndex::Origin::Built);
    checkPartition(*ivf);
    QVERIFY(IvfIndex::openCurrent(f.snapshot()));
}

void TestIvfIndex::unwritableBuildsInMemory()
{
    Fixture f;
    QVERIFY(QDir().mkpath(f.ivfPath()));   // a folder where the file would go
    const auto ivf = IvfIndex::open(f.snapshot());
    QCOMPARE(ivf->origin(), IvfIndex::Origin::InMemory);
    checkPartition(*ivf);
    QVERIFY(recallAt(*ivf, 10, 0) >= 0.9);
    QVERIFY(QFileInfo(f.ivfPath()).isDir());
}

void TestIvfIndex::cancelKeepsThePreviousFile()
{
    Fixture f;
    IvfIndex::open(f.snapshot());
    const QByteArray before = readFile(f.ivfPath());
    f.store->putBatch(f.a, images(3), clustered(3, 9));   // stale: the next open rebuilds
    JobControl job;
    job.cancel();
    QVERIFY_THROWS_EXCEPTION(JobCancelled, IvfIndex::open(f.snapshot(), &job));
    QCOMPARE(readFile(f.ivfPath()), before);
    const QStringList left = QDir(f.dir.path()).entryList({u"*.ivf*"_qs}, QDir::Files | QDir::Hidden);
    QCOMPARE(left, QStringList{u"s.db-m1-image.ivf"_qs});
    QCOMPARE(IvfIndex::open(f.snapshot())->origin(), IvfIndex::Origin::Built);
}

void TestIvfIndex::searchIndexOverIvf()
{
    Fixture f;
    SearchIndexParams params;
    params.nullSetSize = 50;
    params.probes = 1000000;   // more than there are lists: all of them, so the exact answer
    const SearchIndex ivf(IvfIndex::open(f.snapshot()), params);
    QCOMPARE(ivf.kind(), IndexKind::Ivf);
    QVERIFY(ivf.kindName().startsWith(u"IVF"));
    QCOMPARE(ivf.size(), 6000);
    params.kind = IndexKind::Flat;
    const SearchIndex exact(f.snapshot(), params);
    const Matrix queries = clustered(5, 31);
    const QList<QList<SearchHit>> batch = exact.searchBatch(queries, 8);
    QCOMPARE(batch.size(), 5);
    for (int q = 0; q < queries.rows; ++q) {
        const QList<SearchHit> a = ivf.search(queries.rowSpan(q), 8), b = exact.search(queries.rowSpan(q), 8);
        QCOMPARE(a.size(), 8);
        for (qsizetype i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].item.id, b[i].item.id);
            QCOMPARE(batch[q][i].item.id, b[i].item.id);
            QCOMPARE(a[i].percentile, b[i].percentile);
        }
    }
}

namespace {

int cli(const QStringList &args, QByteArray *out = nullptr, QByteArray *errors = nullptr)
{
    QProcess p;
    p.start(QStringLiteral(COSPACE_CLI), args);
    p.waitForFinished(120000);
    if (out)
        *out = p.readAllStandardOutput();
    if (errors)
        *errors = p.readAllStandardError();
    return p.exitCode();
}

// n clustered 128-d rows (the default model's width): four 32-d rows side by side, renormalised.
Matrix wide(int n, unsigned seed)
{
    Matrix x(n, 128);
    const Matrix c = clustered(n * 4, seed);
    std::copy(c.data.begin(), c.data.end(), x.data.begin());
    normalizeRows(x);
    return x;
}

// A store of `n` such vectors imported through the CLI.
QString importedStore(const QTemporaryDir &dir, int n)
{
    QDir().mkpath(dir.filePath(u"in"_qs));
    writeNpy(dir.filePath(u"in/vectors.npy"_qs), wide(n, 41));
    const QString db = dir.filePath(u"big.db"_qs);
    if (cli({u"import"_qs, u"--store"_qs, db, u"--model"_qs, u"default"_qs, u"--format"_qs, u"npy"_qs, dir.filePath(u"in"_qs)}) != 0)
        return {};
    return db;
}

QStringList searchArgs(const QString &db, const QStringList &more)
{
    return QStringList{u"search"_qs, u"--store"_qs, db, u"--model"_qs, u"default"_qs, u"--text"_qs, u"a red car"_qs,
                       u"-k"_qs, u"5"_qs, u"--json"_qs} + more;
}

}  // namespace

void TestIvfIndex::cliIndexAndSearch()
{
    QTemporaryDir dir;
    const QString db = importedStore(dir, 3000);
    QVERIFY(!db.isEmpty());
    QByteArray out, errors;
    QCOMPARE(cli({u"index"_qs, u"--store"_qs, db, u"--model"_qs, u"default"_qs, u"--json"_qs}, &out, &errors), 0);
    QJsonObject o = QJsonDocument::fromJson(out).object();
    QCOMPARE(o.value(u"state"_qs).toString(), u"built"_qs);
    QCOMPARE(o.value(u"vectors"_qs).toInt(), 3000);
    QVERIFY(o.value(u"lists"_qs).toInt() > 1);
    QVERIFY(o.value(u"probes"_qs).toInt() >= 1);
    QVERIFY(o.value(u"calibrated_recall"_qs).toDouble() >= kCalibrationRecall);
    QVERIFY(QFile::exists(o.value(u"path"_qs).toString()));
    QCOMPARE(cli({u"index"_qs, u"--store"_qs, db, u"--model"_qs, u"default"_qs, u"--json"_qs}, &out), 0);
    QCOMPARE(QJsonDocument::fromJson(out).object().value(u"state"_qs).toString(), u"current"_qs);

    // --index ivf with every list probed answers what exact search answers.
    QByteArray ivfOut, flatOut;
    QCOMPARE(cli(searchArgs(db, {u"--index"_qs, u"ivf"_qs, u"--probes"_qs, u"100000"_qs}), &ivfOut), 0);
    QCOMPARE(cli(searchArgs(db, {u"--index"_qs, u"flat"_qs}), &flatOut), 0);
    const QJsonObject ivfJson = QJsonDocument::fromJson(ivfOut).object(), flatJson = QJsonDocument::fromJson(flatOut).object();
    QVERIFY(ivfJson.value(u"index"_qs).toString().startsWith(u"IVF"));
    QCOMPARE(flatJson.value(u"index"_qs).toString(), u"exact IndexFlatIP"_qs);
    QCOMPARE(ivfJson.value(u"results"_qs).toArray().size(), 5);
    QCOMPARE(ivfJson.value(u"results"_qs), flatJson.value(u"results"_qs));

    // --timing reports recall against exact, for queries from a file too.
    writeNpy(dir.filePath(u"q.npy"_qs), wide(12, 78));
    QCOMPARE(cli(searchArgs(db, {u"--index"_qs, u"ivf"_qs, u"--timing"_qs, u"--timing-queries"_qs, dir.filePath(u"q.npy"_qs)}),
                 &out, &errors), 0);
    QVERIFY2(errors.contains("12 queries") && errors.contains("recall@5 against exact"), errors.constData());

    // Bad numbers are usage errors.
    QCOMPARE(cli(searchArgs(db, {u"--index"_qs, u"ivf"_qs, u"--probes"_qs, u"0"_qs})), 2);
    QCOMPARE(cli(searchArgs(db, {u"--ivf-limit"_qs, u"-5"_qs})), 2);
    QCOMPARE(cli({u"index"_qs, u"--store"_qs, db, u"--model"_qs, u"default"_qs, u"--lists"_qs, u"x"_qs}), 2);
}

// Past --ivf-limit without an index, search answers at once by the int8 scan and starts `index` in
// the background; once that has finished, searches use the IVF index.
void TestIvfIndex::cliAutoBuildsInBackground()
{
    QTemporaryDir dir;
    const QString db = importedStore(dir, 2500);
    QVERIFY(!db.isEmpty());
    const QString ivfPath = db + u"-m1-image.ivf"_qs;
    QByteArray out, errors;
    QCOMPARE(cli(searchArgs(db, {u"--ivf-limit"_qs, u"1000"_qs}), &out, &errors), 0);
    QVERIFY2(errors.contains("in the background"), errors.constData());
    QCOMPARE(QJsonDocument::fromJson(out).object().value(u"index"_qs).toString(), u"int8 scan + exact re-rank"_qs);
    QElapsedTimer waited;
    waited.start();
    while (!QFile::exists(ivfPath) && waited.elapsed() < 60000)
        QThread::msleep(100);
    QVERIFY(QFile::exists(ivfPath));
    QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(ivfPath + u".lock"_qs), 60000);
    QCOMPARE(cli(searchArgs(db, {u"--ivf-limit"_qs, u"1000"_qs}), &out, &errors), 0);
    QVERIFY(QJsonDocument::fromJson(out).object().value(u"index"_qs).toString().startsWith(u"IVF"));
    QVERIFY(!errors.contains("background"));
    // Rows added later: the index answers at once with the new rows scanned in full, and the
    // background update folds them in.
    QDir().mkpath(dir.filePath(u"more"_qs));
    writeNpy(dir.filePath(u"more/vectors.npy"_qs), wide(200, 43));
    QFile meta(dir.filePath(u"more/metadata.tsv"_qs));
    QVERIFY(meta.open(QIODevice::WriteOnly));
    for (int i = 0; i < 200; ++i)
        meta.write("/more/" + QByteArray::number(i) + ".jpg\n");
    meta.close();
    QCOMPARE(cli({u"import"_qs, u"--store"_qs, db, u"--model"_qs, u"default"_qs, u"--format"_qs, u"npy"_qs,
                  dir.filePath(u"more"_qs)}), 0);
    QCOMPARE(cli(searchArgs(db, {u"--ivf-limit"_qs, u"1000"_qs}), &out, &errors), 0);
    QVERIFY2(errors.contains("200 vectors added since"), errors.constData());
    QVERIFY(QJsonDocument::fromJson(out).object().value(u"index"_qs).toString().startsWith(u"IVF"));
    QTRY_VERIFY_WITH_TIMEOUT(readFile(ivfPath + u".log"_qs).contains("2700 vectors"), 60000);
    QVERIFY(readFile(ivfPath + u".log"_qs).contains("updated"));
    QByteArray state;
    QCOMPARE(cli({u"index"_qs, u"--store"_qs, db, u"--model"_qs, u"default"_qs, u"--json"_qs}, &state), 0);
    QCOMPARE(QJsonDocument::fromJson(state).object().value(u"state"_qs).toString(), u"current"_qs);
    QCOMPARE(QJsonDocument::fromJson(state).object().value(u"vectors"_qs).toInt(), 2700);
    QCOMPARE(cli(searchArgs(db, {u"--ivf-limit"_qs, u"1000"_qs}), &out, &errors), 0);
    QVERIFY2(!errors.contains("note:"), errors.constData());
    // Below the limit nothing changes: the int8 scan answers.
    QCOMPARE(cli(searchArgs(db, {u"--ivf-limit"_qs, u"100000"_qs}), &out), 0);
    QCOMPARE(QJsonDocument::fromJson(out).object().value(u"index"_qs).toString(), u"exact IndexFlatIP"_qs);
}

QTEST_GUILESS_MAIN(TestIvfIndex)
#include "tst_ivfindex.moc"
