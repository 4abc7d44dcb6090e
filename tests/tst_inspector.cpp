// The training inspector end to end, offscreen: a tiny model trained from the GUI on a generated
// shapes set fills the charts, the timeline, the heatmap and the failure browser; reopening the
// finished run folder reproduces the same charts and layouts; pause/resume continues from the step it
// paused at; `cospace --run RUN --screenshot OUT.png` saves a window image (or fails clearly).
// Runs written outside Cospace (the layout of python/cospace_runlog): round axis ticks, the recall
// legend, charts of the loop's own scalars, thumbnails, view-only, a re-logged epoch's new layout, and
// Compare between a Cospace run and such a run. (A real PyTorch loop: tst_pytorchrun.)

#include "core/data/shapesdemo.h"
#include "core/model/sharedspaceconfig.h"
#include "ui/inspector/comparepanel.h"
#include "ui/inspector/compositionview.h"
#include "ui/inspector/failurebrowser.h"
#include "ui/inspector/gapview.h"
#include "ui/inspector/heatmapview.h"
#include "ui/map/mapview.h"
#include "ui/inspector/trainingcharts.h"
#include "ui/inspector/traininginspector.h"
#include "ui/inspector/trainingpanel.h"
#include "ui/inspector/trainingsession.h"
#include "runlogfolder_p.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QThreadPool>
#include <QPushButton>
#include <QSlider>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolButton>
#include <QTest>
#include <QTreeWidget>

using namespace cospace;

namespace {

constexpr int kTrainTimeoutMs = 240000;   // a few seconds normally; slack for a loaded 2-core machine

// The tiny preset, small enough for seconds on a CPU, as a user would type it into the editor.
QString tinyConfigJson(int epochs, int batchSize)
{
    SharedSpaceConfig c = SharedSpaceConfig::preset(u"tiny"_qs);
    c.train.epochs = epochs;
    c.train.batchSize = batchSize;
    c.train.valFraction = 0.3;
    c.train.probeSize = 64;
    c.train.workers = 1;
    return QString::fromUtf8(QJsonDocument(c.toJson()).toJson());
}

void startFromPanel(TrainingInspector &w, const QString &data, const QString &run, const QString &config)
{
    TrainingPanel *panel = w.trainingPanel();
    panel->setDataPath(data);
    panel->setRunDir(run);
    panel->setConfigText(config);
    QVERIFY2(panel->configError().isEmpty(), qPrintable(panel->configError()));
    QVERIFY(panel->startButton()->isEnabled());
    panel->startButton()->click();
}


}  // namespace

class TestInspector : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // A test's window is gone when it ends, but thumbnail loads and model probes it queued on the
    // global pool may still run: let them finish so no two tests' work overlaps.
    void cleanup() { QThreadPool::globalInstance()->waitForDone(); }
    void initTestCase();
    void trainFromGui();
    void reopenReproducesCharts();
    void compositionChartAndView();
    void configValidation_data();
    void configValidation();
    void pauseResumeContinuesFromSameStep();
    void reopenedRunResumesWithItsData();
    void followsACliRun();
    void screenshotCommand_data();
    void screenshotCommand();
    void niceTicks_data();
    void niceTicks();
    void pythonWrittenRun();
    void compareWithPythonRun();

private:
    QTemporaryDir m_dir;
    QString m_data;
    QString m_run;
    QMap<QString, QList<QPointF>> m_liveSeries;
    QList<Matrix> m_liveLayouts;
};

void TestInspector::initTestCase()
{
    Q_INIT_RESOURCE(cospace);   // the icons live in the static cospace_ui library
    QVERIFY(m_dir.isValid());
    m_data = m_dir.filePath(u"shapes"_qs);
    m_run = m_dir.filePath(u"run"_qs);
    generateShapesDataset(m_data, {100, 7, 32, 2});
}

void TestInspector::trainFromGui()
{
    TrainingInspector w;
    w.show();
    QSignalSpy epochs(w.session(), &TrainingSession::epochReported);
    startFromPanel(w, m_data, m_run, tinyConfigJson(2, 32));
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->state() == TrainingSession::State::Finished
                                 || w.session()->state() == TrainingSession::State::Failed, kTrainTimeoutMs);
    QVERIFY2(w.session()->state() == TrainingSession::State::Finished, qPrintable(w.session()->lastError()));
    QCOMPARE(epochs.size(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(w.spaceCount(), 2, 60000);

    // Charts: a point per epoch, at epochs 1 and 2, for the retrieval and geometry metrics.
    for (const QString &name : {u"Recall@K/t→i R@1"_qs, u"Recall@K/i→t R@10"_qs, u"Median rank/t→i"_qs, u"Modality gap/‖mean image − mean caption‖"_qs,
                                u"Uniformity/log mean e^(−2‖x−y‖²)"_qs}) {
        const QList<QPointF> p = w.charts()->points(name);
        QCOMPARE(p.size(), 2);
        QCOMPARE(p[0].x(), 1.0);
        QCOMPARE(p[1].x(), 2.0);
    }
    QCOMPARE(w.charts()->points(u"Loss/validation"_qs).size(), 2);
    QCOMPARE(w.charts()->points(u"Temperature/epochs"_qs).size(), 2);
    // Timeline: two positions, showing the last epoch.
    QCOMPARE(w.timeline()->minimum(), 0);
    QCOMPARE(w.timeline()->maximum(), 1);
    QCOMPARE(w.currentEpoch(), 2);
    // Heatmap and map: the probe set's size.
    const int probe = int(w.run().probePairs().size());
    QVERIFY(probe >= 10);
    QCOMPARE(w.heatmap()->rows(), probe);
    QCOMPARE(w.heatmap()->columns(), probe);
    QCOMPARE(w.mapView()->points().size(), 2 * probe);
    // The gap arrow joins the two centroids of the shown layout, on the map and in the gap view.
    const Matrix &last = w.space(1).layout;
    const auto [ix, iy] = layoutCentroid(last, 0, probe);
    const auto [cx, cy] = layoutCentroid(last, probe, probe);
    QCOMPARE(w.gapView()->imageCentroid(), QPointF(ix, iy));
    QCOMPARE(w.gapView()->captionCentroid(), QPointF(cx, cy));
    const QPointF onMap = w.gapOverlay()->widgetPosition(w.mapView()->points()[0].pos);
    QCOMPARE(w.mapView()->pointAt(onMap), 0);   // the overlay maps layout to widget as the map does
    QCOMPARE(w.failures()->captionList()->topLevelItemCount(), probe);
    QCOMPARE(w.failures()->imageList()->topLevelItemCount(), probe);
    // Log scale applies where every value is positive (loss), not to uniformity (negative).
    w.charts()->setLogScale(true);
    QVERIFY(w.charts()->chartIsLog(u"Loss"_qs));
    QVERIFY(!w.charts()->chartIsLog(u"Uniformity"_qs));
    QCOMPARE(w.charts()->points(u"Loss/validation"_qs).size(), 2);
    w.charts()->setLogScale(false);
    QVERIFY(!w.charts()->chartIsLog(u"Loss"_qs));
    // Heatmap sorted worst pairs first: the caption whose image ranks lowest leads.
    w.heatmap()->setOrder(HeatmapView::Order::WorstFirst);
    const std::vector<int> &ranks = w.space(1).analysis.captionRank;
    QCOMPARE(ranks[std::size_t(w.heatmap()->displayOrder().first())], *std::max_element(ranks.begin(), ranks.end()));
    QCOMPARE(ranks[std::size_t(w.heatmap()->displayOrder().last())], *std::min_element(ranks.begin(), ranks.end()));
    w.heatmap()->setOrder(HeatmapView::Order::Probe);
    // Play runs through the epochs and stops at the last.
    w.showEpochIndex(0);
    auto *play = w.findChild<QToolButton *>(u"playButton"_qs);
    QVERIFY(play);
    play->click();
    QTRY_COMPARE_WITH_TIMEOUT(w.currentEpoch(), 2, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!play->isChecked(), 5000);
    // Scrubbing back shows epoch 1; clicking a heatmap cell marks that pair on the map.
    w.showEpochIndex(0);
    QCOMPARE(w.currentEpoch(), 1);
    QVERIFY(!w.mapView()->hasQueryMarker());
    w.tabs()->setCurrentIndex(1);
    QTest::qWait(50);
    const QRectF cell = w.heatmap()->cellRect(3, 3);
    QTest::mouseClick(w.heatmap(), Qt::LeftButton, {}, cell.center().toPoint());
    QVERIFY(w.mapView()->hasQueryMarker());
    QCOMPARE(w.mapView()->queryMarker(), w.mapView()->points()[3].pos);
    QCOMPARE(w.mapView()->selectedIndex(), probe + 3);   // the caption is selected
    QCOMPARE(w.tabs()->currentIndex(), 0);

    // Exports.
    const QString csv = m_dir.filePath(u"charts.csv"_qs), png = m_dir.filePath(u"charts.png"_qs);
    QVERIFY(w.charts()->exportCsv(csv));
    QVERIFY(w.charts()->exportPng(png));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> rows = f.readAll().trimmed().split('\n');
    QCOMPARE(rows.first(), QByteArray("chart,series,x,y"));
    QVERIFY(rows.contains("\"Loss\",\"validation\",2," + QByteArray::number(w.charts()->points(u"Loss/validation"_qs)[1].y(), 'g', 10))
            || rows.size() > 20);
    QVERIFY(!QImage(png).isNull());

    for (const QString &name : w.charts()->seriesNames())
        m_liveSeries.insert(name, w.charts()->points(name));
    for (int i = 0; i < w.spaceCount(); ++i)
        m_liveLayouts << w.space(i).layout;
}

void TestInspector::reopenReproducesCharts()
{
    QVERIFY(!m_liveSeries.isEmpty());
    TrainingInspector w;
    QSignalSpy ready(&w, &TrainingInspector::spacesReady);
    QVERIFY(w.openRun(m_run));
    QTRY_COMPARE_WITH_TIMEOUT(w.spaceCount(), 2, 60000);
    QVERIFY(!w.isFollowing());   // finished: nothing to follow
    for (auto it = m_liveSeries.cbegin(); it != m_liveSeries.cend(); ++it)
        QVERIFY2(w.charts()->points(it.key()) == it.value(), qPrintable(it.key()));
    for (int i = 0; i < 2; ++i)
        QVERIFY(w.space(i).layout.data == m_liveLayouts[i].data);
    // Compare two checkpoints of the run: metrics side by side, maps aligned on every probe pair.
    w.comparePanel()->setEpochs(1, 2);
    const QJsonObject e1 = w.run().epochs()[0], e2 = w.run().epochs()[1];
    QCOMPARE(w.comparePanel()->table()->item(0, 0)->text(), QString::number(RunFolder::value(e1, u"t2i/R@1"_qs), 'g', 4));
    QCOMPARE(w.comparePanel()->table()->item(0, 1)->text(), QString::number(RunFolder::value(e2, u"t2i/R@1"_qs), 'g', 4));
    QCOMPARE(w.comparePanel()->sharedPairs(), int(w.run().probePairs().size()));
    QCOMPARE(w.comparePanel()->mapB()->points().size(), 2 * int(w.run().probePairs().size()));
    // Compare with a model on the run's probe pairs: its best checkpoint, embedded on a pool thread.
    QSignalSpy compared(w.comparePanel(), &ComparePanel::modelCompared);
    w.comparePanel()->compareWithModel(m_run + u"/best.ckpt"_qs);
    QVERIFY(compared.wait(60000));
    const int probe = int(w.run().probePairs().size());
    QCOMPARE(w.comparePanel()->mapB()->points().size(), 2 * probe);
    QCOMPARE(w.comparePanel()->sharedPairs(), probe);
    QTableWidget *table = w.comparePanel()->table();
    QCOMPARE(table->item(0, 1)->text(), u"–"_qs);   // a model has no validation log
    const int probeRow = table->rowCount() - 7;      // "probe text→image R@1"
    QVERIFY(table->verticalHeaderItem(probeRow)->text().startsWith(u"probe"_qs));
    int best = 0;
    for (const QJsonObject &e : w.run().epochs())
        if (e.value(u"best"_qs).toBool())
            best = e.value(u"epoch"_qs).toInt();
    w.comparePanel()->setEpochs(best, 0);
    // The best checkpoint, loaded as a model, reproduces the trainer's probe embeddings of its epoch
    // (to the 4 significant digits shown).
    for (int r = probeRow; r < table->rowCount(); ++r)
        QCOMPARE(table->item(r, 1)->text(), table->item(r, 0)->text());
    w.comparePanel()->compareWithModel(m_dir.filePath(u"missing.ckpt"_qs));
    QTRY_VERIFY(w.comparePanel()->message().contains(u"missing.ckpt"_qs));

    // A folder that is not a run: a clear message, once.
    QVERIFY(!w.openRun(m_data));
    QVERIFY2(w.lastError().contains(u"not a training run folder"_qs), qPrintable(w.lastError()));
}

// The compositional probe the trainer logs: charted per kind beside recall, and the Composition tab
// listing an epoch's failures (image, caption, the swap it preferred), worst first.
void TestInspector::compositionChartAndView()
{
    QVERIFY2(!m_liveSeries.isEmpty(), "needs the run trainFromGui() writes");
    TrainingInspector w;
    QVERIFY(w.openRun(m_run));
    QTRY_COMPARE_WITH_TIMEOUT(w.spaceCount(), 2, 60000);
    for (const QString &kind : {u"colour"_qs, u"relation"_qs, u"order"_qs}) {
        const QList<QPointF> p = w.charts()->points(u"Composition/"_qs + kind);
        QCOMPARE(p.size(), 2);
        QCOMPARE(p[1].y(), RunFolder::value(w.run().epochs()[1], u"composition/"_qs + kind));
    }
    QCOMPARE(w.currentEpoch(), 2);
    const CompositionResult logged = CompositionResult::fromJson(w.run().composition(2));
    QVERIFY(!logged.trials.empty());
    const int failures = int(std::count_if(logged.trials.begin(), logged.trials.end(),
                                           [](const CompositionTrial &t) { return !t.correct(); }));
    CompositionView *view = w.composition();
    QCOMPARE(view->list()->topLevelItemCount(), failures);
    QVERIFY(view->summary()->text().contains(u"relation"_qs));
    view->failuresOnly()->setChecked(false);
    QCOMPARE(view->list()->topLevelItemCount(), int(logged.trials.size()));
    view->kindFilter()->setCurrentIndex(1 + int(SwapKind::Relation));
    for (int i = 0; i < view->list()->topLevelItemCount(); ++i)
        QCOMPARE(view->list()->topLevelItem(i)->text(3), u"relation"_qs);
    view->kindFilter()->setCurrentIndex(0);
    view->failuresOnly()->setChecked(true);

    // By hand: two failures of three trials, listed worst first, the image named by its file.
    CompositionResult r;
    r.kinds[std::size_t(SwapKind::Colour)] = {3, 1, 1.0 / 3, wilsonInterval(1, 3), 0.9};
    r.trials = {{u"/d/a.png"_qs, u"a red circle left of a blue square"_qs, u"a blue circle left of a red square"_qs,
                 SwapKind::Colour, 0.5f, 0.7f, 0.9f},
                {u"/d/b.png"_qs, u"a red circle and a blue square"_qs, u"a blue circle and a red square"_qs,
                 SwapKind::Colour, 0.5f, 0.55f, 0.9f},
                {u"/d/c.png"_qs, u"a green square above a red diamond"_qs, u"a red square above a green diamond"_qs,
                 SwapKind::Colour, 0.6f, 0.2f, 0.9f}};
    view->setResult(r, 7);
    QCOMPARE(view->list()->topLevelItemCount(), 2);
    QCOMPARE(view->list()->topLevelItem(0)->text(0), u"a.png"_qs);
    QCOMPARE(view->list()->topLevelItem(0)->text(2), u"a blue circle left of a red square"_qs);
    QCOMPARE(view->list()->topLevelItem(1)->text(0), u"b.png"_qs);
    QVERIFY(view->summary()->text().contains(u"Epoch 7"_qs));
    view->setResult({}, 3);
    QCOMPARE(view->list()->topLevelItemCount(), 0);
    QVERIFY(view->summary()->text().contains(u"no compositional probe"_qs));
}

void TestInspector::configValidation_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("message");
    QTest::newRow("valid") << u"{\"train\": {\"epochs\": 3}}"_qs << QString();
    QTest::newRow("broken JSON") << u"{\"train\": {\"epochs\": 3,}\n"_qs << u"JSON error at line 1"_qs;
    QTest::newRow("not an object") << u"[1, 2]"_qs << u"must be a JSON object"_qs;
    QTest::newRow("bad field") << u"{\"text\": {\"width\": 64, \"heads\": 5}}"_qs << u"heads"_qs;
}

void TestInspector::configValidation()
{
    QFETCH(QString, json);
    QFETCH(QString, message);
    TrainingInspector w;
    w.trainingPanel()->setDataPath(m_data);
    w.trainingPanel()->setRunDir(m_dir.filePath(u"unused"_qs));
    w.trainingPanel()->setConfigText(json);
    if (message.isEmpty()) {
        QVERIFY2(w.trainingPanel()->configError().isEmpty(), qPrintable(w.trainingPanel()->configError()));
        return;
    }
    QVERIFY2(w.trainingPanel()->configError().contains(message), qPrintable(w.trainingPanel()->configError()));
    w.trainingPanel()->startButton()->click();   // refused, with the reason
    QCOMPARE(w.session()->state(), TrainingSession::State::Idle);
    QVERIFY(w.trainingPanel()->statusLabel()->text().contains(message));
}

void TestInspector::pauseResumeContinuesFromSameStep()
{
    const QString run = m_dir.filePath(u"paused"_qs);
    TrainingInspector w;
    QList<StepReport> steps;
    connect(w.session(), &TrainingSession::stepReported, this, [&](const StepReport &r) { steps << r; });
    startFromPanel(w, m_data, run, tinyConfigJson(2, 8));
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->lastGlobalStep() >= 3, kTrainTimeoutMs);
    w.trainingPanel()->pauseButton()->click();
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->state(), TrainingSession::State::Paused, kTrainTimeoutMs);
    const qint64 pausedAt = w.session()->lastGlobalStep();
    const int perEpoch = steps.first().stepsPerEpoch;
    QVERIFY2(pausedAt < 2 * perEpoch, "paused after the run had already finished: use more steps");
    QVERIFY(QFile::exists(run + u"/last.ckpt"_qs));
    QVERIFY(w.trainingPanel()->statusLabel()->text().contains(QString::number(pausedAt)));
    QVERIFY(w.trainingPanel()->resumeButton()->isEnabled());
    const int before = int(steps.size());

    w.trainingPanel()->resumeButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->state() == TrainingSession::State::Finished
                                 || w.session()->state() == TrainingSession::State::Failed, kTrainTimeoutMs);
    QVERIFY2(w.session()->state() == TrainingSession::State::Finished, qPrintable(w.session()->lastError()));
    QVERIFY(steps.size() > before);
    QCOMPARE(steps[before].globalStep, pausedAt + 1);   // the step after the one it paused at
    // Every step exactly once, in order, across the pause.
    for (int i = 1; i < steps.size(); ++i)
        QCOMPARE(steps[i].globalStep, steps[i - 1].globalStep + 1);
    QCOMPARE(steps.last().globalStep, qint64(2 * perEpoch));
    QTRY_COMPARE_WITH_TIMEOUT(w.run().epochs().size(), 2, 10000);
    QCOMPARE(w.run().epochs()[1].value(u"step"_qs).toInteger(), qint64(2 * perEpoch));
    QTRY_COMPARE_WITH_TIMEOUT(w.spaceCount(), 2, 60000);
}

// A run stopped in one window and opened in another resumes from the run folder alone: its data
// paths come from RUN/data.json, nobody is asked for them again.
void TestInspector::reopenedRunResumesWithItsData()
{
    const QString run = m_dir.filePath(u"reopened"_qs);
    {
        TrainingInspector w;
        startFromPanel(w, m_data, run, tinyConfigJson(2, 8));
        QTRY_VERIFY_WITH_TIMEOUT(w.session()->lastGlobalStep() >= 2, kTrainTimeoutMs);
        w.trainingPanel()->stopButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(w.session()->state(), TrainingSession::State::Stopped, kTrainTimeoutMs);
    }
    TrainingInspector other;
    QVERIFY2(other.openRun(run), qPrintable(other.lastError()));
    QCOMPARE(other.trainingPanel()->dataPath(), QFileInfo(m_data).absoluteFilePath());
    QVERIFY(other.trainingPanel()->resumeButton()->isEnabled());
    other.trainingPanel()->resumeButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(other.session()->state() == TrainingSession::State::Finished
                                 || other.session()->state() == TrainingSession::State::Failed, kTrainTimeoutMs);
    QVERIFY2(other.session()->state() == TrainingSession::State::Finished, qPrintable(other.session()->lastError()));
    QTRY_COMPARE_WITH_TIMEOUT(other.run().epochs().size(), 2, 10000);
}

// Follow mode: open a run that `cospace-cli train` is still writing; the inspector keeps reading it
// until the last epoch and then stops polling.
void TestInspector::followsACliRun()
{
    const QString run = m_dir.filePath(u"cli-run"_qs);
    QProcess cli;
    cli.start(QStringLiteral(COSPACE_CLI), {u"--threads"_qs, u"1"_qs, u"train"_qs, u"--data"_qs, m_data, u"--preset"_qs,
                                           u"tiny"_qs, u"--epochs"_qs, u"4"_qs, u"--out"_qs, run});
    QVERIFY(cli.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(run + u"/config.json"_qs) || cli.state() == QProcess::NotRunning, kTrainTimeoutMs);
    TrainingInspector w;
    QVERIFY2(w.openRun(run), qPrintable(w.lastError()));
    const bool followedWhileRunning = cli.state() != QProcess::NotRunning && w.isFollowing();
    QVERIFY(cli.waitForFinished(kTrainTimeoutMs));
    QCOMPARE(cli.exitCode(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(w.run().epochs().size(), 4, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(w.spaceCount(), 4, 60000);
    QTRY_VERIFY(!w.isFollowing());
    QCOMPARE(w.charts()->points(u"Recall@K/t→i R@1"_qs).size(), 4);
    QCOMPARE(w.timeline()->maximum(), 3);
    QCOMPARE(w.currentEpoch(), 4);   // it followed the newest epoch
    if (!followedWhileRunning)
        QSKIP("the run finished before the inspector opened it (a fast machine): follow mode not exercised");
}

void TestInspector::screenshotCommand_data()
{
    QTest::addColumn<QString>("run");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("finished run") << u"run"_qs << 0 << QString();
    QTest::newRow("not a run folder") << u"shapes"_qs << 1 << u"not a training run folder"_qs;
}

void TestInspector::screenshotCommand()
{
    QFETCH(QString, run);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    QVERIFY(QFile::exists(m_run + u"/metrics.jsonl"_qs));
    const QString out = m_dir.filePath(run + u"-inspector.png"_qs);
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"QT_QPA_PLATFORM"_qs, u"offscreen"_qs);
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(COSPACE_GUI), {u"--run"_qs, m_dir.filePath(run), u"--screenshot"_qs, out});
    QVERIFY(p.waitForFinished(120000));
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QCOMPARE(p.exitCode(), exitCode);
    if (exitCode == 0) {
        const QImage image(out);
        QVERIFY2(!image.isNull(), qPrintable(err));
        QVERIFY(image.width() >= 800 && image.height() >= 500);
    } else {
        QVERIFY2(err.contains(message), qPrintable(err));
        QVERIFY(!QFile::exists(out));
    }
}

// Round ticks (chartaxes.h): the axis widened to whole steps of 1, 2, 2.5 or 5 × 10^k.
void TestInspector::niceTicks_data()
{
    QTest::addColumn<double>("lo");
    QTest::addColumn<double>("hi");
    QTest::addColumn<int>("maxTicks");
    QTest::addColumn<bool>("integer");
    QTest::addColumn<double>("min");
    QTest::addColumn<double>("max");
    QTest::addColumn<double>("step");
    QTest::addColumn<QString>("format");
    QTest::newRow("loss, not 0.649 / 1.66 / 2.67") << 0.649 << 3.68 << 5 << false << 0.0 << 4.0 << 1.0 << u"%.0f"_qs;
    QTest::newRow("a fraction") << 0.0 << 1.0 << 5 << false << 0.0 << 1.0 << 0.25 << u"%.2f"_qs;
    QTest::newRow("halves") << 0.1 << 1.4 << 5 << false << 0.0 << 1.5 << 0.5 << u"%.1f"_qs;
    QTest::newRow("negative") << -2.45 << -1.45 << 5 << false << -2.5 << -1.0 << 0.5 << u"%.1f"_qs;
    QTest::newRow("temperature") << 0.0696 << 0.0702 << 5 << false << 0.0696 << 0.0702 << 0.0002 << u"%.4f"_qs;
    QTest::newRow("steps") << 10.0 << 150.0 << 6 << false << 0.0 << 150.0 << 50.0 << u"%.0f"_qs;
    QTest::newRow("one value") << 0.5 << 0.5 << 5 << false << 0.45 << 0.55 << 0.025 << u"%.3f"_qs;
    QTest::newRow("two epochs") << 1.0 << 2.0 << 6 << true << 1.0 << 2.0 << 1.0 << u"%.0f"_qs;
    QTest::newRow("one epoch") << 1.0 << 1.0 << 6 << true << 0.0 << 2.0 << 1.0 << u"%.0f"_qs;
    QTest::newRow("100 epochs") << 1.0 << 100.0 << 6 << true << 0.0 << 100.0 << 20.0 << u"%.0f"_qs;
    QTest::newRow("7 epochs, no 2.5") << 1.0 << 7.0 << 4 << true << 0.0 << 10.0 << 5.0 << u"%.0f"_qs;
    QTest::newRow("not finite") << double(NAN) << 1.0 << 5 << false << 0.0 << 1.0 << 0.25 << u"%.2f"_qs;
}

void TestInspector::niceTicks()
{
    QFETCH(double, lo);
    QFETCH(double, hi);
    QFETCH(int, maxTicks);
    QFETCH(bool, integer);
    QFETCH(double, min);
    QFETCH(double, max);
    QFETCH(double, step);
    QFETCH(QString, format);
    const AxisTicks t = cospace::niceTicks(lo, hi, maxTicks, integer);
    QVERIFY2(std::abs(t.min - min) < 1e-12 && std::abs(t.max - max) < 1e-12 && std::abs(t.step - step) < 1e-12,
             qPrintable(u"%1 .. %2 step %3"_qs.arg(t.min).arg(t.max).arg(t.step)));
    QCOMPARE(t.count, int(std::lround((max - min) / step)) + 1);
    QVERIFY(t.count <= maxTicks);
    QCOMPARE(tickLabelFormat(t), format);
}

// A run as cospace_runlog writes it, from a loop Cospace did not write, with its images elsewhere:
// view only, thumbnails on the map, round axes, the recall legend, charts for the loop's own
// scalars, and a re-logged epoch whose layout is recomputed (not left stale).
void TestInspector::pythonWrittenRun()
{
    const QString run = m_dir.filePath(u"python-run"_qs);
    QList<ProbePair> pairs;
    for (int i = 0; i < 16; ++i)
        pairs << ProbePair{u"/elsewhere/%1.png"_qs.arg(i), u"caption %1"_qs.arg(i % 13), {}, false};
    writeRunlogStart(run, pairs, 3);
    QFile steps(run + u"/steps.jsonl"_qs);
    QVERIFY(steps.open(QIODevice::WriteOnly));
    for (int step = 5; step <= 40; step += 5)
        steps.write(QJsonDocument(QJsonObject{{u"step"_qs, step}, {u"epoch"_qs, 1 + (step - 1) / 20}, {u"loss"_qs, 4.0 - step / 20.0},
                                              {u"grad_norm"_qs, 1.0 / step}, {u"phase"_qs, u"warm"_qs}}).toJson(QJsonDocument::Compact) + '\n');
    steps.close();
    for (int epoch = 1; epoch <= 2; ++epoch)
        writeRunlogEpoch(run, epoch, 3, probeEmbeddings(16, 8, epoch, 7 + epoch), pairs,
                         {{u"grad_norm"_qs, 0.5 / epoch}, {u"val_acc"_qs, 0.3 * epoch}, {u"note"_qs, u"text"_qs}});
    TrainingInspector w;
    QVERIFY2(w.openRun(run), qPrintable(w.lastError()));
    QTRY_COMPARE_WITH_TIMEOUT(w.spaceCount(), 2, 60000);
    QVERIFY(w.isFollowing());   // 2 of 3 epochs
    // View only: the loop's config is not loaded as a Cospace config, nothing to resume.
    QCOMPARE(w.trainingPanel()->configError(), QString());
    QVERIFY(w.trainingPanel()->runDir().isEmpty());
    QVERIFY(!w.trainingPanel()->resumeButton()->isEnabled());
    QVERIFY(w.trainingPanel()->statusLabel()->text().contains(u"cospace_runlog"_qs));
    QCOMPARE(w.mapView()->points()[3].path, run + u"/probe/thumbs/0003.png"_qs);   // the thumbnail stands in
    QCOMPARE(w.mapView()->points()[3].text, u"3.png"_qs);
    w.comparePanel()->compareWithModel(u"default"_qs);   // refused: the images themselves are not here
    QVERIFY2(w.comparePanel()->message().contains(u"not on this machine"_qs), qPrintable(w.comparePanel()->message()));

    // The loop's own numeric scalars get charts; strings do not.
    TrainingCharts *charts = w.charts();
    QVERIFY(charts->chartTitles().contains(u"grad_norm"_qs));
    QVERIFY(charts->chartTitles().contains(u"val_acc"_qs));
    QVERIFY(!charts->chartTitles().contains(u"note"_qs) && !charts->chartTitles().contains(u"phase"_qs));
    QCOMPARE(charts->points(u"grad_norm/steps"_qs).size(), 8);
    QCOMPARE(charts->points(u"grad_norm/epochs"_qs), (QList<QPointF>{{20, 0.5}, {40, 0.25}}));   // at the epoch's step
    QCOMPARE(charts->points(u"val_acc/epochs"_qs), (QList<QPointF>{{1, 0.3}, {2, 0.6}}));
    QVERIFY(charts->points(u"Loss/validation"_qs).isEmpty());   // null is not plotted
    // Axes: recall and fractions on [0, 1], epochs at whole numbers, others at round steps.
    for (const QString &title : {u"Recall@K"_qs, u"val_acc"_qs}) {
        const AxisTicks y = charts->axisTicks(title, Qt::Vertical);
        QVERIFY2(y.min == 0 && y.max == 1 && y.count >= 3, qPrintable(title));
    }
    const AxisTicks epochs = charts->axisTicks(u"Recall@K"_qs, Qt::Horizontal);
    QCOMPARE(epochs.min, 1.0);
    QCOMPARE(epochs.max, 2.0);
    QCOMPARE(epochs.step, 1.0);
    for (const QString &title : {u"Loss"_qs, u"Modality gap"_qs, u"Uniformity"_qs, u"grad_norm"_qs}) {
        const AxisTicks y = charts->axisTicks(title, Qt::Vertical);
        QVERIFY2(y.count >= 2 && isRound(y.min, y.step) && isRound(y.max, y.step), qPrintable(title));
        const double mantissa = y.step / std::pow(10.0, std::floor(std::log10(y.step)));
        QVERIFY2(isRound(mantissa, 0.5) || std::abs(mantissa - 2.5) < 1e-9, qPrintable(title));
    }
    // Recall legend: colour per K, line style per direction.
    const QPen i1 = charts->seriesPen(u"Recall@K/i→t R@1"_qs), t1 = charts->seriesPen(u"Recall@K/t→i R@1"_qs);
    const QPen i5 = charts->seriesPen(u"Recall@K/i→t R@5"_qs), t10 = charts->seriesPen(u"Recall@K/t→i R@10"_qs);
    QCOMPARE(i1.color(), t1.color());
    QVERIFY(i1.color() != i5.color() && i5.color() != t10.color() && i1.color() != t10.color());
    QCOMPARE(i1.style(), Qt::SolidLine);
    QCOMPARE(t1.style(), Qt::DashLine);
    QCOMPARE(t10.style(), Qt::DashLine);

    // Epoch 2 logged again (a resumed loop): same count, new embeddings — a new layout, not the old.
    const Matrix before = w.space(1).layout;
    writeRunlogEpoch(run, 2, 3, probeEmbeddings(16, 8, 4.0, 99), pairs, {{u"val_acc"_qs, 0.9}});
    QTRY_VERIFY_WITH_TIMEOUT(w.spaceCount() == 2 && w.space(1).layout.data != before.data, 30000);
    QCOMPARE(charts->points(u"val_acc/epochs"_qs).last(), QPointF(2, 0.9));
    const ProbeAnalysis relogged = analyseProbe(probeEmbeddings(16, 8, 4.0, 99), w.run().probePairs());
    QCOMPARE(w.space(1).analysis.captionRank, relogged.captionRank);
    charts->clear();   // another run: the loop's charts go
    QVERIFY(!charts->chartTitles().contains(u"grad_norm"_qs));
}

// Compare a Cospace run with a PyTorch run on the same data: cospace_runlog lists the probe pairs in
// its own order, a subset of them, its captions' whitespace collapsed, and its metrics on the probe.
void TestInspector::compareWithPythonRun()
{
    QVERIFY(QFile::exists(m_run + u"/metrics.jsonl"_qs));
    const RunFolder cospaceRun = RunFolder::open(m_run);
    const QList<ProbePair> &pa = cospaceRun.probePairs();
    const Matrix ea = cospaceRun.probeEmbeddings(2);
    // B: every other pair of A, last first, plus a pair A does not have; its embeddings are A's.
    std::vector<int> rows;
    for (int i = int(pa.size()) - 1; i >= 0; i -= 2)
        rows.push_back(i);
    QList<ProbePair> pb;
    for (int i : rows)
        pb << ProbePair{pa[i].image, pa[i].caption + u' ', {}, true};
    pb << ProbePair{m_data + u"/images/not-a-probe.png"_qs, u"a caption A lacks"_qs, {}, false};
    Matrix eb = probeSubset(ea, rows);
    const Matrix extra = probeEmbeddings(1, ea.cols, 1.0, 3);
    Matrix withExtra(eb.rows + 2, ea.cols);
    const int k = int(rows.size());
    for (int r = 0; r < withExtra.rows; ++r) {
        const float *src = r < k ? eb.row(r) : r == k ? extra.row(0) : r <= 2 * k ? eb.row(r - 1) : extra.row(1);
        std::copy_n(src, ea.cols, withExtra.row(r));
    }
    const QString run = m_dir.filePath(u"python-compare"_qs);
    writeRunlogStart(run, pb, 1);
    writeRunlogEpoch(run, 1, 1, withExtra, pb, {});

    TrainingInspector w;
    QVERIFY(w.openRun(m_run));
    QTRY_COMPARE_WITH_TIMEOUT(w.spaceCount(), 2, 60000);
    ComparePanel *compare = w.comparePanel();
    compare->setRunB(RunFolder::open(run));
    compare->setEpochs(2, 1);
    QCOMPARE(compare->sharedPairs(), k);
    QCOMPARE(compare->mapB()->points().size(), 2 * (k + 1));
    // The probe rows on the shared pairs: B's embeddings are A's, so the numbers agree.
    QTableWidget *table = compare->table();
    const int probeRow = table->rowCount() - 7;
    for (int r = probeRow; r < table->rowCount(); ++r) {
        QVERIFY(table->item(r, 0)->text() != u"–"_qs);
        QCOMPARE(table->item(r, 1)->text(), table->item(r, 0)->text());
    }
    QVERIFY2(compare->message().contains(u"%1 probe pairs both runs have"_qs.arg(k)), qPrintable(compare->message()));
    QVERIFY2(compare->message().contains(u"A: validation, B: probe"_qs), qPrintable(compare->message()));
}

QTEST_MAIN(TestInspector)
#include "tst_inspector.moc"
