// The explorer's core job without a GUI (core/explorer): the workspace -> map pipeline on a model
// whose vectors are chosen by hand, pair lines with shared caption texts, typed captions placed
// without re-projecting, a big store's workspace read from its mapped snapshot, the collection's edits, the enum name tables and the job runner's outcomes.

#include "core/base/jobrunner.h"
#include "core/explorer/collection.h"
#include "core/explorer/workspacesession.h"
#include "core/model/embeddingmodel.h"
#include "core/store/embeddingstore.h"
#include "core/store/vectorsnapshot.h"

#include <QImage>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace cospace;

namespace {

// Vectors on the unit circle, by angle in degrees.
std::vector<float> at(double degrees)
{
    return {float(std::cos(degrees * M_PI / 180)), float(std::sin(degrees * M_PI / 180))};
}

// A model whose image vectors come from a table by the image's red level (image i is solid red
// 40 * i) and whose caption vectors come from a table by text.
class TableModel : public EmbeddingModel
{
public:
    TableModel(QList<double> imageAngles, QHash<QString, double> textAngles)
        : m_images(std::move(imageAngles)), m_texts(std::move(textAngles)) {}
    QString name() const override { return u"table"_qs; }
    QString source() const override { return u"test"_qs; }
    QString fingerprint() const override { return u"table:1"_qs; }
    int embedDim() const override { return 2; }
    int imageSize() const override { return 8; }
    std::vector<float> preprocess(const RgbImage &image) const override { return {float(image.pixels.at(0))}; }
    Matrix encodePreprocessed(const std::vector<float> &batch, int count) override
    {
        Matrix m(count, 2);
        for (int i = 0; i < count; ++i) {
            const std::vector<float> v = at(m_images.at(int(std::lround(batch[std::size_t(i)] / 40.f))));
            std::copy(v.begin(), v.end(), m.row(i));
        }
        return m;
    }
    Matrix encodeTexts(const QStringList &texts) override
    {
        Matrix m(int(texts.size()), 2);
        for (int i = 0; i < m.rows; ++i) {
            const std::vector<float> v = at(m_texts.value(texts[i], 45));
            std::copy(v.begin(), v.end(), m.row(i));
        }
        return m;
    }

private:
    QList<double> m_images;
    QHash<QString, double> m_texts;
};

}  // namespace

class TestWorkspaceSession : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void pairLinesCountSharedTexts();
    void typedCaptionsArePlacedNotProjected();
    void failuresAreValues();
    void collectionEdits();
    void bigStoreOpensFromSnapshot_data();
    void bigStoreOpensFromSnapshot();
    void projectionMethodNames_data();
    void projectionMethodNames();
    void jobOutcomes();

private:
    WorkspaceSession session(const QString &store) const;
    WorkspaceJobParams params() const;
    QTemporaryDir m_dir;
    Workspace m_workspace;
};

// Images a (0°), b (90°), c (180°); captions "a cat" for a (10°) and "red heart" for both b and c
// (120°: cos 30° to b, cos 60° to c, cos 120° to a).
void TestWorkspaceSession::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QDir(m_dir.path()).mkpath(u"images"_qs);
    for (int i = 0; i < 3; ++i) {
        QImage image(8, 8, QImage::Format_RGB32);
        image.fill(qRgb(40 * i, 0, 0));
        QVERIFY(image.save(m_dir.filePath(u"images/%1.png"_qs.arg(QChar(u'a' + i)))));
    }
    QFile captions(m_dir.filePath(u"captions.tsv"_qs));
    QVERIFY(captions.open(QIODevice::WriteOnly));
    captions.write("images/a.png\ta cat\nimages/b.png\tred heart\nimages/c.png\tred heart\n");
    captions.close();
    m_workspace.folders = {m_dir.filePath(u"images"_qs)};
    m_workspace.captionFiles = {captions.fileName()};
    m_workspace.model = u"table"_qs;
    m_workspace.method = ProjectionMethod::Pca;
}

WorkspaceSession TestWorkspaceSession::session(const QString &store) const
{
    return WorkspaceSession(m_dir.filePath(store), [](const QString &spec) -> std::unique_ptr<EmbeddingModel> {
        if (spec != u"table")
            throw std::runtime_error(spec.toStdString() + ": no such model");
        return std::make_unique<TableModel>(QList<double>{0, 90, 180},
                                            QHash<QString, double>{{u"a cat"_qs, 10}, {u"red heart"_qs, 120},
                                                                   {u"a dog"_qs, 30}});
    });
}

WorkspaceJobParams TestWorkspaceSession::params() const
{
    WorkspaceJobParams p;
    p.workspace = m_workspace;
    p.layoutCacheDir = m_dir.filePath(u"layouts"_qs);
    return p;
}

// Caption "red heart" of c ranks b (its own text's image too) first: without text ids that was a
// miss (c is second), with them a hit, as `eval` counts it.
void TestWorkspaceSession::pairLinesCountSharedTexts()
{
    WorkspaceSession s = session(u"pairs.db"_qs);
    JobControl job;
    const WorkspaceLayout layout = s.open(params(), job);
    QCOMPARE(layout.points.size(), 6);
    // Images first (in store order), then the file's captions.
    QHash<QString, int> imageAt;
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(layout.points[i].kind, MapPoint::Image);
        imageAt.insert(QFileInfo(layout.points[i].path).fileName(), i);
    }
    QSet<QString> partners;
    for (int c = 3; c < 6; ++c) {
        const MapPoint &p = layout.points[c];
        QCOMPARE(p.kind, MapPoint::Caption);
        QCOMPARE(p.partner, imageAt.value(QFileInfo(p.path).fileName(), -2));
        QCOMPARE(p.text, p.partner == imageAt[u"a.png"_qs] ? u"a cat"_qs : u"red heart"_qs);
        QVERIFY2(p.rankOne, qPrintable(u"caption of %1"_qs.arg(p.path)));
        partners.insert(QFileInfo(p.path).fileName());
    }
    QCOMPARE(partners.size(), 3);
    QVERIFY(std::abs(layout.modalityGap) > 0);
}

void TestWorkspaceSession::typedCaptionsArePlacedNotProjected()
{
    WorkspaceSession s = session(u"typed.db"_qs);
    QVERIFY(!s.updateTypedCaptions({u"a dog"_qs}));   // no map yet: the window opens instead
    JobControl job;
    const WorkspaceLayout before = s.open(params(), job);
    const std::optional<QList<MapPoint>> added = s.updateTypedCaptions({u"a dog"_qs});
    QVERIFY(added);
    QCOMPARE(added->size(), before.points.size() + 1);
    for (int i = 0; i < before.points.size(); ++i)
        QCOMPARE((*added)[i].pos, before.points[i].pos);   // nothing else moved
    const MapPoint dog = added->last();
    QCOMPARE(dog.text, u"a dog"_qs);
    QCOMPARE(dog.typed, 0);
    // PCA places exactly: "a dog" at 30° lies between a (0°) and b (90°) on the map.
    const QPointF a = before.points[0].pos, b = before.points[1].pos;
    QVERIFY(QLineF(dog.pos, a).length() < QLineF(a, b).length());
    // Searching finds it among the captions; removing it takes it off, re-adding puts it back in place.
    QCOMPARE(s.matchPoint(0, 5).hits.size(), 4);
    QCOMPARE(s.updateTypedCaptions({})->size(), before.points.size());
    QCOMPARE(s.matchPoint(0, 5).hits.size(), 3);
    QCOMPARE(s.updateTypedCaptions({u"a dog"_qs})->last().pos, dog.pos);
}

void TestWorkspaceSession::failuresAreValues()
{
    WorkspaceSession s = session(u"fail.db"_qs);
    WorkspaceJobParams p = params();
    p.workspace.model = u"/nowhere/model.ckpt"_qs;
    bool scanned = false;
    p.scanned = [&](const CollectionSnapshot &snapshot) { scanned = snapshot.imageCount() == 3; };
    JobControl job;
    const JobOutcome<WorkspaceLayout> o = JobRunner::runCaught<WorkspaceLayout>(
        job, [&](JobControl &j) { return s.open(p, j); });
    QVERIFY(!o.ok());
    QVERIFY2(o.error.contains(u"/nowhere/model.ckpt"_qs), qPrintable(o.error));
    QVERIFY(scanned);   // the collection was reported before the model failed
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, s.search(u"a cat"_qs, 3));
}

void TestWorkspaceSession::collectionEdits()
{
    Collection c;
    QVERIFY(c.addFolder(m_dir.filePath(u"images/../images"_qs)));
    QVERIFY(!c.addFolder(m_dir.filePath(u"images"_qs)));   // the same folder, cleaned
    QCOMPARE(c.addCaptions({u"  a   red  circle "_qs, u""_qs, u"two"_qs}), 2);
    QCOMPARE(c.workspace().captions, (QStringList{u"a red circle"_qs, u"two"_qs}));
    QVERIFY(c.editCaption(1, u"three"_qs));
    QVERIFY(!c.editCaption(1, u" three "_qs));   // unchanged after simplifying
    QVERIFY(c.deleteCaptions({0, 1, 1}));
    QVERIFY(c.workspace().captions.isEmpty());
    QVERIFY(c.undoDelete());
    QCOMPARE(c.workspace().captions, (QStringList{u"a red circle"_qs, u"three"_qs}));
    QVERIFY(c.editCaption(0, u"   "_qs));            // empty text deletes, undoably
    QCOMPARE(c.workspace().captions, QStringList{u"three"_qs});
    QVERIFY(c.undoDelete());
    QVERIFY(!c.undoDelete());
    QString first;
    QVERIFY(!c.addDropped({m_dir.filePath(u"images/a.png"_qs)}, false, &first));   // beside the map: matched only
    QCOMPARE(first, QDir::cleanPath(m_dir.filePath(u"images/a.png"_qs)));
    QVERIFY(c.addDropped({m_dir.filePath(u"images/b.png"_qs)}, true));              // onto the map: joins
    QVERIFY(c.removeEntry(QDir::cleanPath(m_dir.filePath(u"images/b.png"_qs))));
}

// A store past kSnapshotMinRows: the workspace's rows come from the mapped snapshot (written beside the
// store), with each item's path, and searching maps hits back to the workspace's own items — over the
// snapshot itself when the workspace holds all of its rows, over the gathered rows when only some.
// Images in big/ lie at 70..340 degrees; three more in other/ at exactly 30, where "a dog" points.
// Whether `p` lies in a mapping of `file` (/proc/self/maps).
static bool insideMappingOf(const void *p, const QString &file)
{
    QFile maps(u"/proc/self/maps"_qs);
    if (!maps.open(QIODevice::ReadOnly))
        return false;
    const auto at = quintptr(p);
    const QString wanted = QFileInfo(file).canonicalFilePath();
    for (const QByteArray &line : maps.readAll().split('\n')) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() < 6 || QString::fromUtf8(fields[5]) != wanted)
            continue;
        const QList<QByteArray> range = fields[0].split('-');
        if (range.size() == 2 && at >= range[0].toULongLong(nullptr, 16) && at < range[1].toULongLong(nullptr, 16))
            return true;
    }
    return false;
}

void TestWorkspaceSession::bigStoreOpensFromSnapshot_data()
{
    QTest::addColumn<bool>("withOther");
    QTest::newRow("some of the snapshot's rows") << false;
    QTest::newRow("all of them") << true;
}

void TestWorkspaceSession::bigStoreOpensFromSnapshot()
{
    QFETCH(bool, withOther);
    const int n = int(kSnapshotMinRows);
    const QString storePath = m_dir.filePath(u"big.db"_qs);
    QVERIFY(QDir(m_dir.path()).mkpath(u"big"_qs) && QDir(m_dir.path()).mkpath(u"other"_qs));
    qint64 modelId = 0;
    {
        EmbeddingStore store(storePath);
        modelId = store.ensureModel(u"table:1"_qs, u"table"_qs, 2);
        if (store.count(modelId) == 0) {
            QList<StoredItem> items;
            Matrix vectors(n + 3, 2);
            for (int i = 0; i < n + 3; ++i) {
                const bool other = i >= n;
                StoredItem item;   // size -1: imported vectors, kept although no file exists
                item.path = other ? m_dir.filePath(u"other/o%1.png"_qs.arg(i - n))
                                  : m_dir.filePath(u"big/b%1.png"_qs.arg(i, 6, 10, QChar(u'0')));
                items << item;
                const std::vector<float> v = at(other ? 30.0 : 70.0 + 270.0 * i / n);
                std::copy(v.begin(), v.end(), vectors.row(i));
            }
            store.putBatch(modelId, items, vectors);
        }
    }
    WorkspaceJobParams p = params();
    p.workspace.folders = {m_dir.filePath(u"big"_qs)};
    if (withOther)
        p.workspace.folders << m_dir.filePath(u"other"_qs);
    p.workspace.captionFiles.clear();
    p.workspace.captions = {u"a dog"_qs};
    WorkspaceSession s = session(u"big.db"_qs);
    JobControl job;
    const WorkspaceLayout layout = s.open(p, job);
    const int images = n + (withOther ? 3 : 0);
    QCOMPARE(layout.points.size(), images + 1);
    QVERIFY(QFile::exists(VectorSnapshot::filePath(storePath, modelId, Modality::Image)));
    QCOMPARE(layout.points[0].path, m_dir.filePath(u"big/b000000.png"_qs));
    QCOMPARE(layout.points[0].text, u"b000000.png"_qs);
    QCOMPARE(layout.points[images].text, u"a dog"_qs);

    const QueryResult r = s.search(u"a dog"_qs, 3);
    QCOMPARE(r.hits.size(), 3);
    for (const SearchHit &hit : r.hits) {
        QVERIFY2(hit.row >= 0 && hit.row < images, qPrintable(QString::number(hit.row)));
        QCOMPARE(hit.item.path, layout.points[int(hit.row)].path);   // the workspace's item, path and all
    }
    if (withOther) {
        QVERIFY(r.hits[0].item.path.startsWith(m_dir.filePath(u"other/"_qs)));
        QVERIFY(std::abs(r.hits[0].score - 1.f) < 1e-5f);
    } else {
        QCOMPARE(r.hits[0].item.path, m_dir.filePath(u"big/b000000.png"_qs));   // 70 degrees: the nearest
        QVERIFY(std::abs(r.hits[0].score - float(std::cos(40 * M_PI / 180))) < 1e-4f);
    }
    // From an image to the captions (the typed one) and from the caption back to the images.
    QCOMPARE(s.matchPoint(0, 3).hits.value(0).item.caption, u"a dog"_qs);
    const QList<SearchHit> back = s.matchPoint(images, 1).hits;   // ties among other/'s three: any of them
    QCOMPARE(back.size(), 1);
    QCOMPARE(QFileInfo(back[0].item.path).path(), QFileInfo(r.hits[0].item.path).path());
    QCOMPARE(back[0].score, r.hits[0].score);

    // All of the snapshot's rows are read where the snapshot file is mapped (no copy), some are copied
    // out of it; typing captions keeps the image rows where they are.
    const QString vecFile = VectorSnapshot::filePath(storePath, modelId, Modality::Image);
    const float *firstRow = s.mapData().vectors->row(0);
    QCOMPARE(insideMappingOf(firstRow, vecFile), withOther);
    QVERIFY(s.updateTypedCaptions({u"a dog"_qs, u"a cat"_qs}).has_value());
    QCOMPARE(s.mapData().vectors->rows(), images + 2);
    QCOMPARE(s.mapData().vectors->row(0), firstRow);
    QCOMPARE(s.matchPoint(0, 1).hits.size(), 1);
}

void TestWorkspaceSession::projectionMethodNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("method");   // -1: refused
    QTest::newRow("umap") << u"umap"_qs << int(ProjectionMethod::Umap);
    QTest::newRow("UMAP") << u"UMAP"_qs << int(ProjectionMethod::Umap);
    QTest::newRow("tsne") << u"tsne"_qs << int(ProjectionMethod::Tsne);
    QTest::newRow("t-SNE") << u"t-SNE"_qs << int(ProjectionMethod::Tsne);
    QTest::newRow("spaces") << u" pca "_qs << int(ProjectionMethod::Pca);
    QTest::newRow("unknown") << u"spectral"_qs << -1;
    QTest::newRow("empty") << QString() << -1;
}

void TestWorkspaceSession::projectionMethodNames()
{
    QFETCH(QString, name);
    QFETCH(int, method);
    const std::optional<ProjectionMethod> parsed = kProjectionMethods.parse(name);
    QCOMPARE(parsed ? int(*parsed) : -1, method);
    if (method < 0) {
        try {
            kProjectionMethods.parseOrThrow(name, u"projection method"_qs);
            QFAIL("no error for an unknown name");
        } catch (const std::invalid_argument &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(u"umap, tsne or pca"_qs), e.what());
        }
    } else {
        // Printing gives the canonical name, which parses back to the same method.
        QCOMPARE(kProjectionMethods.parse(kProjectionMethods.name(*parsed)), parsed);
    }
    QCOMPARE(kProjectionMethods.choices(), u"umap, tsne or pca"_qs);   // the alias t-sne is not listed
}

void TestWorkspaceSession::jobOutcomes()
{
    QThreadPool pool;
    JobRunner runner(&pool);
    std::atomic<int> done{0};
    JobOutcome<int> value, failed, cancelled;
    runner.start<int>([](JobControl &) { return 42; }, [&](JobOutcome<int> o) { value = o; ++done; });
    runner.start<int>([](JobControl &) -> int { throw std::runtime_error("photo.jpg: truncated"); },
                      [&](JobOutcome<int> o) { failed = o; ++done; });
    pool.waitForDone();
    auto job = std::make_shared<JobControl>();
    QThreadPool blocked;
    blocked.setMaxThreadCount(1);
    JobRunner(&blocked).start<int>([](JobControl &) { QThread::msleep(50); return 0; }, [](JobOutcome<int>) {});
    JobRunner(&blocked).start<int>([](JobControl &) { return 1; }, [&](JobOutcome<int> o) { cancelled = o; ++done; })
        ->cancel();   // queued behind the first: cancelled before it starts, it never runs
    blocked.waitForDone();
    QCOMPARE(done.load(), 3);
    QCOMPARE(value.value.value_or(0), 42);
    QVERIFY(!failed.ok());
    QCOMPARE(failed.error, u"photo.jpg: truncated"_qs);
    QVERIFY(cancelled.cancelled && !cancelled.ok());
}

QTEST_GUILESS_MAIN(TestWorkspaceSession)
#include "tst_workspacesession.moc"
