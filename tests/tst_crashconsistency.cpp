// Crash consistency (issue 9): cospace-cli embedding and training runs and workspace saves are
// SIGKILLed at random moments, over and over. After every kill the store, the run folder and the
// workspace file must be sound, nothing confirmed as written may be lost, and the next run must
// resume and finish with the same result as an uninterrupted one. A full disk (a small tmpfs;
// skipped when mounting is not allowed) must give a clear error and leave what was there intact.
//
// Rounds per kind: COSPACE_CRASH_ROUNDS (default 4; `make crash-test` runs 40); kill moments come
// from a seeded generator, COSPACE_CRASH_SEED (default 1), printed so a failure can be replayed.

#include "tinymodel.h"
#include "core/store/embeddingstore.h"
#include "core/model/sharedspacemodel.h"
#include "core/data/shapesdemo.h"
#include "core/explorer/workspace.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QStorageInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <random>

using namespace cospace;

namespace {

struct Outcome {
    bool killed = false;   // false: the process ended on its own first
    int exitCode = -1;
    QByteArray out, err;
};

// Starts `program args`, SIGKILLs it after `ms` milliseconds unless it ended before.
Outcome runAndKill(const QString &program, const QStringList &args, int ms)
{
    QProcess p;
    p.start(program, args);
    Outcome o;
    if (!p.waitForStarted())
        return o;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms && p.state() == QProcess::Running)
        p.waitForFinished(std::max<int>(1, int(ms - t.elapsed())));
    if (p.state() == QProcess::Running) {
        ::kill(pid_t(p.processId()), SIGKILL);
        o.killed = true;
    }
    p.waitForFinished(60000);
    o.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    o.out = p.readAllStandardOutput();
    o.err = p.readAllStandardError();
    return o;
}

Outcome runToEnd(const QString &program, const QStringList &args) { return runAndKill(program, args, 600000); }

// Starts `program args` and SIGKILLs it `ms` milliseconds after the file `watch` was seen to grow
// `grows` times (a store's write-ahead log grows with each committed batch), unless it ended
// before. The kill moment then follows the process's own progress, not the machine's speed.
Outcome runAndKillAfterGrowth(const QString &program, const QStringList &args, const QString &watch,
                              int grows, int ms)
{
    QProcess p;
    p.start(program, args);
    Outcome o;
    if (!p.waitForStarted())
        return o;
    qint64 size = 0;
    for (int seen = 0; seen < grows && p.state() == QProcess::Running;) {
        p.waitForFinished(1);
        const qint64 now = QFileInfo(watch).size();
        if (now > size)
            ++seen;
        size = std::max(size, now);
    }
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms && p.state() == QProcess::Running)
        p.waitForFinished(std::max<int>(1, int(ms - t.elapsed())));
    if (p.state() == QProcess::Running) {
        ::kill(pid_t(p.processId()), SIGKILL);
        o.killed = true;
    }
    p.waitForFinished(60000);
    o.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    o.out = p.readAllStandardOutput();
    o.err = p.readAllStandardError();
    return o;
}

void writePng(const QString &path, int seed)
{
    QImage img(40, 40, QImage::Format_RGB32);
    std::mt19937 rng(seed);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            img.setPixel(x, y, qRgb(int(rng() % 256), (x * 6 + seed) % 256, (y * 6) % 256));
    QDir().mkpath(QFileInfo(path).absolutePath());
    img.save(path);
}

// The non-empty lines of a JSON Lines file, in file order; a line that does not parse is an empty object.
QList<QJsonObject> metricLines(const QString &path)
{
    QList<QJsonObject> out;
    QFile f(path);
    if (f.open(QIODevice::ReadOnly))
        for (const QByteArray &line : f.readAll().split('\n'))
            if (!line.trimmed().isEmpty())
                out << QJsonDocument::fromJson(line).object();
    return out;
}

// The epochs of a metrics.jsonl, in file order; a line that does not parse is -1.
QList<int> metricEpochs(const QString &path)
{
    QList<int> epochs;
    for (const QJsonObject &o : metricLines(path))
        epochs << (o.isEmpty() ? -1 : o.value(u"epoch"_qs).toInt());
    return epochs;
}

// A tmpfs of `megabytes` at `dir` for one test function; isValid() is false where mounting is not
// allowed (not root, no CAP_SYS_ADMIN), and the caller skips.
class Tmpfs
{
public:
    Tmpfs(const QString &dir, int megabytes) : m_dir(dir)
    {
        QDir().mkpath(dir);
        m_ok = QProcess::execute(u"mount"_qs, {u"-t"_qs, u"tmpfs"_qs, u"-o"_qs, u"size=%1m"_qs.arg(megabytes),
                                               u"tmpfs"_qs, dir}) == 0;
    }
    ~Tmpfs()
    {
        if (m_ok)
            QProcess::execute(u"umount"_qs, {u"-l"_qs, m_dir});
    }
    bool isValid() const { return m_ok; }
    // Fills the file system up to `leaveBytes` of free space with a filler file.
    bool fill(qint64 leaveBytes) const
    {
        QFile filler(m_dir + u"/filler"_qs);
        if (!filler.open(QIODevice::Append))
            return false;
        const QByteArray chunk(64 * 1024, '\0');
        for (;;) {
            QStorageInfo info(m_dir);
            info.refresh();
            const qint64 excess = info.bytesAvailable() - leaveBytes;
            if (excess <= 0)
                return true;
            if (filler.write(chunk.left(std::min<qint64>(excess, chunk.size()))) <= 0 || !filler.flush())
                return true;
        }
    }
    void unfill() const { QFile::remove(m_dir + u"/filler"_qs); }

private:
    QString m_dir;
    bool m_ok = false;
};

}  // namespace

class TestCrashConsistency : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void embedKilledAtRandom();
    void trainKilledAtRandom();
    void workspaceSaveKilledAtRandom();
    void fullDisk_data();
    void fullDisk();

private:
    int delay(int maxMs) { return std::uniform_int_distribution<int>(0, std::max(1, maxMs))(m_rng); }
    QStringList embedArgs(const QString &db) const
    {
        return {u"embed"_qs, m_images, u"--model"_qs, m_ckpt, u"--store"_qs, db, u"--captions"_qs, m_captions,
                u"--batch"_qs, u"2"_qs, u"--decode-threads"_qs, u"1"_qs, u"--json"_qs};
    }
    QStringList trainArgs(const QString &run, bool resume) const
    {
        QStringList a{u"--threads"_qs, u"1"_qs, u"train"_qs, u"--data"_qs, m_shapes, u"--config"_qs, m_config,
                      u"--out"_qs, run};
        if (resume)
            a << u"--resume"_qs;
        return a;
    }

    QTemporaryDir m_dir;
    QString m_cli = QStringLiteral(COSPACE_CLI);
    QString m_ckpt, m_images, m_captions, m_shapes, m_config;
    int m_rounds = 4;
    std::mt19937 m_rng;
    static constexpr int kImages = 160;
    static constexpr int kWalGrowths = 6;   // past the schema and the first batches
};

void TestCrashConsistency::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_rounds = qEnvironmentVariableIntValue("COSPACE_CRASH_ROUNDS") > 0 ? qEnvironmentVariableIntValue("COSPACE_CRASH_ROUNDS") : 4;
    const int seed = qEnvironmentVariableIsSet("COSPACE_CRASH_SEED") ? qEnvironmentVariableIntValue("COSPACE_CRASH_SEED") : 1;
    m_rng.seed(seed);
    qInfo("%d rounds per kind, seed %d", m_rounds, seed);

    m_images = m_dir.filePath(u"images"_qs);
    QFile captions(m_dir.filePath(u"captions.tsv"_qs));
    QVERIFY(captions.open(QIODevice::WriteOnly));
    for (int i = 0; i < kImages; ++i) {
        const QString rel = u"%1/img%2.png"_qs.arg(i % 4).arg(i, 3, 10, QLatin1Char('0'));
        writePng(m_images + u'/' + rel, i);
        captions.write(u"images/%1\tpicture number %2 in folder %3\n"_qs.arg(rel).arg(i).arg(i % 4).toUtf8());
    }
    captions.close();
    m_captions = captions.fileName();
    m_ckpt = testing::trainTinyModel(m_dir.filePath(u"tinydata"_qs), m_dir.filePath(u"tinyrun"_qs), {64, 3, 32, 2});
    QVERIFY(!m_ckpt.isEmpty());

    m_shapes = m_dir.filePath(u"shapes"_qs);
    generateShapesDataset(m_shapes, {96, 3, 32, 2});
    SharedSpaceConfig c = SharedSpaceConfig::preset(u"tiny"_qs);
    c.train.epochs = 3;
    c.train.batchSize = 16;
    c.train.probeSize = 16;
    QFile config(m_dir.filePath(u"train.json"_qs));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(QJsonDocument(c.toJson()).toJson());
    config.close();
    m_config = config.fileName();
}

// Each cycle: a fresh store, killed at a random moment of its first run; the store must be sound
// and the next run must keep every stored vector (cached) and embed exactly the rest.
void TestCrashConsistency::embedKilledAtRandom()
{
    // Kill moments fall between the end of start-up (libraries and model loaded) and the end of an
    // uninterrupted run, where the writes are.
    QElapsedTimer t;
    t.start();
    QCOMPARE(runToEnd(m_cli, {u"--version"_qs}).exitCode, 0);
    const int startupMs = int(t.elapsed());
    t.restart();
    const Outcome full = runToEnd(m_cli, embedArgs(m_dir.filePath(u"reference.db"_qs)));
    const int fullMs = int(t.elapsed());
    QCOMPARE(full.exitCode, 0);
    const int total = QJsonDocument::fromJson(full.out).object().value(u"embedded"_qs).toInt();
    QCOMPARE(total, 2 * kImages);   // every image and every caption
    // Random moments first; if none of them lands while the run writes (start-up times on a loaded
    // machine vary by more than the writing takes), further rounds kill a random moment after the
    // store's write-ahead log has grown a few times, i.e. while batches are being committed.
    int killedMidway = 0;
    const int extraRounds = m_rounds >= 4 ? 12 : 0;
    for (int round = 0; round < m_rounds + extraRounds; ++round) {
        if (round >= m_rounds && killedMidway > 0)
            break;
        const QString db = m_dir.filePath(u"embed-%1.db"_qs.arg(round));
        const int ms = round < m_rounds ? startupMs + delay(fullMs - startupMs) : delay(50);
        const Outcome o = round < m_rounds
            ? runAndKill(m_cli, embedArgs(db), ms)
            : runAndKillAfterGrowth(m_cli, embedArgs(db), db + u"-wal"_qs, kWalGrowths, ms);
        qint64 stored = 0;
        if (QFileInfo::exists(db)) {
            EmbeddingStore store(db);
            const QStringList problems = store.integrityProblems();
            QVERIFY2(problems.isEmpty(), qPrintable(u"round %1, killed at %2 ms: %3"_qs.arg(round).arg(ms).arg(problems.join(u"; "_qs))));
            const auto models = store.models();
            stored = models.isEmpty() ? 0 : store.count(models.first().id);
            QCOMPARE(store.itemCount(), stored);
        }
        if (o.killed && stored > 0 && stored < total)
            ++killedMidway;
        const Outcome next = runToEnd(m_cli, embedArgs(db));
        QCOMPARE(next.exitCode, 0);
        const QJsonObject r = QJsonDocument::fromJson(next.out).object();
        QCOMPARE(r.value(u"cached"_qs).toInt(), int(stored));
        QCOMPARE(r.value(u"embedded"_qs).toInt(), total - int(stored));
        EmbeddingStore store(db);
        QVERIFY(store.integrityProblems().isEmpty());
        QCOMPARE(store.itemCount(), qint64(total));
    }
    qInfo("%d rounds killed the run while it was writing (%d random rounds, then up to %d after the log grew)",
          killedMidway, m_rounds, extraRounds);
    if (m_rounds >= 4)
        QVERIFY2(killedMidway > 0, "no round hit a run in the middle of writing; the kill moments are off");
}

// Each cycle: a fresh run folder, killed at random moments up to three times and resumed after
// each kill, then left to finish. After every kill the checkpoints load and never go back, and
// metrics.jsonl holds whole lines for epochs 1..n; the finished run's metrics must equal an
// uninterrupted run's (a resume continues exactly).
void TestCrashConsistency::trainKilledAtRandom()
{
    QElapsedTimer t;
    t.start();
    QCOMPARE(runToEnd(m_cli, {u"--version"_qs}).exitCode, 0);
    const int startupMs = int(t.elapsed());
    const QString reference = m_dir.filePath(u"train-reference"_qs);
    t.restart();
    QCOMPARE(runToEnd(m_cli, trainArgs(reference, false)).exitCode, 0);
    const int fullMs = int(t.elapsed());
    const QList<QJsonObject> expected = metricLines(reference + u"/metrics.jsonl"_qs);
    QCOMPARE(expected.size(), 3);

    int kills = 0;
    for (int cycle = 0; cycle < m_rounds; ++cycle) {
        const QString run = m_dir.filePath(u"train-killed-%1"_qs.arg(cycle));
        int checkpointEpoch = 0;
        for (int attempt = 0;; ++attempt) {
            QVERIFY(attempt < 10);
            const bool resume = QFileInfo::exists(run + u"/last.ckpt"_qs);
            const int ms = attempt < 3 ? startupMs + delay(fullMs - startupMs) : 600000;
            const Outcome o = runAndKill(m_cli, trainArgs(run, resume), ms);
            const QString where = u"cycle %1 attempt %2 (%3 ms)"_qs.arg(cycle).arg(attempt).arg(ms);
            if (!o.killed)
                QVERIFY2(o.exitCode == 0, o.err.constData());
            kills += o.killed;
            if (QFileInfo::exists(run + u"/last.ckpt"_qs)) {
                const CheckpointInfo info = readCheckpointInfo(run + u"/last.ckpt"_qs);
                QVERIFY2(info.epoch >= checkpointEpoch, qPrintable(where + u": checkpoint went back"_qs));
                checkpointEpoch = info.epoch;
            }
            if (QFileInfo::exists(run + u"/best.ckpt"_qs))
                QVERIFY(readCheckpointInfo(run + u"/best.ckpt"_qs).epoch >= 1);
            // At most one epoch ahead of the checkpoint: the epoch whose checkpoint the kill
            // prevented is redone on resume and its line rewritten.
            const QList<int> epochs = metricEpochs(run + u"/metrics.jsonl"_qs);
            for (int i = 0; i < epochs.size(); ++i)
                QVERIFY2(epochs[i] == i + 1, qPrintable(where + u": metrics.jsonl line %1 is epoch %2"_qs.arg(i + 1).arg(epochs[i])));
            QVERIFY2(epochs.size() >= checkpointEpoch && epochs.size() <= checkpointEpoch + 1,
                     qPrintable(where + u": %1 metric lines, checkpoint epoch %2"_qs.arg(epochs.size()).arg(checkpointEpoch)));
            if (!o.killed)
                break;
        }
        const QList<QJsonObject> got = metricLines(run + u"/metrics.jsonl"_qs);
        QCOMPARE(got.size(), expected.size());
        for (int i = 0; i < got.size(); ++i)
            for (const char *key : {"train_loss", "val_loss"}) {
                const double a = got[i].value(QLatin1String(key)).toDouble(), b = expected[i].value(QLatin1String(key)).toDouble();
                QVERIFY2(std::abs(a - b) <= 1e-5 * std::max(1.0, std::abs(b)),
                         qPrintable(u"cycle %1 epoch %2 %3: %4 vs uninterrupted %5"_qs.arg(cycle).arg(i + 1)
                                        .arg(QLatin1String(key)).arg(a).arg(b)));
            }
        QVERIFY(QFileInfo::exists(run + u"/final.ckpt"_qs));
        for (int e = 1; e <= 3; ++e)
            QVERIFY(QFileInfo::exists(run + u"/probe/epoch-%1.npy"_qs.arg(e, 3, 10, QLatin1Char('0'))));
    }
    qInfo("training killed %d times over %d cycles; every cycle finished with the uninterrupted metrics", kills, m_rounds);
    QVERIFY(kills > 0);
}

void TestCrashConsistency::workspaceSaveKilledAtRandom()
{
    const QString writer = QCoreApplication::applicationDirPath() + u"/crash_workspace_writer"_qs;
    QVERIFY(QFileInfo(writer).isExecutable());
    const QString path = m_dir.filePath(u"killed.cospace"_qs);
    int maxGeneration = 0;
    for (int round = 0; round < 5 * m_rounds; ++round) {
        // The clock starts at the writer's first confirmed save (start-up time varies, e.g. under
        // the sanitizers); the kill falls in the next 0-300 ms, hitting saves at all their stages.
        QProcess p;
        p.start(writer, {path});
        QVERIFY(p.waitForStarted());
        QVERIFY2(p.waitForReadyRead(60000), "the writer confirmed no save");
        QThread::msleep(ulong(delay(300)));
        ::kill(pid_t(p.processId()), SIGKILL);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);
        const QByteArray out = p.readAllStandardOutput();
        const QList<QByteArray> lines = out.trimmed().split('\n');
        const int confirmed = out.trimmed().isEmpty() ? 0 : lines.last().toInt();
        if (confirmed == 0 && !QFileInfo::exists(path))
            continue;
        Workspace w;
        try {
            w = Workspace::load(path);
        } catch (const std::exception &e) {
            QFAIL(qPrintable(u"round %1: %2"_qs.arg(round).arg(QString::fromUtf8(e.what()))));
        }
        const int generation = w.name.toInt();
        if (confirmed > 0) {   // the last confirmed save, or the one after it that completed unconfirmed
            QVERIFY2(generation == confirmed || generation == confirmed + 1,
                     qPrintable(u"round %1: file has %2, writer confirmed %3"_qs.arg(round).arg(generation).arg(confirmed)));
        }
        QCOMPARE(w.captions.size(), generation);
        maxGeneration = std::max(maxGeneration, generation);
    }
    QVERIFY(maxGeneration > 1);
    const QStringList leftovers = QDir(m_dir.path()).entryList({u"killed.cospace*"_qs}, QDir::Files | QDir::Hidden);
    qInfo("workspace reached generation %d; files: %s", maxGeneration, qPrintable(leftovers.join(u", "_qs)));
}

void TestCrashConsistency::fullDisk_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("embedding store") << u"embed"_qs;
    QTest::newRow("training checkpoint") << u"train"_qs;
    QTest::newRow("workspace save") << u"workspace"_qs;
}

void TestCrashConsistency::fullDisk()
{
    QFETCH(QString, kind);
    const QString mount = m_dir.filePath(u"tmpfs-"_qs + kind);
    const Tmpfs fs(mount, 96);   // room for the store's write-ahead log (up to 1000 pages of 64 KiB)
    if (!fs.isValid())
        QSKIP("cannot mount a tmpfs here (needs root); the full-disk cases are not run");

    if (kind == u"embed") {
        const QString db = mount + u"/store.db"_qs;
        QVERIFY(fs.fill(400 * 1024));
        const Outcome o = runToEnd(m_cli, embedArgs(db));
        QCOMPARE(o.exitCode, 1);
        QVERIFY2(o.err.contains("disk is full") || o.err.contains("No space left"), o.err.constData());
        fs.unfill();
        qint64 stored = 0;
        {
            EmbeddingStore store(db);
            QVERIFY2(store.integrityProblems().isEmpty(), qPrintable(store.integrityProblems().join(u"; "_qs)));
            const auto models = store.models();
            stored = models.isEmpty() ? 0 : store.count(models.first().id);
        }
        const Outcome again = runToEnd(m_cli, embedArgs(db));
        QVERIFY2(again.exitCode == 0, again.err.constData());
        const QJsonObject r = QJsonDocument::fromJson(again.out).object();
        QCOMPARE(r.value(u"cached"_qs).toInt(), int(stored));
        QCOMPARE(r.value(u"cached"_qs).toInt() + r.value(u"embedded"_qs).toInt(), 2 * kImages);
    } else if (kind == u"train") {
        const QString run = mount + u"/run"_qs;
        QStringList first = trainArgs(run, false);
        first << u"--epochs"_qs << u"1"_qs;
        QCOMPARE(runToEnd(m_cli, first).exitCode, 0);
        const QByteArray before = [&] { QFile f(run + u"/last.ckpt"_qs); f.open(QIODevice::ReadOnly); return f.readAll(); }();
        QVERIFY(fs.fill(64 * 1024));
        QStringList more = trainArgs(run, true);
        more << u"--epochs"_qs << u"2"_qs;
        const Outcome o = runToEnd(m_cli, more);
        QCOMPARE(o.exitCode, 1);
        QVERIFY2(o.err.contains("No space left") || o.err.contains("cannot write"), o.err.constData());
        QFile after(run + u"/last.ckpt"_qs);
        QVERIFY(after.open(QIODevice::ReadOnly));
        QCOMPARE(after.readAll(), before);   // the old checkpoint is untouched
        QCOMPARE(readCheckpointInfo(run + u"/last.ckpt"_qs).epoch, 1);
        fs.unfill();
        QCOMPARE(runToEnd(m_cli, more).exitCode, 0);   // space again: the resume goes through
        QCOMPARE(readCheckpointInfo(run + u"/last.ckpt"_qs).epoch, 2);
        QCOMPARE(metricEpochs(run + u"/metrics.jsonl"_qs), (QList<int>{1, 2}));
    } else {
        const QString path = mount + u"/w.cospace"_qs;
        Workspace small;
        small.name = u"small"_qs;
        small.save(path);
        QVERIFY(fs.fill(0));
        Workspace big = small;
        big.name = u"big"_qs;
        for (int i = 0; i < 20000; ++i)
            big.captions << u"a caption long enough to need more than the free space, number %1"_qs.arg(i);
        try {
            big.save(path);
            QFAIL("saved onto a full disk");
        } catch (const std::runtime_error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(path), e.what());
        }
        QCOMPARE(Workspace::load(path).name, u"small"_qs);
        QCOMPARE(QDir(mount).entryList(QDir::Files | QDir::Hidden).size(), 2);   // w.cospace and the filler
    }
}

QTEST_GUILESS_MAIN(TestCrashConsistency)
#include "tst_crashconsistency.moc"
