// The embedding store and pipeline: a corpus with every bad-file kind, unicode names, nested folders
// and duplicates; incremental re-embedding; switching models; captions; kill -9 and resume via the CLI.

#include "fakemodel_p.h"

#include "scopedlimit.h"
#include "tinymodel.h"
#include "core/store/embeddingstore.h"
#include "core/base/npy.h"
#include "core/store/embedpipeline.h"
#include "core/search/search.h"
#include "core/data/shapesdemo.h"
#include "core/train/trainer.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <csignal>

using namespace cospace;
using namespace cospace::test;

namespace {

void writeBytes(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

QByteArray encoded(int seed, const char *format, int side = 24)
{
    QImage img(side, side, QImage::Format_RGB888);
    for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x)
            img.setPixelColor(x, y, QColor((x * 10 + seed * 37) % 256, (y * 7 + seed * 11) % 256, (seed * 53) % 256));
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    img.save(&buffer, format);
    return bytes;
}

QSet<QString> storedImages(const EmbeddingStore &store, const QString &fingerprint)
{
    QSet<QString> out;
    const auto m = store.findModel(fingerprint);
    if (!m)
        return out;
    for (const StoredItem &item : store.load(m->id, Modality::Image).items)
        out.insert(item.path);
    return out;
}

}  // namespace

class TestEmbedStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void validImagesEmbedded();
    void badFilesReported_data();
    void badFilesReported();
    void secondRunIsCached();
    void incrementalReembed();
    void switchingModelsKeepsBoth();
    void usesCallersScan();
    void folderLimitKeepsStoredImages();
    void captions();
    void cliEmbedJsonAndSearch();
    void killAndResume();

private:
    QString corpus() const { return m_dir.filePath(u"corpus"_qs); }
    QTemporaryDir m_dir;
    QString m_ckpt;
    QStringList m_valid;                 // absolute paths that must be embedded
    QHash<QString, QString> m_bad;       // file name -> expected reason
    EmbedResult m_first;
};

void TestEmbedStore::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QDir c(corpus());
    auto valid = [&](const QString &rel, const QByteArray &bytes) {
        writeBytes(c.filePath(rel), bytes);
        m_valid << c.filePath(rel);
    };
    valid(u"a.png"_qs, encoded(1, "PNG"));
    valid(u"b.jpg"_qs, encoded(2, "JPEG"));
    valid(u"nested/deeper/c.bmp"_qs, encoded(3, "BMP"));
    valid(u"nested/d.JPEG"_qs, encoded(4, "JPEG"));
    valid(u"café/日本語 ✓.png"_qs, encoded(5, "PNG"));
    valid(u"dup/a-copy.png"_qs, encoded(1, "PNG"));   // same bytes as a.png: its own item
    QFile::link(c.filePath(u"b.jpg"_qs), c.filePath(u"link-to-b.jpg"_qs));
    m_valid << c.filePath(u"link-to-b.jpg"_qs);
    writeBytes(c.filePath(u".hidden/e.png"_qs), encoded(6, "PNG"));   // skipped silently
    writeBytes(c.filePath(u"notes.txt"_qs), "not an image extension: ignored");

    auto bad = [&](const QString &name, const QByteArray &bytes, const QString &reason) {
        writeBytes(c.filePath(u"bad/"_qs + name), bytes);
        m_bad.insert(name, reason);
    };
    bad(u"zero.jpg"_qs, {}, u"zero bytes"_qs);
    const QByteArray jpeg = encoded(7, "JPEG", 64);
    bad(u"truncated.jpg"_qs, jpeg.left(jpeg.size() / 2), u"truncated"_qs);
    bad(u"text.png"_qs, "hello, I am plain text pretending to be a PNG\n", u"not an image"_qs);
    QByteArray bomb = encoded(8, "PNG");
    const char big[4] = {0, 0, char(0x4E), char(0x20)};   // IHDR says 20000 x 20000 = 400 MP
    bomb.replace(16, 4, QByteArray(big, 4));
    bomb.replace(20, 4, QByteArray(big, 4));
    bad(u"bomb.png"_qs, bomb, u"too large"_qs);
    QFile::link(c.filePath(u"bad/gone.jpg"_qs), c.filePath(u"bad/dangling.jpg"_qs));
    m_bad.insert(u"dangling.jpg"_qs, u"broken link"_qs);
    // chmod 000: unreadable for a normal user; root reads it anyway, and then it must be embedded.
    writeBytes(c.filePath(u"bad/locked.png"_qs), encoded(9, "PNG"));
    QFile::setPermissions(c.filePath(u"bad/locked.png"_qs), {});
    QFile probe(c.filePath(u"bad/locked.png"_qs));
    if (probe.open(QIODevice::ReadOnly))
        m_valid << c.filePath(u"bad/locked.png"_qs);
    else
        m_bad.insert(u"locked.png"_qs, u"unreadable"_qs);

    FakeModel model;
    EmbeddingStore store(m_dir.filePath(u"store.db"_qs));
    EmbedParams p;
    p.roots = {corpus()};
    p.batchSize = 3;
    JobControl job;
    m_first = runEmbedding(model, store, p, &job);
    QCOMPARE(job.snapshot().done, job.snapshot().total);

    // A tiny trained checkpoint for the CLI tests (seconds).
    m_ckpt = testing::trainTinyModel(m_dir.filePath(u"shapes"_qs), m_dir.filePath(u"run"_qs), {64, 3, 32, 2});
    QVERIFY(!m_ckpt.isEmpty());
}

void TestEmbedStore::validImagesEmbedded()
{
    EmbeddingStore store(m_dir.filePath(u"store.db"_qs));
    const QSet<QString> stored = storedImages(store, u"fake:1"_qs);
    QCOMPARE(stored, QSet<QString>(m_valid.begin(), m_valid.end()));
    QCOMPARE(m_first.embeddedImages, m_valid.size());
    QCOMPARE(m_first.cached, 0);
    QCOMPARE(m_first.skipped.size(), m_bad.size());
    // Unit vectors, one per item.
    const StoredSet set = store.load(store.findModel(u"fake:1"_qs)->id);
    for (int i = 0; i < set.vectors.rows; ++i) {
        double n = 0;
        for (float v : set.vectors.rowSpan(i))
            n += double(v) * v;
        QVERIFY(std::abs(n - 1) < 1e-4);
    }
}

void TestEmbedStore::badFilesReported_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("reason");
    for (auto it = m_bad.constBegin(); it != m_bad.constEnd(); ++it)
        QTest::newRow(qPrintable(it.key())) << it.key() << it.value();
}

void TestEmbedStore::badFilesReported()
{
    QFETCH(QString, name);
    QFETCH(QString, reason);
    const QString path = corpus() + u"/bad/"_qs + name;
    for (const SkippedFile &s : m_first.skipped) {
        if (s.path == path) {
            QCOMPARE(s.reason, reason);
            return;
        }
    }
    QFAIL(qPrintable(u"not reported: "_qs + path));
}

void TestEmbedStore::secondRunIsCached()
{
    FakeModel model;
    EmbeddingStore store(m_dir.filePath(u"store.db"_qs));
    EmbedParams p;
    p.roots = {corpus()};
    const EmbedResult r = runEmbedding(model, store, p);
    QCOMPARE(r.embedded(), 0);
    QCOMPARE(r.cached, m_valid.size());
    QCOMPARE(r.removed, 0);
    QCOMPARE(r.skipped.size(), m_bad.size());
}

void TestEmbedStore::incrementalReembed()
{
    // A copy of the corpus' valid part, then touch one, delete one, add one.
    const QString root = m_dir.filePath(u"incremental"_qs);
    for (int i = 0; i < 6; ++i)
        writeBytes(u"%1/sub%2/img%3.png"_qs.arg(root).arg(i % 2).arg(i), encoded(20 + i, "PNG"));
    FakeModel model;
    EmbeddingStore store(m_dir.filePath(u"incremental.db"_qs));
    EmbedParams p;
    p.roots = {root};
    QCOMPARE(runEmbedding(model, store, p).embeddedImages, 6);
    const qint64 id = store.findModel(u"fake:1"_qs)->id;
    const std::vector<float> before = *store.imageVector(id, root + u"/sub0/img0.png"_qs);

    writeBytes(root + u"/sub0/img0.png"_qs, encoded(99, "PNG"));          // changed content
    QFile f(root + u"/sub0/img0.png"_qs);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.setFileTime(QDateTime::currentDateTime().addSecs(60), QFileDevice::FileModificationTime));
    f.close();
    QVERIFY(QFile::remove(root + u"/sub1/img1.png"_qs));                  // deleted
    writeBytes(root + u"/sub1/new.png"_qs, encoded(40, "PNG"));           // added
    const EmbedResult r = runEmbedding(model, store, p);
    QCOMPARE(r.embeddedImages, 2);
    QCOMPARE(r.cached, 4);
    QCOMPARE(r.removed, 1);
    QCOMPARE(store.count(id, Modality::Image), 6);
    QCOMPARE(store.itemCount(), 6);
    QVERIFY(*store.imageVector(id, root + u"/sub0/img0.png"_qs) != before);
    QVERIFY(!store.imageVector(id, root + u"/sub1/img1.png"_qs));
}

// A caller that already scanned the roots (the explorer) passes its scan: the pipeline embeds
// exactly those files and does not walk the folder again (a file the scan did not see stays out).
void TestEmbedStore::usesCallersScan()
{
    const QString root = m_dir.filePath(u"prescanned"_qs);
    for (int i = 0; i < 3; ++i)
        writeBytes(u"%1/img%2.png"_qs.arg(root).arg(i), encoded(70 + i, "PNG"));
    const ImageScan scan = scanImages(root);
    QCOMPARE(scan.images.size(), 3);
    writeBytes(root + u"/late.png"_qs, encoded(80, "PNG"));   // arrives after the caller's scan
    EmbeddingStore store(m_dir.filePath(u"prescanned.db"_qs));
    FakeModel model;
    EmbedParams p;
    p.roots = {root};
    p.scans = {scan};
    QCOMPARE(runEmbedding(model, store, p).embeddedImages, 3);
    QVERIFY(!store.imageVector(store.findModel(u"fake:1"_qs)->id, root + u"/late.png"_qs));
    p.scans.clear();   // no scan given: the pipeline scans and finds it
    QCOMPARE(runEmbedding(model, store, p).embeddedImages, 1);
}

// A folder cut at the files-per-folder limit is a notice, and the images past the limit that are
// already stored stay stored (they were not deleted, only not scanned).
void TestEmbedStore::folderLimitKeepsStoredImages()
{
    const QString root = m_dir.filePath(u"limited"_qs);
    for (int i = 0; i < 6; ++i)
        writeBytes(u"%1/img%2.png"_qs.arg(root).arg(i), encoded(60 + i, "PNG"));
    EmbeddingStore store(m_dir.filePath(u"limited.db"_qs));
    FakeModel model;
    EmbedParams p;
    p.roots = {root};
    QCOMPARE(runEmbedding(model, store, p).embeddedImages, 6);

    const testing::ScopedLimit limit(&Limits::maxFilesPerFolder, 4);
    writeBytes(root + u"/img6.png"_qs, encoded(66, "PNG"));   // a new file past the limit: not embedded
    const EmbedResult r = runEmbedding(model, store, p);
    QCOMPARE(r.embeddedImages, 0);
    QCOMPARE(r.cached, 4);
    QCOMPARE(r.removed, 0);
    QVERIFY(r.skipped.isEmpty());
    QCOMPARE(r.notices.size(), 1);
    QVERIFY2(r.notices[0].contains(u"7 image files"_qs) && r.notices[0].contains(u"max-files-per-folder"_qs),
             qPrintable(r.notices[0]));
    const qint64 id = store.findModel(u"fake:1"_qs)->id;
    QCOMPARE(store.count(id, Modality::Image), 6);

    // Through the CLI's global flag, the notice is in the JSON and on nothing else.
    QProcess cli;
    cli.start(QStringLiteral(COSPACE_CLI), {u"--max-files-per-folder"_qs, u"5"_qs, u"embed"_qs, root, u"--model"_qs,
                                            m_ckpt, u"--store"_qs, m_dir.filePath(u"limited-cli.db"_qs), u"--json"_qs});
    QVERIFY(cli.waitForFinished(120000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonObject o = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    QCOMPARE(o[u"embedded"_qs].toInt(), 5);
    QCOMPARE(o[u"notices"_qs].toArray().size(), 1);
    QVERIFY(o[u"notices"_qs].toArray()[0].toString().contains(u"only the first 5"_qs));
}

void TestEmbedStore::switchingModelsKeepsBoth()
{
    const QString root = m_dir.filePath(u"switch"_qs);
    for (int i = 0; i < 4; ++i)
        writeBytes(u"%1/img%2.png"_qs.arg(root).arg(i), encoded(60 + i, "PNG"));
    EmbeddingStore store(m_dir.filePath(u"switch.db"_qs));
    EmbedParams p;
    p.roots = {root};
    FakeModel a(u"fake:a"_qs), b(u"fake:b"_qs, 8);
    QCOMPARE(runEmbedding(a, store, p).embeddedImages, 4);
    QCOMPARE(runEmbedding(b, store, p).embeddedImages, 4);
    QCOMPARE(runEmbedding(a, store, p).cached, 4);
    QCOMPARE(store.models().size(), 2);
    QCOMPARE(store.count(store.findModel(u"fake:a"_qs)->id), 4);
    QCOMPARE(store.count(store.findModel(u"fake:b"_qs)->id), 4);
    QCOMPARE(store.load(store.findModel(u"fake:b"_qs)->id).vectors.cols, 8);
    QCOMPARE(store.itemCount(), 4);   // items shared, vectors per model
}

void TestEmbedStore::captions()
{
    const QString txt = m_dir.filePath(u"captions.txt"_qs);
    writeBytes(txt, "a red car\n\n  a dog on a beach  \na red car\nnight sky\n");
    EmbeddingStore store(m_dir.filePath(u"captions.db"_qs));
    FakeModel model;
    EmbedParams p;
    p.captionsFile = txt;
    EmbedResult r = runEmbedding(model, store, p);
    QCOMPARE(r.embeddedCaptions, 3);   // the duplicate line is one item
    const qint64 id = store.findModel(u"fake:1"_qs)->id;
    QStringList texts;
    for (const StoredItem &item : store.load(id, Modality::Caption).items)
        texts << item.caption;
    texts.sort();
    QCOMPARE(texts, (QStringList{u"a dog on a beach"_qs, u"a red car"_qs, u"night sky"_qs}));
    // Stored caption vectors equal the model's own text embedding.
    const StoredSet set = store.load(id, Modality::Caption);
    const Matrix direct = model.encodeTexts({set.items[0].caption});
    QCOMPARE(std::vector<float>(set.vectors.row(0), set.vectors.row(0) + set.vectors.cols), direct.data);

    writeBytes(txt, "a red car\nsunset\n");
    r = runEmbedding(model, store, p);
    QCOMPARE(r.embeddedCaptions, 1);
    QCOMPARE(r.cached, 1);
    QCOMPARE(r.removed, 2);
    QCOMPARE(store.count(id, Modality::Caption), 2);

    // A paired TSV: captions keep the image they describe.
    const QString tsv = m_dir.filePath(u"pairs.tsv"_qs);
    writeBytes(tsv, "corpus/a.png\ta colourful square\ncorpus/b.jpg\tanother one\n");
    p.captionsFile = tsv;
    r = runEmbedding(model, store, p);
    QCOMPARE(r.embeddedCaptions, 2);
    bool found = false;
    for (const StoredItem &item : store.load(id, Modality::Caption).items)
        found |= item.caption == u"a colourful square" && item.path == corpus() + u"/a.png"_qs;
    QVERIFY(found);
}

void TestEmbedStore::cliEmbedJsonAndSearch()
{
    const QString db = m_dir.filePath(u"cli.db"_qs);
    const QString caps = m_dir.filePath(u"cli-captions.txt"_qs);
    writeBytes(caps, "a red circle\na blue square\na green triangle\n");
    QProcess p;
    p.start(QStringLiteral(COSPACE_CLI), {u"embed"_qs, corpus(), u"--model"_qs, m_ckpt, u"--store"_qs, db,
                                          u"--captions"_qs, caps, u"--json"_qs});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);   // skipped files do not fail the run
    const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(o.value(u"embedded"_qs).toInt(), m_valid.size() + 3);
    QCOMPARE(o.value(u"cached"_qs).toInt(), 0);
    const QJsonArray skipped = o.value(u"skipped"_qs).toArray();
    QCOMPARE(skipped.size(), m_bad.size());
    for (const QJsonValue &s : skipped) {
        const QString name = QFileInfo(s[u"path"_qs].toString()).fileName();
        QCOMPARE(s[u"reason"_qs].toString(), m_bad.value(name));
    }

    // CLI search equals a brute-force ranking of the stored vectors.
    p.start(QStringLiteral(COSPACE_CLI), {u"search"_qs, u"--store"_qs, db, u"--model"_qs, m_ckpt,
                                          u"--text"_qs, u"a red circle"_qs, u"-k"_qs, u"3"_qs, u"--json"_qs});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    const QJsonArray results = QJsonDocument::fromJson(p.readAllStandardOutput())[u"results"_qs].toArray();
    QCOMPARE(results.size(), 3);
    const std::unique_ptr<EmbeddingModel> model = loadModel(m_ckpt);
    const Matrix q = model->encodeTexts({u"a red circle"_qs});
    EmbeddingStore store(db);
    const StoredSet set = store.load(store.findModel(model->fingerprint())->id, Modality::Image);
    std::vector<std::pair<float, QString>> brute;
    for (int i = 0; i < set.vectors.rows; ++i)
        brute.emplace_back(std::inner_product(q.row(0), q.row(0) + q.cols, set.vectors.row(i), 0.f), set.items[i].path);
    std::sort(brute.begin(), brute.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(results[i][u"rank"_qs].toInt(), i + 1);
        QVERIFY(std::abs(results[i][u"score"_qs].toDouble() - brute[std::size_t(i)].first) < 1e-5);
        const double pct = results[i][u"percentile"_qs].toDouble();
        QVERIFY(pct >= 0 && pct <= 100);
    }
    QCOMPARE(results[0][u"path"_qs].toString(), brute[0].second);

    // An image query into captions returns captions.
    p.start(QStringLiteral(COSPACE_CLI), {u"search"_qs, u"--store"_qs, db, u"--model"_qs, m_ckpt, u"--image"_qs,
                                          corpus() + u"/a.png"_qs, u"--json"_qs});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    const QJsonArray caps3 = QJsonDocument::fromJson(p.readAllStandardOutput())[u"results"_qs].toArray();
    QCOMPARE(caps3.size(), 3);
    QVERIFY(caps3[0].toObject().contains(u"caption"_qs));

    // project --store: one layout row per stored vector, labelled in Y.tsv beside Y.npy.
    const QString layout = m_dir.filePath(u"layout.npy"_qs);
    p.start(QStringLiteral(COSPACE_CLI), {u"project"_qs, u"--store"_qs, db, u"--model"_qs, m_ckpt,
                                          u"--method"_qs, u"pca"_qs, u"--out"_qs, layout});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    const Matrix xy = readNpy(layout);
    QCOMPARE(xy.rows, int(store.count(store.findModel(model->fingerprint())->id)));
    QCOMPARE(xy.cols, 2);
    QFile labels(m_dir.filePath(u"layout.tsv"_qs));
    QVERIFY(labels.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = labels.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), xy.rows + 1);
    QCOMPARE(lines.first(), QByteArray("modality\tpath\tcaption"));
    QVERIFY(lines.last().startsWith("caption\t"));   // images first, then captions

    // A missing path is a failure to run, not a skipped file.
    p.start(QStringLiteral(COSPACE_CLI), {u"embed"_qs, m_dir.filePath(u"nope"_qs), u"--model"_qs, m_ckpt,
                                          u"--store"_qs, db});
    QVERIFY(p.waitForFinished(60000));
    QVERIFY(p.exitCode() != 0);
}

void TestEmbedStore::killAndResume()
{
    const QString root = m_dir.filePath(u"many"_qs);
    const int n = 400;
    for (int i = 0; i < n; ++i)
        writeBytes(u"%1/%2/img%3.png"_qs.arg(root).arg(i % 7).arg(i), encoded(100 + i, "PNG", 48));
    const QString db = m_dir.filePath(u"killed.db"_qs);
    const QStringList args{u"embed"_qs, root, u"--model"_qs, m_ckpt, u"--store"_qs, db, u"--batch"_qs, u"2"_qs,
                           u"--decode-threads"_qs, u"1"_qs, u"--json"_qs};
    QProcess child;
    child.start(QStringLiteral(COSPACE_CLI), args);
    QVERIFY(child.waitForStarted());
    // Wait until some batches are committed, then SIGKILL mid-run.
    qint64 seen = 0;
    for (int tries = 0; tries < 6000 && child.state() == QProcess::Running; ++tries) {
        QThread::msleep(10);
        if (!QFileInfo::exists(db))
            continue;
        EmbeddingStore peek(db);
        const auto models = peek.models();
        seen = models.isEmpty() ? 0 : peek.count(models.first().id);
        if (seen >= 10)
            break;
    }
    QVERIFY2(child.state() == QProcess::Running, "the embed run finished before it could be killed");
    ::kill(pid_t(child.processId()), SIGKILL);
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    EmbeddingStore store(db);
    const qint64 partial = store.count(store.models().first().id);
    QVERIFY2(partial > 0 && partial < n, qPrintable(QString::number(partial)));
    QCOMPARE(store.itemCount(), partial);   // no item without its vector

    QProcess rerun;
    rerun.start(QStringLiteral(COSPACE_CLI), args);
    QVERIFY(rerun.waitForFinished(300000));
    QCOMPARE(rerun.exitCode(), 0);
    const QJsonObject o = QJsonDocument::fromJson(rerun.readAllStandardOutput()).object();
    QCOMPARE(o[u"cached"_qs].toInt(), int(partial));
    QCOMPARE(o[u"embedded"_qs].toInt(), n - int(partial));
    QCOMPARE(store.count(store.models().first().id), n);
    QCOMPARE(store.itemCount(), n);
    QCOMPARE(storedImages(store, store.models().first().fingerprint).size(), n);
}

QTEST_GUILESS_MAIN(TestEmbedStore)
#include "tst_embedstore.moc"
