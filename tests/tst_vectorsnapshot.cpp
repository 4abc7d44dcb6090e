// Mapped vector snapshots beside the store (store/vectorsnapshot.h): the same rows as load(), reused
// while current, rebuilt after every kind of write and from every kind of damaged file, built in
// memory where the file cannot be written, cancellable without harm; search over a snapshot equals
// search over loaded vectors; the CLI uses one for a big store.

#include "cachefile_p.h"
#include "core/base/npy.h"
#include "core/base/quantize.h"
#include "core/search/search.h"
#include "core/store/embeddingstore.h"
#include "core/store/vectorsnapshot.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>
#include <random>

using namespace cospace;
using namespace cospace::test;

namespace {

constexpr int kDim = 12;

Matrix randomUnit(int n, int d, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> g;
    Matrix m(n, d);
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < d; ++j)
            m.at(i, j) = g(rng);
        normalizeRow({m.row(i), std::size_t(d)});
    }
    return m;
}

QList<StoredItem> captions(int n)
{
    QList<StoredItem> items;
    for (int i = 0; i < n; ++i)
        items.append({0, Modality::Caption, u"/photos/%1.jpg"_qs.arg(i), u"caption %1"_qs.arg(i), u"caps.tsv"_qs, -1, -1});
    return items;
}

// A store with 60 images and 25 captions under model "a", and 10 images under model "b".
struct Fixture {
    QTemporaryDir dir;
    std::unique_ptr<EmbeddingStore> store;
    qint64 a = 0, b = 0;

    Fixture()
    {
        store = std::make_unique<EmbeddingStore>(dir.filePath(u"s.db"_qs));
        a = store->ensureModel(u"a"_qs, u"a"_qs, kDim);
        b = store->ensureModel(u"b"_qs, u"b"_qs, kDim);
        store->putBatch(a, images(60), randomUnit(60, kDim, 1));
        store->putBatch(a, captions(25), randomUnit(25, kDim, 2));
        store->putBatch(b, images(10), randomUnit(10, kDim, 3));
    }
    QString snapshotPath(Modality m = Modality::Image) const { return VectorSnapshot::filePath(store->path(), a, m); }
};

// The snapshot holds exactly load()'s rows, in load()'s order, with their codes.
void compareWithLoad(const VectorSnapshot &snap, const EmbeddingStore &store, qint64 model, Modality modality)
{
    const StoredSet set = store.load(model, modality);
    QCOMPARE(snap.rows(), set.vectors.rows);
    QCOMPARE(snap.dim(), set.vectors.cols);
    QCOMPARE(snap.modality(), modality);
    std::vector<std::int8_t> codes(std::size_t(codeStride(snap.dim())), 0);
    for (int i = 0; i < snap.rows(); ++i) {
        QCOMPARE(snap.itemIds()[i], set.items[i].id);
        const std::span<const float> row = snap.row(i);
        QVERIFY(std::equal(row.begin(), row.end(), set.vectors.row(i)));
        QCOMPARE(snap.scales()[i], quantizeRow(set.vectors.rowSpan(i), codes.data()));
        QVERIFY(std::equal(codes.begin(), codes.begin() + snap.dim(), snap.codes() + std::size_t(i) * std::size_t(snap.codeStride())));
    }
}

}  // namespace

class TestVectorSnapshot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void buildsThenMaps_data();
    void buildsThenMaps();
    void smallModalityLoadsAlone();
    void everyWriteMakesItStale_data();
    void everyWriteMakesItStale();
    void otherModelsWritesKeepIt();
    void damagedFileIsRebuilt_data();
    void damagedFileIsRebuilt();
    void unwritableBuildsInMemory();
    void cancelKeepsThePreviousFile();
    void searchEqualsLoadedSearch_data();
    void searchEqualsLoadedSearch();
    void cliSearchUsesSnapshot();
};

void TestVectorSnapshot::buildsThenMaps_data()
{
    QTest::addColumn<int>("modality");
    QTest::newRow("images") << int(Modality::Image);
    QTest::newRow("captions") << int(Modality::Caption);
}

void TestVectorSnapshot::buildsThenMaps()
{
    QFETCH(int, modality);
    const Modality m = Modality(modality);
    Fixture f;
    QVERIFY(!QFile::exists(f.snapshotPath(m)));
    QVERIFY(!VectorSnapshot::openCurrent(*f.store, f.a, m));   // builds nothing
    QVERIFY(!QFile::exists(f.snapshotPath(m)));
    const auto first = VectorSnapshot::open(*f.store, f.a, m);
    QCOMPARE(first->origin(), VectorSnapshot::Origin::Rebuilt);
    QVERIFY(QFile::exists(f.snapshotPath(m)));
    QCOMPARE(first->vectorVersion(), f.store->vectorVersion(f.a));
    compareWithLoad(*first, *f.store, f.a, m);
    const auto second = VectorSnapshot::open(*f.store, f.a, m);
    QCOMPARE(second->origin(), VectorSnapshot::Origin::Mapped);
    compareWithLoad(*second, *f.store, f.a, m);
    QVERIFY(VectorSnapshot::openCurrent(*f.store, f.a, m));
}

// A modality with few of the model's rows (25 captions beside 460 images) is loaded by a join: the same
// rows in the same order as filtering the whole load, and as its snapshot. itemsInOrder() gives a
// snapshot's items in any order asked, an unknown id as id 0.
void TestVectorSnapshot::smallModalityLoadsAlone()
{
    Fixture f;
    f.store->putBatch(f.a, images(400, 60), randomUnit(400, kDim, 5));
    const StoredSet all = f.store->load(f.a);
    const StoredSet caps = f.store->load(f.a, Modality::Caption);
    QCOMPARE(caps.items.size(), 25);
    QCOMPARE(caps.vectors.rows, 25);
    int next = 0;
    for (int i = 0; i < all.items.size(); ++i) {
        if (all.items[i].modality != Modality::Caption)
            continue;
        QCOMPARE(caps.items[next].id, all.items[i].id);
        QCOMPARE(caps.items[next].caption, all.items[i].caption);
        QVERIFY(std::equal(all.vectors.row(i), all.vectors.row(i) + kDim, caps.vectors.row(next)));
        ++next;
    }
    QCOMPARE(next, 25);
    compareWithLoad(*VectorSnapshot::open(*f.store, f.a, Modality::Caption), *f.store, f.a, Modality::Caption);

    const auto snap = VectorSnapshot::open(*f.store, f.a, Modality::Image);
    std::vector<qint64> ids(snap->itemIds(), snap->itemIds() + snap->rows());
    std::reverse(ids.begin(), ids.end());
    ids.push_back(999'999);
    const QList<StoredItem> items = f.store->itemsInOrder(ids);
    QCOMPARE(items.size(), qsizetype(ids.size()));
    const StoredSet imgs = f.store->load(f.a, Modality::Image);
    for (int i = 0; i < snap->rows(); ++i) {
        const StoredItem &want = imgs.items[snap->rows() - 1 - i];
        QCOMPARE(items[i].id, want.id);
        QCOMPARE(items[i].path, want.path);
        QCOMPARE(items[i].modality, Modality::Image);
    }
    QCOMPARE(items.last().id, 0);
    QVERIFY(items.last().path.isEmpty());
    // Reading one modality: its own items the same, another's ids as missing ones.
    const QList<StoredItem> asImages = f.store->itemsInOrder(ids, Modality::Image);
    for (int i = 0; i < snap->rows(); ++i)
        QCOMPARE(asImages[i].path, items[i].path);
    const QList<StoredItem> asCaptions = f.store->itemsInOrder(ids, Modality::Caption);
    QCOMPARE(asCaptions.size(), items.size());
    for (const StoredItem &item : asCaptions)
        QCOMPARE(item.id, 0);
}

void TestVectorSnapshot::everyWriteMakesItStale_data()
{
    using Write = std::function<void(Fixture &)>;
    QTest::addColumn<Write>("write");
    QTest::addColumn<int>("rowsAfter");
    QTest::newRow("new images") << Write([](Fixture &f) { f.store->putBatch(f.a, images(5, 60), randomUnit(5, kDim, 4)); }) << 65;
    QTest::newRow("same images, new vectors")
        << Write([](Fixture &f) { f.store->putBatch(f.a, images(3), randomUnit(3, kDim, 5)); }) << 60;
    QTest::newRow("changed file (size) drops every model's vector, re-put")
        << Write([](Fixture &f) {
               QList<StoredItem> changed = images(1);
               changed[0].size += 1;
               f.store->putBatch(f.b, changed, randomUnit(1, kDim, 6));
           })
        << 59;
    QTest::newRow("missing images dropped (cascade)")
        << Write([](Fixture &f) {
               QSet<QString> present;
               for (int i = 0; i < 50; ++i)
                   present.insert(u"/photos/%1.jpg"_qs.arg(i));
               QCOMPARE(f.store->dropMissingImages({u"/photos"_qs}, present), 10);
           })
        << 50;
}

void TestVectorSnapshot::everyWriteMakesItStale()
{
    using Write = std::function<void(Fixture &)>;
    QFETCH(Write, write);
    QFETCH(int, rowsAfter);
    Fixture f;
    const qint64 before = VectorSnapshot::open(*f.store, f.a, Modality::Image)->vectorVersion();
    write(f);
    QVERIFY(f.store->vectorVersion(f.a) != before);
    QVERIFY(!VectorSnapshot::openCurrent(*f.store, f.a, Modality::Image));
    const auto after = VectorSnapshot::open(*f.store, f.a, Modality::Image);
    QCOMPARE(after->origin(), VectorSnapshot::Origin::Rebuilt);
    QCOMPARE(after->rows(), rowsAfter);
    compareWithLoad(*after, *f.store, f.a, Modality::Image);
    QCOMPARE(VectorSnapshot::open(*f.store, f.a, Modality::Image)->origin(), VectorSnapshot::Origin::Mapped);
}

void TestVectorSnapshot::otherModelsWritesKeepIt()
{
    Fixture f;
    VectorSnapshot::open(*f.store, f.a, Modality::Image);
    f.store->putBatch(f.b, images(5, 100), randomUnit(5, kDim, 7));
    QCOMPARE(VectorSnapshot::open(*f.store, f.a, Modality::Image)->origin(), VectorSnapshot::Origin::Mapped);
}

void TestVectorSnapshot::damagedFileIsRebuilt_data()
{
    using Damage = std::function<void(Fixture &, const QString &)>;
    QTest::addColumn<Damage>("damage");
    QTest::newRow("truncated") << Damage([](Fixture &, const QString &p) { QVERIFY(QFile::resize(p, QFileInfo(p).size() - 100)); });
    QTest::newRow("cut inside the header") << Damage([](Fixture &, const QString &p) { QVERIFY(QFile::resize(p, 100)); });
    QTest::newRow("empty") << Damage([](Fixture &, const QString &p) { QVERIFY(QFile::resize(p, 0)); });
    QTest::newRow("a header byte flipped (row count)") << Damage([](Fixture &, const QString &p) { writeBytes(p, "\x07", 32); });
    QTest::newRow("not a snapshot") << Damage([](Fixture &, const QString &p) { writeBytes(p, "PK\x03\x04 garbage", 0); });
    QTest::newRow("another store's snapshot")
        << Damage([](Fixture &f, const QString &p) {
               // A second store of the same shape writes its own file; it is copied over this one.
               QTemporaryDir other;
               EmbeddingStore s(other.filePath(u"s.db"_qs));
               const qint64 id = s.ensureModel(u"a"_qs, u"a"_qs, kDim);
               QCOMPARE(id, f.a);
               s.putBatch(id, images(60), randomUnit(60, kDim, 99));
               s.putBatch(id, captions(25), randomUnit(25, kDim, 2));
               QCOMPARE(s.vectorVersion(id), f.store->vectorVersion(f.a));   // same version, other rows
               VectorSnapshot::open(s, id, Modality::Image);
               QVERIFY(QFile::remove(p));
               QVERIFY(QFile::copy(VectorSnapshot::filePath(s.path(), id, Modality::Image), p));
           });
}

void TestVectorSnapshot::damagedFileIsRebuilt()
{
    using Damage = std::function<void(Fixture &, const QString &)>;
    QFETCH(Damage, damage);
    Fixture f;
    VectorSnapshot::open(*f.store, f.a, Modality::Image);
    damage(f, f.snapshotPath());
    const auto snap = VectorSnapshot::open(*f.store, f.a, Modality::Image);
    QCOMPARE(snap->origin(), VectorSnapshot::Origin::Rebuilt);
    compareWithLoad(*snap, *f.store, f.a, Modality::Image);
}

void TestVectorSnapshot::unwritableBuildsInMemory()
{
    Fixture f;
    QVERIFY(QDir().mkpath(f.snapshotPath()));   // a folder where the file would go: it cannot be written
    const auto snap = VectorSnapshot::open(*f.store, f.a, Modality::Image);
    QCOMPARE(snap->origin(), VectorSnapshot::Origin::InMemory);
    compareWithLoad(*snap, *f.store, f.a, Modality::Image);
    QVERIFY(QFileInfo(f.snapshotPath()).isDir());
}

void TestVectorSnapshot::cancelKeepsThePreviousFile()
{
    Fixture f;
    VectorSnapshot::open(*f.store, f.a, Modality::Image);
    QFile file(f.snapshotPath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray before = file.readAll();
    file.close();
    // Enough new rows for the builder to look at the job.
    f.store->putBatch(f.a, images(40000, 1000), randomUnit(40000, kDim, 8));
    JobControl job;
    job.cancel();
    QVERIFY_THROWS_EXCEPTION(JobCancelled, VectorSnapshot::open(*f.store, f.a, Modality::Image, &job));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), before);
    file.close();
    const QStringList left = QDir(f.dir.path()).entryList(QDir::Files | QDir::Hidden);
    QCOMPARE(left, (QStringList{u"s.db"_qs, u"s.db-m1-image.vec"_qs, u"s.db-shm"_qs, u"s.db-wal"_qs}));
    const auto snap = VectorSnapshot::open(*f.store, f.a, Modality::Image);
    QCOMPARE(snap->origin(), VectorSnapshot::Origin::Rebuilt);
    QCOMPARE(snap->rows(), 40060);
}

void TestVectorSnapshot::searchEqualsLoadedSearch_data()
{
    QTest::addColumn<int>("kind");
    QTest::newRow("int8 scan") << int(IndexKind::Quantized);
    QTest::newRow("exact") << int(IndexKind::Flat);
}

void TestVectorSnapshot::searchEqualsLoadedSearch()
{
    QFETCH(int, kind);
    Fixture f;
    SearchIndexParams params;
    params.kind = IndexKind(kind);
    params.nullSetSize = 20;
    VectorSnapshot::open(*f.store, f.a, Modality::Image);
    const SearchIndex mapped(VectorSnapshot::open(*f.store, f.a, Modality::Image), params);
    const SearchIndex loaded(f.store->load(f.a, Modality::Image), params);
    QCOMPARE(mapped.size(), loaded.size());
    QVERIFY(mapped.items().isEmpty());
    const Matrix queries = randomUnit(5, kDim, 11);
    for (int q = 0; q < queries.rows; ++q) {
        QList<SearchHit> a = mapped.search(queries.rowSpan(q), 7);
        const QList<SearchHit> b = loaded.search(queries.rowSpan(q), 7);
        QCOMPARE(a.size(), 7);
        QVERIFY(a[0].item.path.isEmpty());   // ids only until filled
        fillHitItems(a, *f.store);
        QCOMPARE(a.size(), b.size());
        for (qsizetype i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].item.id, b[i].item.id);
            QCOMPARE(a[i].item.path, b[i].item.path);
            QCOMPARE(a[i].score, b[i].score);
            QCOMPARE(a[i].percentile, b[i].percentile);
        }
    }
}

// Above kSnapshotMinRows the CLI searches the snapshot: the file appears, the answer is the exact
// top k, and the second run (mapped) answers the same.
void TestVectorSnapshot::cliSearchUsesSnapshot()
{
    QTemporaryDir dir;
    const int n = int(kSnapshotMinRows) + 50;
    const Matrix x = randomUnit(n, 128, 21);   // the default model's width
    QDir().mkpath(dir.filePath(u"in"_qs));
    writeNpy(dir.filePath(u"in/vectors.npy"_qs), x);
    QFile meta(dir.filePath(u"in/metadata.tsv"_qs));
    QVERIFY(meta.open(QIODevice::WriteOnly));
    meta.write("modality\tpath\tcaption\n");
    for (int i = 0; i < n; ++i)
        meta.write(QByteArray("image\t/p/") + QByteArray::number(i) + ".jpg\t\n");
    meta.close();
    const QString db = dir.filePath(u"big.db"_qs);
    auto cli = [](const QStringList &args, QByteArray *out = nullptr) {
        QProcess p;
        p.start(QStringLiteral(COSPACE_CLI), args);
        p.waitForFinished(120000);
        if (p.exitCode() != 0)
            qWarning() << p.readAllStandardError();
        if (out)
            *out = p.readAllStandardOutput();
        return p.exitCode();
    };
    QCOMPARE(cli({u"import"_qs, u"--store"_qs, db, u"--model"_qs, u"default"_qs, u"--format"_qs, u"npy"_qs, dir.filePath(u"in"_qs)}), 0);
    const int query = 777;
    const QStringList search{u"search"_qs, u"--store"_qs, db, u"--model"_qs, u"default"_qs,
                             u"--image"_qs, u"/p/%1.jpg"_qs.arg(query), u"--target"_qs, u"images"_qs, u"-k"_qs, u"5"_qs, u"--json"_qs};
    QByteArray first, second;
    QCOMPARE(cli(search, &first), 0);
    QVERIFY(QFile::exists(db + u"-m1-image.vec"_qs));
    QCOMPARE(cli(search, &second), 0);
    QCOMPARE(second, first);
    // The exact top 5 by brute force.
    std::vector<std::pair<float, int>> scored;
    for (int i = 0; i < n; ++i)
        scored.emplace_back(std::inner_product(x.row(i), x.row(i) + x.cols, x.row(query), 0.f), i);
    std::partial_sort(scored.begin(), scored.begin() + 5, scored.end(), [](auto a, auto b) { return a.first > b.first; });
    const QJsonArray results = QJsonDocument::fromJson(first).object().value(u"results"_qs).toArray();
    QCOMPARE(results.size(), 5);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(results[i].toObject().value(u"path"_qs).toString(), u"/p/%1.jpg"_qs.arg(scored[std::size_t(i)].second));
}

QTEST_GUILESS_MAIN(TestVectorSnapshot)
#include "tst_vectorsnapshot.moc"
