// Reading run folders headlessly (core/runfolder.h) and the probe analysis behind the inspector
// (core/probeanalysis.h): follow mode with half-written and rewritten logs, clear errors for missing
// or inconsistent files, hand-computed ranks / impostors / hubs, and aligned layouts over epochs.

#include "core/projection/alignment.h"
#include "core/base/npy.h"
#include "core/train/probeanalysis.h"
#include "core/train/runfolder.h"

#include <QDir>
#include <QFile>
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
    const QList<ProbePair> pairs{{u"/a.png"_qs, u"a cat"_qs}, {u"/b.png"_qs, u"red heart"_qs}, {u"/c.png"_qs, u"red heart"_qs}};
    QCOMPARE(probeCaptionTextIds(pairs), (std::vector<int>{0, 1, 1}));
    const ProbeAnalysis shared = analyseProbe(probe({0, 90 * d, 180 * d}, {10 * d, 170 * d, 100 * d}), probeCaptionTextIds(pairs));
    QCOMPARE(shared.captionRank, (std::vector<int>{1, 1, 1}));
    QCOMPARE(shared.metrics.t2i.r1, 1.0);
    QCOMPARE(shared.topImage, a.topImage);   // the similarities themselves do not change
    // Ids of the wrong length are ignored.
    QCOMPARE(analyseProbe(probe({0, 90 * d, 180 * d}, {10 * d, 170 * d, 100 * d}), {0, 1}).captionRank, a.captionRank);
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
