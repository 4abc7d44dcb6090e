#include "ui/inspector/traininginspector.h"

#include "ui/widgets/jobdelivery.h"

#include "core/train/trainer.h"
#include "ui/inspector/comparepanel.h"
#include "ui/inspector/compositionview.h"
#include "ui/inspector/failurebrowser.h"
#include "ui/inspector/gapview.h"
#include "ui/inspector/heatmapview.h"
#include "ui/inspector/inspectorvalues.h"
#include "ui/map/mapview.h"
#include "ui/inspector/probepoints.h"
#include "ui/inspector/trainingcharts.h"
#include "ui/inspector/trainingpanel.h"
#include "ui/inspector/trainingsession.h"

#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QDockWidget>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QSlider>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QThreadPool>
#include <QTimer>
#include <QToolButton>
#include <QVariantAnimation>
#include <QVBoxLayout>

#include <cmath>

namespace cospace {

namespace {
constexpr int kPollMs = 1000;          // follow mode: how often an unfinished run folder is re-read
constexpr int kStepRefreshMs = 500;    // live training: the step log is re-read at most this often
constexpr int kPlayMs = 900;           // timeline playback: one epoch per this many milliseconds
constexpr int kMoveMs = 350;           // points glide between epochs this long
}  // namespace

TrainingInspector::TrainingInspector(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(tr("Cospace — Training Inspector"));
    setWindowIcon(QIcon(u":/icons/cospace.svg"_qs));
    m_pool = new QThreadPool(this);
    m_pool->setMaxThreadCount(1);   // layouts are computed in epoch order, each from the previous
    m_session = new TrainingSession(this);
    m_panel = new TrainingPanel(m_session, this);
    auto *dock = new QDockWidget(tr("Training"), this);
    dock->setObjectName(u"trainingDock"_qs);
    dock->setWidget(m_panel);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    m_charts = new TrainingCharts(this);
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(buildSpaceTab(), tr("Space"));
    m_heatmap = new HeatmapView(this);
    m_heatmapOrder = new QComboBox(this);
    m_heatmapOrder->addItems({tr("Probe order"), tr("Worst pairs first"), tr("Best pairs first")});
    connect(m_heatmapOrder, &QComboBox::currentIndexChanged, this,
            [this](int i) { m_heatmap->setOrder(HeatmapView::Order(i)); });
    auto *heatmapTab = new QWidget(this);
    auto *heatmapLayout = new QVBoxLayout(heatmapTab);
    auto *orderRow = new QHBoxLayout;
    orderRow->addWidget(new QLabel(tr("Captions (rows) × images (columns), cosine; sort:"), heatmapTab));
    orderRow->addWidget(m_heatmapOrder);
    orderRow->addStretch(1);
    heatmapLayout->addLayout(orderRow);
    heatmapLayout->addWidget(m_heatmap, 1);
    m_tabs->addTab(heatmapTab, tr("Heatmap"));
    m_failures = new FailureBrowser(this);
    m_tabs->addTab(m_failures, tr("Failures"));
    m_composition = new CompositionView(this);
    m_tabs->addTab(m_composition, tr("Composition"));
    m_compare = new ComparePanel(this);
    m_tabs->addTab(m_compare, tr("Compare"));
    // A heatmap click jumps to the map; a failure-list row is marked there without leaving the list.
    connect(m_heatmap, &HeatmapView::cellClicked, this, [this](int c, int i) { showPair(c, i, true); });
    connect(m_failures, &FailureBrowser::pairSelected, this, [this](int c, int i) { showPair(c, i, false); });

    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_tabs, 1);
    rightLayout->addWidget(buildTimelineBar());
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_charts);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    setCentralWidget(split);
    m_statusLabel = new QLabel(this);
    statusBar()->addWidget(m_statusLabel, 1);

    m_pollTimer = new QTimer(this);
    m_pollTimer->setInterval(kPollMs);
    connect(m_pollTimer, &QTimer::timeout, this, &TrainingInspector::poll);
    connect(m_panel, &TrainingPanel::runStarted, this, [this](const QString &dir, bool resumed) { follow(dir, !resumed); });
    connect(m_session, &TrainingSession::stepReported, this, [this] {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (m_waitForTrainer || now - m_lastStepRefreshMs >= kStepRefreshMs) {
            m_waitForTrainer = false;   // the trainer has prepared: the old logs are gone
            m_lastStepRefreshMs = now;
            poll();
        }
    });
    connect(m_session, &TrainingSession::epochReported, this, [this] {
        m_waitForTrainer = false;
        poll();
    });
    connect(m_session, &TrainingSession::stateChanged, this, [this] { poll(); });
    connect(m_session, &TrainingSession::failed, this, &TrainingInspector::setError);
    resize(1480, 900);
}

TrainingInspector *openTrainingInspector(const QString &runDir)
{
    auto *w = new TrainingInspector;
    w->setAttribute(Qt::WA_DeleteOnClose);
    if (!runDir.isEmpty())
        w->openRun(runDir);   // a failure is shown in the window's status bar
    w->show();
    return w;
}

TrainingInspector::~TrainingInspector()
{
    ++m_generation;
    m_pool->clear();
    m_pool->waitForDone();   // a layout step is short; the worker must not outlive the timeline
}

QWidget *TrainingInspector::buildSpaceTab()
{
    auto *tab = new QWidget(this);
    auto *layout = new QHBoxLayout(tab);
    layout->setContentsMargins(0, 0, 0, 0);
    m_map = new MapView(tab);
    m_gapOverlay = new GapOverlay(m_map);
    m_gap = new GapView(tab);
    m_gap->setMaximumWidth(260);
    auto *side = new QVBoxLayout;
    side->addWidget(m_gap);
    auto *legend = new QLabel(tr("Lines join each caption to its image: <span style='color:#2ca02c'>green</span> "
                                 "when that image ranks first for the caption, <span style='color:#d62728'>red</span> "
                                 "when not. Layouts of successive epochs are aligned (Procrustes)."), tab);
    legend->setWordWrap(true);
    legend->setMaximumWidth(260);
    side->addWidget(legend);
    side->addStretch(1);
    layout->addWidget(m_map, 1);
    layout->addLayout(side);
    return tab;
}

QWidget *TrainingInspector::buildTimelineBar()
{
    auto *bar = new QWidget(this);
    auto *row = new QHBoxLayout(bar);
    row->setContentsMargins(4, 0, 4, 0);
    m_play = new QToolButton(bar);
    m_play->setText(tr("▶ Play"));
    m_play->setObjectName(u"playButton"_qs);
    m_play->setCheckable(true);
    m_play->setToolTip(tr("Play the epochs"));
    connect(m_play, &QToolButton::toggled, this, &TrainingInspector::togglePlay);
    m_timeline = new QSlider(Qt::Horizontal, bar);
    m_timeline->setRange(0, 0);
    m_timeline->setPageStep(1);
    m_timeline->setTickPosition(QSlider::TicksBelow);
    connect(m_timeline, &QSlider::valueChanged, this, [this](int v) { showSpace(v, true); });
    m_epochLabel = new QLabel(tr("no epochs yet"), bar);
    m_method = new QComboBox(bar);
    m_method->addItem(tr("PCA"), int(ProjectionMethod::Pca));
    m_method->addItem(tr("UMAP"), int(ProjectionMethod::Umap));
    m_method->addItem(tr("t-SNE"), int(ProjectionMethod::Tsne));
    m_method->setToolTip(tr("How each epoch's probe embeddings are projected to 2-D"));
    connect(m_method, &QComboBox::currentIndexChanged, this, [this] {
        reset();
        scheduleSpaces();
    });
    m_playTimer = new QTimer(this);
    m_playTimer->setInterval(kPlayMs);
    connect(m_playTimer, &QTimer::timeout, this, [this] {
        if (m_timeline->value() >= m_timeline->maximum())
            m_play->setChecked(false);
        else
            m_timeline->setValue(m_timeline->value() + 1);
    });
    m_animation = new QVariantAnimation(this);
    m_animation->setDuration(kMoveMs);
    m_animation->setStartValue(0.0);
    m_animation->setEndValue(1.0);
    m_animation->setEasingCurve(QEasingCurve::InOutQuad);
    connect(m_animation, &QVariantAnimation::valueChanged, this, [this](const QVariant &v) {
        const double t = v.toDouble();
        if (m_animFrom.rows != m_animTo.rows)
            return;
        QList<QPointF> positions;
        for (int i = 0; i < m_animTo.rows; ++i)
            positions << QPointF(m_animFrom.at(i, 0) + (m_animTo.at(i, 0) - m_animFrom.at(i, 0)) * t,
                                 m_animFrom.at(i, 1) + (m_animTo.at(i, 1) - m_animFrom.at(i, 1)) * t);
        m_map->setPositions(positions);
        const int p = m_animTo.rows / 2;
        auto centroid = [&](int first) {
            const auto [x0, y0] = layoutCentroid(m_animFrom, first, p);
            const auto [x1, y1] = layoutCentroid(m_animTo, first, p);
            return QPointF(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
        };
        m_gapOverlay->setCentroids(centroid(0), centroid(p));
    });
    row->addWidget(m_play);
    row->addWidget(m_timeline, 1);
    row->addWidget(m_epochLabel);
    row->addWidget(m_method);
    return bar;
}

bool TrainingInspector::openRun(const QString &dir)
{
    bool external = false;
    try {
        // Validates: a clear message for a folder that holds no run.
        external = RunFolder::open(dir).writtenOutsideCospace();
    } catch (const std::exception &e) {
        setError(QString::fromUtf8(e.what()));
        return false;
    }
    // A loop outside Cospace wrote it: its config is no Cospace config, and there is nothing to resume.
    if (external)
        m_panel->setViewedExternalRun(dir);
    else
        m_panel->setRunDir(QFileInfo(dir).absoluteFilePath());
    follow(QFileInfo(dir).absoluteFilePath(), false);
    if (!external && !m_run.config().isEmpty())   // Resume continues with the run's own config
        m_panel->setConfigText(QString::fromUtf8(QJsonDocument(m_run.config()).toJson()));
    if (const QStringList data = m_run.dataSources(); !data.isEmpty())   // ... and its own data
        m_panel->setDataSources(data);
    return true;
}

void TrainingInspector::follow(const QString &dir, bool waitForTrainer)
{
    m_run = RunFolder(dir);
    m_waitForTrainer = waitForTrainer;
    m_lastError.clear();
    m_charts->clear();
    reset();
    setWindowTitle(tr("%1 — Cospace Training Inspector").arg(QFileInfo(dir).fileName()));
    m_pollTimer->start();   // poll() stops it once the run is finished
    if (!waitForTrainer)
        poll();
}

void TrainingInspector::reset()
{
    ++m_generation;
    m_pool->clear();
    m_spaces.clear();
    m_queued = 0;
    m_shown = -1;
    m_timelineState = std::make_shared<SpaceTimeline>(ProjectionMethod(m_method->currentData().toInt()));
    m_timeline->setRange(0, 0);
    m_map->setPoints({});
    m_gapOverlay->clear();
    m_composition->clear();
    m_epochLabel->setText(tr("no epochs yet"));
}

bool TrainingInspector::isFollowing() const { return m_pollTimer->isActive(); }

void TrainingInspector::poll()
{
    if (m_run.dir().isEmpty() || m_waitForTrainer)
        return;
    const int epochsBefore = int(m_run.epochs().size());
    if (m_run.refresh()) {
        const int replaced = m_run.firstChangedEpoch();
        if (replaced > 0)
            reset();   // resumed from an earlier checkpoint, or an epoch logged again: its layout is stale
        m_charts->setRun(m_run);
        m_captionLabels.clear();
        m_imagePaths.clear();
        for (const ProbePair &p : m_run.probePairs()) {
            m_captionLabels << p.caption;
            m_imagePaths << p.image;
        }
        m_heatmap->setLabels(m_captionLabels, m_imagePaths);
        m_failures->setLabels(m_captionLabels, m_imagePaths);
        if (m_run.epochs().size() != epochsBefore || replaced > 0)
            m_compare->setRunA(m_run);
        scheduleSpaces();
        Q_EMIT runChanged();
    }
    const bool live = m_session->isActive();
    const QString where = QFileInfo(m_run.dir()).fileName();
    if (m_run.finished() && !live) {
        m_pollTimer->stop();
        m_statusLabel->setText(tr("%1: %2 epochs").arg(where).arg(m_run.epochs().size()));
    } else {
        m_statusLabel->setText(tr("%1: following — %2 of %3 epochs").arg(where).arg(m_run.epochs().size())
                                   .arg(m_run.plannedEpochs()));
    }
    if (!m_lastError.isEmpty())
        m_statusLabel->setText(m_lastError);
    checkScreenshot();
}

// Hands the worker the probe epochs it has not seen. Each task reads one .npy, analyses it and
// appends its layout to the shared timeline (so tasks must run in order: the pool has one thread).
void TrainingInspector::scheduleSpaces()
{
    const QList<int> epochs = m_run.probeEpochs();
    for (; m_queued < epochs.size(); ++m_queued) {
        const int epoch = epochs[m_queued];
        const quint64 generation = m_generation;
        auto timeline = m_timelineState;
        const RunFolder run = m_run;
        startJob<EpochSpace>(
            JobRunner(m_pool), this,
            [timeline, run, epoch](JobControl &job) {
                EpochSpace s;
                s.epoch = epoch;
                const Matrix embeddings = run.probeEmbeddings(epoch);
                s.analysis = analyseProbe(embeddings, run.probePairs());
                s.layout = timeline->append(embeddings, &job);
                return s;
            },
            [this, generation](const JobOutcome<EpochSpace> &o) {
                if (o.ok())
                    addSpace(generation, *o.value);
                else
                    spaceFailed(generation, o.cancelled ? tr("Cancelled.") : o.error);
            });
    }
}

void TrainingInspector::addSpace(quint64 generation, const EpochSpace &space)
{
    if (generation != m_generation)
        return;   // a layout of a run or projection that was replaced meanwhile
    const bool atEnd = m_timeline->value() == m_timeline->maximum();
    m_spaces.append(space);
    m_timeline->setRange(0, int(m_spaces.size()) - 1);
    if (atEnd || m_shown < 0)
        m_timeline->setValue(int(m_spaces.size()) - 1);   // live: follow the newest epoch
    if (m_shown < 0 || m_timeline->value() != m_shown)
        showSpace(m_timeline->value(), m_shown >= 0);
    if (m_spaces.size() == m_queued)
        Q_EMIT spacesReady();
    checkScreenshot();
}

void TrainingInspector::spaceFailed(quint64 generation, const QString &message)
{
    if (generation == m_generation)
        setError(message);
    checkScreenshot();
}

void TrainingInspector::showSpace(int index, bool animate)
{
    if (index < 0 || index >= m_spaces.size())
        return;
    const EpochSpace &s = m_spaces[index];
    const bool sameSet = m_shown >= 0 && m_shown < m_spaces.size() && m_spaces[m_shown].layout.rows == s.layout.rows;
    const Matrix from = sameSet ? m_spaces[m_shown].layout : s.layout;
    m_shown = index;
    // New colours at once (pair lines of this epoch), then the points glide from where they were.
    m_map->setPoints(probeMapPoints(animate ? from : s.layout, m_run.probePairs(), s.analysis));
    if (animate && sameSet) {
        m_animFrom = from;
        m_animTo = s.layout;
        m_animation->stop();
        m_animation->start();
    }
    const QJsonObject metrics = m_run.epochs().value(s.epoch - 1);
    m_gap->setEpoch(s.layout, s.epoch, RunFolder::value(metrics, u"modality_gap"_qs),
                    RunFolder::value(metrics, u"temperature"_qs));
    if (!(animate && sameSet))
        m_gapOverlay->setCentroids(m_gap->imageCentroid(), m_gap->captionCentroid());
    m_heatmap->setAnalysis(s.analysis);
    m_failures->setAnalysis(s.analysis);
    m_composition->showEpoch(m_run, s.epoch);
    const int correct = int(std::count(s.analysis.captionRank.begin(), s.analysis.captionRank.end(), 1));
    m_epochLabel->setText(tr("epoch %1 of %2 · probe %3 pairs, %4 rank-1")
                              .arg(s.epoch).arg(m_spaces.last().epoch).arg(s.analysis.pairs).arg(correct));
}

int TrainingInspector::currentEpoch() const { return m_shown >= 0 ? m_spaces[m_shown].epoch : 0; }

void TrainingInspector::showEpochIndex(int index) { m_timeline->setValue(index); }

// A pair picked in the heatmap or the failure browser: marked on the map, where the image is.
void TrainingInspector::showPair(int caption, int image, bool showMap)
{
    if (m_shown < 0)
        return;
    const Matrix &layout = m_spaces[m_shown].layout;
    if (image < 0 || image >= layout.rows / 2)
        return;
    m_animation->stop();
    m_map->setPositions([&] {
        QList<QPointF> p;
        for (int i = 0; i < layout.rows; ++i)
            p << QPointF(layout.at(i, 0), layout.at(i, 1));
        return p;
    }());
    m_gapOverlay->setCentroids(m_gap->imageCentroid(), m_gap->captionCentroid());
    m_map->selectPoint(layout.rows / 2 + caption);   // the caption, with its pair line
    m_map->setQueryMarker(QPointF(layout.at(image, 0), layout.at(image, 1)),
                          caption == image ? m_captionLabels.value(caption)
                                           : tr("%1 (not its image)").arg(m_captionLabels.value(caption)));
    if (showMap)
        m_tabs->setCurrentIndex(0);
}

void TrainingInspector::setError(const QString &message)
{
    if (message == m_lastError)
        return;   // shown once
    m_lastError = message;
    m_statusLabel->setText(message);
    m_statusLabel->setToolTip(message);
}

void TrainingInspector::togglePlay()
{
    if (m_play->isChecked()) {
        if (m_timeline->value() >= m_timeline->maximum())
            m_timeline->setValue(0);
        m_play->setText(tr("❚❚ Pause"));
        m_playTimer->start();
    } else {
        m_play->setText(tr("▶ Play"));
        m_playTimer->stop();
    }
}

QString TrainingInspector::statusText() const { return m_statusLabel->text(); }

QString TrainingInspector::epochText() const { return m_epochLabel->text(); }

void TrainingInspector::screenshotWhenReady(const QString &pngPath, const QString &valuesPath)
{
    m_pendingScreenshot = pngPath;
    m_pendingValues = valuesPath;
    checkScreenshot();
}

void TrainingInspector::checkScreenshot()
{
    if (m_pendingScreenshot.isEmpty())
        return;
    const bool failed = !m_lastError.isEmpty();
    const bool ready = !m_run.dir().isEmpty() && m_spaces.size() == m_run.probeEpochs().size() && m_queued == m_spaces.size();
    if (!failed && !ready)
        return;
    const QString path = std::exchange(m_pendingScreenshot, QString());
    const QString valuesPath = std::exchange(m_pendingValues, QString());
    // Let the last layout, the charts and the thumbnails paint before grabbing.
    QTimer::singleShot(600, this, [this, path, valuesPath, failed] {
        m_animation->stop();
        if (m_shown >= 0)
            showSpace(m_shown, false);
        QString error;
        bool saved = grab().save(path, "PNG");
        if (!saved)
            qCritical("%s: could not write the screenshot", qPrintable(path));
        if (saved && !valuesPath.isEmpty() && !writeInspectorValues(*this, valuesPath, &error)) {
            saved = false;
            qCritical("%s", qPrintable(error));
        }
        if (failed)
            qCritical("%s", qPrintable(m_lastError));
        QApplication::exit(saved && !failed ? 0 : 1);
    });
}

}  // namespace cospace
