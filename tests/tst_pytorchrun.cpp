// A PyTorch training loop Cospace did not write, seen by the inspector (issue #18), end to end:
//  - exampleInInspector: examples/pytorch/train_two_tower.py (Debian's python3-torch) trains 2 short
//    epochs on a generated shapes set; `cospace --run RUN --screenshot --values` opens the run
//    headless, and what the inspector shows equals what the writer logged (metrics.jsonl,
//    steps.jsonl) and, for the probe, what cospace_runlog.retrieval_metrics says of the same .npy;
//  - followsPythonWriter: tests/fixtures/runlog_follow_writer.py writes a run with RunWriter one epoch
//    at a time, each when the test opens its gate, while the inspector follows the folder: every
//    epoch appears while it watches, the re-logged epoch replaces its curves and its layout.
// Registered as two CTest tests (pytorch_example, pytorch_follow); each well under a minute.

#include "ui/inspector/comparepanel.h"
#include "ui/inspector/failurebrowser.h"
#include "ui/inspector/heatmapview.h"
#include "ui/inspector/trainingcharts.h"
#include "ui/inspector/traininginspector.h"
#include "ui/map/mapview.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace cospace;

namespace {

constexpr int kProcessMs = 120000;   // each external step takes seconds; slack for a loaded machine

QProcessEnvironment environment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"QT_QPA_PLATFORM"_qs, u"offscreen"_qs);
    env.insert(u"PYTHONDONTWRITEBYTECODE"_qs, u"1"_qs);
    return env;
}

// Runs a program to its end: true if it succeeded (else a warning names it and shows its stderr).
bool run(const QString &program, const QStringList &args, QByteArray *output = nullptr)
{
    QProcess p;
    p.setProcessEnvironment(environment());
    p.start(program, args);
    const bool ok = p.waitForFinished(kProcessMs) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    if (!ok)
        qWarning("%s %s failed (exit %d):\n%s", qPrintable(program), qPrintable(args.join(u' ')), p.exitCode(),
                 p.readAllStandardError().constData());
    if (output)
        *output = p.readAllStandardOutput();
    return ok;
}

QList<QJsonObject> jsonLines(const QByteArray &text)
{
    QList<QJsonObject> out;
    for (const QByteArray &line : text.split('\n'))
        if (!line.trimmed().isEmpty())
            out << QJsonDocument::fromJson(line).object();
    return out;
}

QList<QJsonObject> readLog(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? jsonLines(f.readAll()) : QList<QJsonObject>();
}

double at(const QJsonObject &o, const QString &path)
{
    QJsonValue v = o;
    for (const QString &key : path.split(u'/'))
        v = v.toObject().value(key);
    return v.toDouble(qQNaN());
}

// The dashboard series (name) and the key each plots, x = epoch or the epoch's last step.
struct Plotted {
    QString series, key;
    bool atStep;
};
const QList<Plotted> kEpochSeries{
    {u"Recall@K/i→t R@1"_qs, u"i2t/R@1"_qs, false}, {u"Recall@K/i→t R@5"_qs, u"i2t/R@5"_qs, false},
    {u"Recall@K/i→t R@10"_qs, u"i2t/R@10"_qs, false}, {u"Recall@K/t→i R@1"_qs, u"t2i/R@1"_qs, false},
    {u"Recall@K/t→i R@5"_qs, u"t2i/R@5"_qs, false}, {u"Recall@K/t→i R@10"_qs, u"t2i/R@10"_qs, false},
    {u"Median rank/i→t"_qs, u"i2t/median_rank"_qs, false}, {u"Median rank/t→i"_qs, u"t2i/median_rank"_qs, false},
    {u"Modality gap/‖mean image − mean caption‖"_qs, u"modality_gap"_qs, false},
    {u"Alignment/mean ‖t − i‖² of pairs"_qs, u"alignment"_qs, false},
    {u"Uniformity/log mean e^(−2‖x−y‖²)"_qs, u"uniformity"_qs, false}, {u"RSUM/six recalls, %"_qs, u"rsum"_qs, false},
    {u"Loss/train"_qs, u"train_loss"_qs, true}, {u"Loss/validation"_qs, u"val_loss"_qs, true},
    {u"Temperature/epochs"_qs, u"temperature"_qs, true}};

QList<QPointF> expectedPoints(const QList<QJsonObject> &lines, const Plotted &p)
{
    QList<QPointF> out;
    for (const QJsonObject &line : lines)
        out << QPointF(at(line, p.atStep ? u"step"_qs : u"epoch"_qs), at(line, p.key));
    return out;
}

QList<QPointF> pointsOf(const QJsonValue &series)
{
    QList<QPointF> out;
    for (const QJsonValue &p : series.toArray())
        out << QPointF(p.toArray().at(0).toDouble(), p.toArray().at(1).toDouble());
    return out;
}

}  // namespace

class TestPytorchRun : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { Q_INIT_RESOURCE(cospace); }   // the icons live in the static cospace_ui library
    void exampleInInspector();
    void followsPythonWriter();
};

void TestPytorchRun::exampleInInspector()
{
    QTemporaryDir dir;
    const QString data = dir.filePath(u"shapes"_qs), out = dir.filePath(u"run"_qs);
    QVERIFY(run(QStringLiteral(COSPACE_CLI), {u"demo"_qs, u"shapes"_qs, data, u"--count"_qs, u"240"_qs, u"--seed"_qs, u"5"_qs}));
    QByteArray log;
    QVERIFY(run(QStringLiteral(COSPACE_PYTHON), {QStringLiteral(COSPACE_SOURCE_DIR "/examples/pytorch/train_two_tower.py"),
                                                 u"--data"_qs, data, u"--out"_qs, out, u"--epochs"_qs, u"2"_qs}, &log));
    QVERIFY2(log.contains("epoch 2/2"), log.constData());
    const QString png = dir.filePath(u"inspector.png"_qs), json = dir.filePath(u"values.json"_qs);
    QVERIFY(run(QStringLiteral(COSPACE_GUI), {u"--run"_qs, out, u"--screenshot"_qs, png, u"--values"_qs, json}));
    const QImage shot(png);
    QVERIFY(!shot.isNull() && shot.width() >= 800 && shot.height() >= 500);
    QFile f(json);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject shown = QJsonDocument::fromJson(f.readAll()).object();

    // The run as the inspector read it: written outside Cospace, both epochs laid out, the last shown.
    QVERIFY(shown.value(u"written_outside_cospace"_qs).toBool());
    QCOMPARE(shown.value(u"epochs"_qs).toInt(), 2);
    QCOMPARE(shown.value(u"planned_epochs"_qs).toInt(), 2);
    QCOMPARE(shown.value(u"layout_epochs"_qs).toArray(), (QJsonArray{1, 2}));
    QCOMPARE(shown.value(u"shown_epoch"_qs).toInt(), 2);
    QVERIFY2(shown.value(u"status"_qs).toString().endsWith(u": 2 epochs"_qs), qPrintable(shown.value(u"status"_qs).toString()));
    // Every number on the dashboard is the number the writer logged, exactly.
    const QList<QJsonObject> lines = readLog(out + u"/metrics.jsonl"_qs);
    QCOMPARE(lines.size(), 2);
    const QJsonObject charts = shown.value(u"charts"_qs).toObject();
    for (const Plotted &p : kEpochSeries)
        QVERIFY2(pointsOf(charts.value(p.series)) == expectedPoints(lines, p), qPrintable(p.series));
    QList<QPointF> steps;
    for (const QJsonObject &s : readLog(out + u"/steps.jsonl"_qs))
        steps << QPointF(at(s, u"step"_qs), at(s, u"loss"_qs));
    QVERIFY(!steps.isEmpty());
    QCOMPARE(pointsOf(charts.value(u"Loss/train (steps)"_qs)), steps);

    // The probe numbers the inspector computed (C++) on epoch 2's embeddings are what
    // cospace_runlog.retrieval_metrics computes on the same file.
    QByteArray python;
    QVERIFY(run(QStringLiteral(COSPACE_PYTHON), {u"-c"_qs, QStringLiteral(
        "import json, sys, numpy as np\n"
        "sys.path.insert(0, '" COSPACE_SOURCE_DIR "/python')\n"
        "from cospace_runlog import retrieval_metrics\n"
        "run = sys.argv[1]\n"
        "e = np.load(run + '/probe/epoch-002.npy'); p = e.shape[0] // 2\n"
        "rows = open(run + '/probe/pairs.tsv', encoding='utf-8').read().split('\\n')[1:]\n"
        "captions = [r.split('\\t', 1)[1] for r in rows if '\\t' in r]\n"
        "print(json.dumps(retrieval_metrics(e[:p], e[p:], caption_ids=captions)))\n"), out}, &python));
    const QJsonObject py = QJsonDocument::fromJson(python).object();
    const QJsonObject cpp = shown.value(u"probe"_qs).toObject().value(u"metrics"_qs).toObject();
    QVERIFY2(!py.isEmpty() && !cpp.isEmpty(), python.constData());
    for (const QString &key : {u"i2t/R@1"_qs, u"i2t/R@5"_qs, u"t2i/R@1"_qs, u"t2i/R@10"_qs, u"t2i/median_rank"_qs,
                               u"i2t/mean_rank"_qs, u"rsum"_qs, u"n_images"_qs})
        QVERIFY2(at(cpp, key) == at(py, key), qPrintable(key));
    for (const QString &key : {u"alignment"_qs, u"uniformity"_qs, u"modality_gap"_qs, u"cos_matched"_qs})
        QVERIFY2(std::abs(at(cpp, key) - at(py, key)) < 1e-5, qPrintable(key));
    QCOMPARE(shown.value(u"probe"_qs).toObject().value(u"rank1"_qs).toInt(),
             qRound(at(py, u"t2i/R@1"_qs) * at(py, u"n_captions"_qs)));
}

void TestPytorchRun::followsPythonWriter()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(u"run"_qs), gates = dir.filePath(u"gates"_qs);
    QVERIFY(QDir().mkpath(gates));
    QProcess writer;
    writer.setProcessEnvironment(environment());
    writer.start(QStringLiteral(COSPACE_PYTHON), {QStringLiteral(COSPACE_SOURCE_DIR "/tests/fixtures/runlog_follow_writer.py"), out, gates});
    QVERIFY(writer.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(out + u"/config.json"_qs) || writer.state() == QProcess::NotRunning, 30000);
    TrainingInspector w;
    QVERIFY2(w.openRun(out), qPrintable(w.lastError()));
    QVERIFY(w.isFollowing());
    QCOMPARE(w.run().plannedEpochs(), 3);   // from the config's cospace_runlog marker, before any epoch

    // The writer logs epochs 1, 2, 2 (again, as a resumed loop does), 3, each when its gate opens.
    const QList<int> plan{1, 2, 2, 3};
    QList<QJsonObject> logged;   // what the writer says it wrote, in order
    QByteArray output;
    for (int k = 0; k < plan.size(); ++k) {
        const Matrix before = w.spaceCount() >= plan[k] ? w.space(plan[k] - 1).layout : Matrix();
        QFile gate(gates + u"/go-%1"_qs.arg(k));
        QVERIFY(gate.open(QIODevice::WriteOnly));
        gate.close();
        QTRY_VERIFY_WITH_TIMEOUT((output += writer.readAllStandardOutput()).count('\n') > k
                                     || writer.state() == QProcess::NotRunning, 30000);
        logged = jsonLines(output);
        QCOMPARE(logged.size(), k + 1);
        QList<QJsonObject> shownLines = logged.mid(0, plan[k] - 1);   // the epochs before, as last logged
        for (int i = 0; i < k; ++i)
            if (plan[i] < plan[k])
                shownLines[plan[i] - 1] = logged[i];
        shownLines << logged[k];
        // It appears while the inspector watches: its curves, then its layout (a new one if relogged).
        const Plotted recall = kEpochSeries[3];
        QTRY_VERIFY_WITH_TIMEOUT(w.charts()->points(recall.series) == expectedPoints(shownLines, recall), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(w.spaceCount() == plan[k] && w.currentEpoch() == plan[k]
                                     && (before.empty() || w.space(plan[k] - 1).layout.data != before.data), 60000);
        for (const Plotted &p : kEpochSeries)
            QVERIFY2(w.charts()->points(p.series) == expectedPoints(shownLines, p), qPrintable(p.series));
        QCOMPARE(w.charts()->points(u"acc/epochs"_qs).last(), QPointF(plan[k], 0.2 * (k + 1)));
        if (k + 1 < plan.size())
            QVERIFY2(writer.state() != QProcess::NotRunning && w.isFollowing(), "the epoch was not seen while the writer ran");
    }
    QVERIFY(writer.state() == QProcess::NotRunning || writer.waitForFinished(kProcessMs));
    QCOMPARE(writer.exitCode(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!w.isFollowing(), 10000);   // 3 of 3 epochs: finished
    QCOMPARE(w.run().epochs().size(), 3);
    // The loop's own scalars (strings skipped), and the in-memory probe images as thumbnails.
    QCOMPARE(w.charts()->points(u"grad_norm/steps"_qs).size(), 12);
    QVERIFY(w.charts()->chartTitles().contains(u"acc"_qs) && !w.charts()->chartTitles().contains(u"phase"_qs));
    QVERIFY(w.mapView()->points().first().path.endsWith(u"/probe/thumbs/0000.png"_qs));
    QVERIFY(!QImage(w.mapView()->points().first().path).isNull());
    // Every view has the run: heatmap, failures, hubs, and Compare of its first and last epochs.
    QCOMPARE(w.heatmap()->rows(), 24);
    QCOMPARE(w.failures()->captionList()->topLevelItemCount(), 24);
    QCOMPARE(w.failures()->imageList()->topLevelItemCount(), 24);
    w.comparePanel()->setEpochs(1, 3);
    QCOMPARE(w.comparePanel()->sharedPairs(), 24);
    QCOMPARE(w.comparePanel()->mapB()->points().size(), 48);
}

QTEST_MAIN(TestPytorchRun)
#include "tst_pytorchrun.moc"
