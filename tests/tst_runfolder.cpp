// Reading run folders headlessly (core/train/runfolder.h) and the probe analysis behind the inspector
// (core/train/probeanalysis.h): follow mode with half-written and rewritten logs (also rewritten
// between two polls: in place, by rename, to the same length), runs written by cospace_runlog (its
// config marker, extra scalars, probe thumbnails), clear errors for missing or inconsistent files,
// hand-computed ranks / impostors / hubs, probe pairs shared by two runs, and aligned layouts.

#include "core/projection/alignment.h"
#include "core/base/npy.h"
#include "core/train/probeanalysis.h"
#include "core/train/runfolder.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace cospace;

namespace {

void append(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Append));
    f.write(bytes);
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
}

// Written elsewhere and renamed over the file: a new inode, as atomic writers do.
void replaceFile(const QString &path, const QByteArray &bytes)
{
    writeFile(path + u".tmp"_qs, bytes);
    QVERIFY(QFile::remove(path));
    QVERIFY(QFile::rename(path + u".tmp"_qs, path));
}

ProbePair pair(const QString &image, const QString &caption) { return {image, caption, image, true}; }

QByteArray metricsLine(int epoch, double valLoss, int epochs = 3)
{
    return QStringLiteral(R"({"epoch":%1,"epochs":%3,"step":%4,"val_loss":%2,"train_loss":1.5,"i2t":{"R@1":0.25},"t2i":{"R@1":0.5}})"
                          "\n").arg(epoch).arg(valLoss).arg(epochs).arg(epoch * 10).toUtf8();
}

// P unit vectors in 2-D: images at angles a_j, captions at angles b_i.
Matrix probe(const std::vector<double> &imageAngles, const std::vector<double> &captionAngles)
{
    const int p = int(imageAngles.size());
    Matrix m(2 * p, 2);
    for (int i = 0; i < p; ++i) {
        m.at(i, 0) = float(std::cos(imageAngles[std::size_t(i)]));
        m.at(i, 1) = float(std::sin(imageAngles[std::size_t(i)]));
        m.at(p + i, 0) = float(std::cos(captionAngles[std::size_t(i)]));
        m.at(p + i, 1) = float(std::sin(captionAngles[std::size_t(i)]));
    }
    return m;
}

}  // namespace

class TestRunFolder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsACompleteRun();
    void halfWrittenLineWaits();
    void rewrittenLogReplacesLaterEpochs();
    void rewrittenBetweenPolls_data();
    void rewrittenBetweenPolls();
    void relogReportsFirstChangedEpoch();
    void runlogFolder();
    void probeThumbnails();
    void sharedProbePairsAcrossWriters();
    void errors_data();
    void errors();
    void analysisByHand();
    void timelineAlignsEpochs();
};

void TestRunFolder::readsACompleteRun()
{
    QTemporaryDir dir;
    const QString run = dir.path();
    writeFile(run + u"/config.json"_qs, R"({"train": {"epochs": 2}})");
    writeFile(run + u"/metrics.jsonl"_qs, metricsLine(1, 2.0, 2) + metricsLine(2, 1.0, 2));
    writeFile(run + u"/steps.jsonl"_qs, R"({"step":10,"epoch":1,"loss":3.0,"lr":0.001,"temperature":0.07})" "\n"
                                         R"({"step":20,"epoch":2,"loss":2.0,"lr":0.002,"temperature":0.06})" "\n");
    QDir().mkpath(run + u"/probe"_qs);
    writeFile(run + u"/probe/pairs.tsv"_qs, "image\tcaption\n/data/a.png\ta red circle\n/data/b.png\ta blue square\n");
    writeNpy(run + u"/probe/epoch-001.npy"_qs, probe({0, 1}, {0.1, 1.1}));
    writeNpy(run + u"/probe/epoch-002.npy"_qs, probe({0, 1}, {0.1, 1.1}));

    const RunFolder r = RunFolder::open(run);
    QCOMPARE(r.epochs().size(), 2);
    QCOMPARE(r.plannedEpochs(), 2);
    QVERIFY(r.finished());
    QCOMPARE(r.stepsPerEpoch(), 10);
    QCOMPARE(RunFolder::value(r.epochs()[1], u"val_loss"_qs), 1.0);
    QCOMPARE(RunFolder::value(r.epochs()[0], u"t2i/R@1"_qs), 0.5);
    QVERIFY(std::isnan(RunFolder::value(r.epochs()[0], u"t2i/R@5"_qs)));
    QCOMPARE(r.steps().size(), 2);
    QCOMPARE(r.steps()[1].temperature, 0.06);
    QCOMPARE(r.probePairs().size(), 2);
    QCOMPARE(r.probePairs()[1].caption, u"a blue square"_qs);
    QCOMPARE(r.probePairs()[0].image, u"/data/a.png"_qs);
    QCOMPARE(r.probeEpochs(), (QList<int>{1, 2}));
    QCOMPARE(r.probeEmbeddings(2).rows, 4);
}

// A trainer caught mid-write: the incomplete line is not read (nor counted bad) until it ends.
void TestRunFolder::halfWrittenLineWaits()
{
    QTemporaryDir dir;
    const QString metrics = dir.path() + u"/metrics.jsonl"_qs;
    const QByteArray second = metricsLine(2, 1.0);
    writeFile(metrics, metricsLine(1, 2.0) + second.left(25));
    RunFolder r = RunFolder::open(dir.path());
    QCOMPARE(r.epochs().size(), 1);
    QCOMPARE(r.badLines(), 0);
    QVERIFY(!r.refresh());
    append(metrics, second.mid(25, 10));
    QVERIFY(!r.refresh());
    QCOMPARE(r.epochs().size(), 1);
    append(metrics, second.mid(35));
    QVERIFY(r.refresh());
    QCOMPARE(r.epochs().size(), 2);
    QCOMPARE(RunFolder::value(r.epochs()[1], u"val_loss"_qs), 1.0);
    QCOMPARE(r.badLines(), 0);
    QVERIFY(!r.finished());
    // The probe file of an epoch whose metrics line is not written yet does not count.
    QDir().mkpath(dir.path() + u"/probe"_qs);
    writeNpy(dir.path() + u"/probe/epoch-003.npy"_qs, probe({0, 1, 2}, {0, 1, 2}));
    QVERIFY(r.probeEpochs().isEmpty());
    append(metrics, metricsLine(3, 0.5));
    QVERIFY(r.refresh());
    QCOMPARE(r.probeEpochs(), QList<int>{3});
    QVERIFY(r.finished());
}

// A resumed run rewrites metrics.jsonl with its first epochs and appends new ones.
void TestRunFolder::rewrittenLogReplacesLaterEpochs()
{
    QTemporaryDir dir;
    const QString metrics = dir.path() + u"/metrics.jsonl"_qs;
    writeFile(metrics, metricsLine(1, 2.0) + metricsLine(2, 1.0) + metricsLine(3, 0.9));
    RunFolder r = RunFolder::open(dir.path());
    QCOMPARE(r.epochs().size(), 3);
    writeFile(metrics, metricsLine(1, 2.0));   // shorter: re-read from the top
    QVERIFY(r.refresh());
    QCOMPARE(r.epochs().size(), 1);
    append(metrics, metricsLine(2, 0.7));
    QVERIFY(r.refresh());
    QCOMPARE(r.epochs().size(), 2);
    QCOMPARE(RunFolder::value(r.epochs()[1], u"val_loss"_qs), 0.7);
    // Appended without truncation (a killed run resumed from an earlier checkpoint): the repeated
    // epoch replaces what followed it.
    append(metrics, metricsLine(3, 0.6) + metricsLine(2, 0.65));
    QVERIFY(r.refresh());
    QCOMPARE(r.epochs().size(), 2);
    QCOMPARE(RunFolder::value(r.epochs()[1], u"val_loss"_qs), 0.65);
    // Steps: a step seen before drops the later ones.
    const QString steps = dir.path() + u"/steps.jsonl"_qs;
    writeFile(steps, R"({"step":10,"loss":3})" "\n" R"({"step":20,"loss":2})" "\n" R"({"step":30,"loss":1})" "\n"
                     R"({"step":20,"loss":2.5})" "\nnot json\n");
    QVERIFY(r.refresh());
    QCOMPARE(r.steps().size(), 2);
    QCOMPARE(r.steps().last().loss, 2.5);
    QCOMPARE(r.badLines(), 1);
}

// Follow mode sees a log only between two polls. A log cut back and grown past the old read offset in
// that time (in place or by rename), or rewritten to the very same length, must be read again from
// the top, not from the middle of a line.
void TestRunFolder::rewrittenBetweenPolls_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<int>("epochs");          // after the rewrite
    QTest::addColumn<int>("firstChanged");
    QTest::newRow("cut back and grown, in place") << u"inplace"_qs << 4 << 2;
    QTest::newRow("cut back and grown, renamed over") << u"rename"_qs << 4 << 2;
    QTest::newRow("same length, other numbers") << u"samelength"_qs << 3 << 2;
    QTest::newRow("removed") << u"removed"_qs << 0 << 1;
}

void TestRunFolder::rewrittenBetweenPolls()
{
    QFETCH(QString, how);
    QFETCH(int, epochs);
    QFETCH(int, firstChanged);
    QTemporaryDir dir;
    const QString metrics = dir.path() + u"/metrics.jsonl"_qs;
    writeFile(metrics, metricsLine(1, 2.0) + metricsLine(2, 1.0) + metricsLine(3, 0.9));
    RunFolder r = RunFolder::open(dir.path());
    QCOMPARE(r.epochs().size(), 3);
    // Epoch 1 kept, then epochs 2.. logged again with other losses (a resumed run), longer than before.
    const QByteArray resumed = metricsLine(1, 2.0) + metricsLine(2, 0.75) + metricsLine(3, 0.625)
                               + metricsLine(4, 0.5, 4);
    if (how == u"inplace")
        writeFile(metrics, resumed);
    else if (how == u"rename")
        replaceFile(metrics, resumed);
    else if (how == u"samelength")
        writeFile(metrics, metricsLine(1, 2.0) + metricsLine(2, 3.0) + metricsLine(3, 0.8));
    else
        QVERIFY(QFile::remove(metrics));
    QVERIFY(r.refresh());
    QCOMPARE(r.epochs().size(), epochs);
    QCOMPARE(r.firstChangedEpoch(), firstChanged);
    QCOMPARE(r.badLines(), 0);
    if (how == u"samelength") {
        QCOMPARE(RunFolder::value(r.epochs()[1], u"val_loss"_qs), 3.0);
        QCOMPARE(RunFolder::value(r.epochs()[2], u"val_loss"_qs), 0.8);
    } else if (epochs == 4) {
        QCOMPARE(RunFolder::value(r.epochs()[1], u"val_loss"_qs), 0.75);
        QCOMPARE(RunFolder::value(r.epochs()[3], u"val_loss"_qs), 0.5);
        QCOMPARE(r.plannedEpochs(), 4);
    }
    // Appending afterwards reads on from the new end.
    append(metrics, metricsLine(epochs + 1, 0.25, epochs + 1));
    QVERIFY(r.refresh());
    QCOMPARE(r.epochs().size(), epochs + 1);
    QCOMPARE(r.firstChangedEpoch(), 0);
    QVERIFY(r.finished());
}

// cospace_runlog logs an epoch again by appending its line (resume=True); on close() it cuts the file
// back to what a reader shows. The inspector must hear that epoch 3 changed, not only that the count
// stayed 3, and must not hear of a change when the compacted file says the same.
void TestRunFolder::relogReportsFirstChangedEpoch()
{
    QTemporaryDir dir;
    const QString metrics = dir.path() + u"/metrics.jsonl"_qs;
    writeFile(metrics, metricsLine(1, 2.0) + metricsLine(2, 1.0) + metricsLine(3, 0.9));
    RunFolder r = RunFolder::open(dir.path());
    QCOMPARE(r.firstChangedEpoch(), 0);
    append(metrics, metricsLine(3, 0.7));
    QVERIFY(r.refresh());
    QCOMPARE(r.epochs().size(), 3);
    QCOMPARE(r.firstChangedEpoch(), 3);
    QCOMPARE(RunFolder::value(r.epochs()[2], u"val_loss"_qs), 0.7);
    QVERIFY(!r.refresh());
    QCOMPARE(r.firstChangedEpoch(), 0);
    replaceFile(metrics, metricsLine(1, 2.0) + metricsLine(2, 1.0) + metricsLine(3, 0.7));   // compacted
    QVERIFY(r.refresh());
    QCOMPARE(r.epochs().size(), 3);
    QCOMPARE(r.firstChangedEpoch(), 0);
}

// A run folder as cospace_runlog writes it: its config is the loop's own (its "train" is not
// Cospace's), the planned epochs come from the marker until the first line, the lines say what the
// metrics were computed on, and the loop's own scalars — numbers, strings, nulls — are kept.
void TestRunFolder::runlogFolder()
{
    QTemporaryDir dir;
    const QString run = dir.path();
    writeFile(run + u"/config.json"_qs, R"({"lr": 0.002, "train": {"epochs": 99},
                                           "cospace_runlog": {"version": "0.1.0", "epochs": 4}})");
    writeFile(run + u"/metrics.jsonl"_qs, "");
    RunFolder r = RunFolder::open(run);
    QVERIFY(r.writtenOutsideCospace());
    QCOMPARE(r.plannedEpochs(), 4);
    QVERIFY(!r.finished());
    QVERIFY(!r.hasCheckpoint());
    append(run + u"/metrics.jsonl"_qs,
           R"({"epoch":1,"epochs":4,"step":50,"val_loss":null,"i2t":{"R@1":0.5},"metrics_on":"probe",)"
           R"("grad_norm":1.5,"phase":"warmup","acc":null,"flag":true,"lr_scale":1})" "\n"
           R"({"epoch":2,"epochs":4,"step":100,"val_loss":1.25,"metrics_on":"validation","grad_norm":null,)"
           R"("phase":"main","extra.top5":0.75})" "\n");
    writeFile(run + u"/steps.jsonl"_qs, R"({"step":10,"epoch":1,"loss":3.0,"grad_norm":2.5,"phase":"warmup"})" "\n"
                                         R"({"step":20,"epoch":1,"loss":2.0,"tokens_per_s":1000})" "\n");
    QVERIFY(r.refresh());
    QCOMPARE(r.epochs().size(), 2);
    QCOMPARE(RunFolder::metricsOn(r.epochs()[0]), u"probe"_qs);
    QCOMPARE(RunFolder::metricsOn(r.epochs()[1]), u"validation"_qs);
    QCOMPARE(RunFolder::metricsOn(QJsonObject{{u"epoch"_qs, 1}}), u"validation"_qs);   // Cospace's trainer
    QVERIFY(std::isnan(RunFolder::value(r.epochs()[0], u"val_loss"_qs)));   // NaN was written as null
    QVERIFY(std::isnan(RunFolder::value(r.epochs()[0], u"phase"_qs)));      // strings are not plotted
    QCOMPARE(r.extraEpochKeys(), (QStringList{u"grad_norm"_qs, u"lr_scale"_qs, u"extra.top5"_qs}));
    QCOMPARE(r.extraStepKeys(), (QStringList{u"grad_norm"_qs, u"tokens_per_s"_qs}));
    QCOMPARE(r.steps()[0].extra.value(u"grad_norm"_qs).toDouble(), 2.5);
    QCOMPARE(r.steps()[0].extra.value(u"phase"_qs).toString(), u"warmup"_qs);
    QVERIFY(!r.steps()[0].extra.contains(u"loss"_qs));
    // A Cospace config: planned epochs from train.epochs, not an outside run.
    writeFile(run + u"/config.json"_qs, R"({"train": {"epochs": 7}})");
    writeFile(run + u"/metrics.jsonl"_qs, "");
    const RunFolder cospaceRun = RunFolder::open(run);
    QVERIFY(!cospaceRun.writtenOutsideCospace());
    QCOMPARE(cospaceRun.plannedEpochs(), 7);
}

// The image named in pairs.tsv when it can be read, else the run's thumbnail probe/thumbs/NNNN.png
// (NNNN = the pair's row); an in-memory image is named by its thumbnail, relative to the run folder.
void TestRunFolder::probeThumbnails()
{
    QTemporaryDir dir;
    const QString run = dir.path() + u"/run"_qs;
    QDir().mkpath(run + u"/probe/thumbs"_qs);
    QImage image(8, 8, QImage::Format_RGB32);
    image.fill(Qt::red);
    const QString onDisk = dir.path() + u"/a.png"_qs;
    QVERIFY(image.save(onDisk));
    for (const QString &name : {u"0000"_qs, u"0001"_qs, u"0002"_qs})
        QVERIFY(image.save(run + u"/probe/thumbs/"_qs + name + u".png"_qs));
    writeFile(run + u"/config.json"_qs, R"({"cospace_runlog": {"version": "0.1.0", "epochs": 2}})");
    writeFile(run + u"/probe/pairs.tsv"_qs, "image\tcaption\n" + onDisk.toUtf8() + "\ta red square\n"
              "/elsewhere/b.png\ta blue circle\nprobe/thumbs/0002.png\tfrom memory\n/elsewhere/d.png\tno thumbnail\n");
    const RunFolder r = RunFolder::open(run);
    const QList<ProbePair> &p = r.probePairs();
    QCOMPARE(p.size(), 4);
    QCOMPARE(p[0].preview, onDisk);
    QVERIFY(p[0].imageReadable);
    QCOMPARE(p[1].image, u"/elsewhere/b.png"_qs);
    QCOMPARE(p[1].preview, run + u"/probe/thumbs/0001.png"_qs);
    QVERIFY(!p[1].imageReadable);
    QCOMPARE(p[2].image, run + u"/probe/thumbs/0002.png"_qs);
    QCOMPARE(p[2].preview, p[2].image);
    QVERIFY(p[2].imageReadable);
    QCOMPARE(p[3].preview, u"/elsewhere/d.png"_qs);
    QVERIFY(!p[3].imageReadable);
}

// A Cospace run and a PyTorch run on the same data name their probe images differently (absolute or
// relative, through a symbolic link, with "..") and may list other pairs in another order.
void TestRunFolder::sharedProbePairsAcrossWriters()
{
    QTemporaryDir dir;
    QDir().mkpath(dir.path() + u"/data/images"_qs);
    for (const QString &name : {u"a"_qs, u"b"_qs, u"c"_qs})
        writeFile(dir.path() + u"/data/images/"_qs + name + u".png"_qs, "x");
    QVERIFY(QFile::link(dir.path() + u"/data"_qs, dir.path() + u"/link"_qs));
    const QString d = dir.path();
    const QList<ProbePair> cospace{pair(d + u"/data/images/a.png"_qs, u"a red circle"_qs),
                                   pair(d + u"/data/images/b.png"_qs, u"a blue square"_qs),
                                   pair(d + u"/data/images/c.png"_qs, u"a green star"_qs)};
    const QList<ProbePair> python{pair(d + u"/link/images/c.png"_qs, u"a green  star"_qs),
                                  pair(d + u"/x/../data/images/a.png"_qs, u"a red circle"_qs),
                                  pair(d + u"/data/images/b.png"_qs, u"another caption"_qs),
                                  pair(u"/nowhere/z.png"_qs, u"a red circle"_qs)};
    using Shared = std::vector<std::pair<int, int>>;
    QCOMPARE(sharedProbePairs(cospace, python), (Shared{{0, 1}, {2, 0}}));
    QCOMPARE(sharedProbePairs(python, cospace), (Shared{{0, 2}, {1, 0}}));
    QVERIFY(sharedProbePairs(cospace, {}).empty());
    // The shared rows' embeddings, images then captions.
    const Matrix e = probe({0, 1, 2}, {3, 4, 5});
    const Matrix s = probeSubset(e, {2, 0});
    QCOMPARE(s.rows, 4);
    QCOMPARE(s.at(0, 0), e.at(2, 0));
    QCOMPARE(s.at(1, 1), e.at(0, 1));
    QCOMPARE(s.at(2, 0), e.at(5, 0));
    QCOMPARE(s.at(3, 1), e.at(3, 1));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, probeSubset(e, {3}));
}

void TestRunFolder::errors_data()
{
    QTest::addColumn<QString>("setup");
    QTest::addColumn<int>("epoch");        // 0: open() fails; else probeEmbeddings(epoch) fails
    QTest::addColumn<QString>("message");
    QTest::newRow("no folder") << u"none"_qs << 0 << u"no such folder"_qs;
    QTest::newRow("not a run") << u"empty"_qs << 0 << u"not a training run folder"_qs;
    QTest::newRow("missing probe file") << u"run"_qs << 2 << u"epoch-002.npy: no such file"_qs;
    QTest::newRow("probe rows disagree with pairs.tsv") << u"badrows"_qs << 1 << u"probe/pairs.tsv lists 3 pairs"_qs;
    QTest::newRow("odd probe rows") << u"oddrows"_qs << 1 << u"expected P image rows then P caption rows"_qs;
    QTest::newRow("probe file not npy") << u"garbage"_qs << 1 << u"epoch-001.npy"_qs;
}

void TestRunFolder::errors()
{
    QFETCH(QString, setup);
    QFETCH(int, epoch);
    QFETCH(QString, message);
    QTemporaryDir tmp;
    const QString run = tmp.path() + u"/run"_qs;
    if (setup != u"none")
        QDir().mkpath(run + u"/probe"_qs);
    if (setup != u"none" && setup != u"empty")
        writeFile(run + u"/metrics.jsonl"_qs, metricsLine(1, 1.0) + metricsLine(2, 1.0));
    if (setup == u"badrows") {
        writeFile(run + u"/probe/pairs.tsv"_qs, "image\tcaption\na\tx\nb\ty\nc\tz\n");
        writeNpy(run + u"/probe/epoch-001.npy"_qs, probe({0, 1}, {0, 1}));
    } else if (setup == u"oddrows") {
        writeNpy(run + u"/probe/epoch-001.npy"_qs, Matrix(3, 4, 0.5f));
    } else if (setup == u"garbage") {
        writeFile(run + u"/probe/epoch-001.npy"_qs, "this is not numpy");
    }
    QString error;
    try {
        const RunFolder r = RunFolder::open(run);
        if (epoch > 0)
            r.probeEmbeddings(epoch);
    } catch (const std::exception &e) {
        error = QString::fromUtf8(e.what());
    }
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY2(error.contains(run) || setup == u"none", qPrintable(error));   // names the folder or file
}

// Three pairs on the unit circle: images at 0°, 90°, 180°; captions at 10° (near image 0, correct),
// 170° (near image 2: wrong, its image is 1) and 100° (near image 1: wrong, its image is 2).
void TestRunFolder::analysisByHand()
{
    const double d = M_PI / 180;
    const ProbeAnalysis a = analyseProbe(probe({0, 90 * d, 180 * d}, {10 * d, 170 * d, 100 * d}));
    QCOMPARE(a.pairs, 3);
    QCOMPARE(a.similarity.rows, 3);
    QVERIFY(std::abs(a.similarity.at(0, 0) - float(std::cos(10 * d))) < 1e-5);
    QVERIFY(std::abs(a.similarity.at(1, 2) - float(std::cos(10 * d))) < 1e-5);
    QCOMPARE(a.captionRank, (std::vector<int>{1, 2, 2}));
    QCOMPARE(a.topImage, (std::vector<int>{0, 2, 1}));
    QCOMPARE(a.kOccurrence1, (std::vector<int>{1, 1, 1}));
    QCOMPARE(a.impostors(1, 2), (std::vector<int>{2, 0}));   // caption 1: image 2 (cos 10°) then image 0 (cos 170°)
    QCOMPARE(a.rankedCaptions(2, 3), (std::vector<int>{1, 2, 0}));
    QVERIFY(a.hubs(2).empty());
    QCOMPARE(a.metrics.t2i.r1, 1.0 / 3);
    // Captions 1 and 2 with the same text (one emoji under two art styles): each is right for both
    // images 1 and 2, so caption 1's nearest image (2) and caption 2's (1) are hits.
    const QList<ProbePair> pairs{pair(u"/a.png"_qs, u"a cat"_qs), pair(u"/b.png"_qs, u"red heart"_qs),
                                 pair(u"/c.png"_qs, u"red heart"_qs)};
    const ProbeAnalysis shared = analyseProbe(probe({0, 90 * d, 180 * d}, {10 * d, 170 * d, 100 * d}), pairs);
    QCOMPARE(shared.captionText, (std::vector<int>{0, 1, 1}));
    QCOMPARE(shared.captionRank, (std::vector<int>{1, 1, 1}));
    QCOMPARE(shared.metrics.t2i.r1, 1.0);
    QCOMPARE(shared.topImage, a.topImage);   // the similarities themselves do not change
    // ... and image 2 is no impostor of caption 1 (nor image 1 of caption 2): only image 0 is wrong.
    QCOMPARE(shared.impostors(1, 2), std::vector<int>{0});
    QCOMPARE(shared.impostors(2, 2), std::vector<int>{0});
    QCOMPARE(shared.impostors(0, 2), (std::vector<int>{1, 2}));   // caption 0: cos 80° then cos 170°
    // Pairs of the wrong number are ignored.
    QCOMPARE(analyseProbe(probe({0, 90 * d, 180 * d}, {10 * d, 170 * d, 100 * d}), pairs.mid(0, 2)).captionRank,
             a.captionRank);
    // A hub: every caption nearest image 0.
    const ProbeAnalysis h = analyseProbe(probe({0, 120 * d, 240 * d}, {5 * d, 10 * d, 15 * d}));
    QCOMPARE(h.kOccurrence1, (std::vector<int>{3, 0, 0}));
    QCOMPARE(h.hubs(2), std::vector<int>{0});
    QCOMPARE(h.kOccurrence5, (std::vector<int>{3, 3, 3}));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, analyseProbe(Matrix(3, 2, 1.f)));
}

// The same space rotated between epochs: after alignment the layouts coincide; a new layout has the
// probe's rows and a sensible scale.
void TestRunFolder::timelineAlignsEpochs()
{
    Matrix e1(40, 8);
    for (int i = 0; i < e1.rows; ++i)
        for (int j = 0; j < e1.cols; ++j)
            e1.at(i, j) = float(std::sin(1.3 * i + 0.7 * j * j + 0.1 * i * j));
    // Epoch 2: a rotation in the (0, 1) plane of the embedding space (the same geometry).
    Matrix e2 = e1;
    for (int i = 0; i < e2.rows; ++i) {
        const float x = e1.at(i, 0), y = e1.at(i, 1);
        e2.at(i, 0) = 0.6f * x - 0.8f * y;
        e2.at(i, 1) = 0.8f * x + 0.6f * y;
    }
    SpaceTimeline t(ProjectionMethod::Pca);
    const Matrix l1 = t.append(e1);
    const Matrix l2 = t.append(e2);
    QCOMPARE(t.size(), 2);
    QCOMPARE(l1.rows, 40);
    QCOMPARE(l1.cols, 2);
    double rms = 0, spread = 0;
    for (int i = 0; i < l1.rows; ++i) {
        rms += std::pow(l1.at(i, 0) - l2.at(i, 0), 2) + std::pow(l1.at(i, 1) - l2.at(i, 1), 2);
        spread += std::pow(l1.at(i, 0), 2) + std::pow(l1.at(i, 1), 2);
    }
    QVERIFY2(std::sqrt(rms / l1.rows) < 1e-3 * std::sqrt(spread / l1.rows), qPrintable(QString::number(rms)));
    QVERIFY(std::sqrt(spread / l1.rows) > 1.0);   // points about a unit apart, not squeezed into [-1, 1]
    // UMAP starts from the previous layout and is aligned too.
    SpaceTimeline u(ProjectionMethod::Umap);
    u.append(e1);
    QCOMPARE(u.append(e2).rows, 40);
}

QTEST_GUILESS_MAIN(TestRunFolder)
#include "tst_runfolder.moc"
