#pragma once
// The training inspector: train a shared space from the GUI or open a run folder (also while
// `cospace-cli train` is still writing it) and watch the space form.
//
//  - left: the Training panel (data, config, start / pause / resume / stop; see trainingpanel.h);
//  - centre: the dashboard (trainingcharts.h);
//  - right: the probe set per epoch as a map (aligned layouts, pair lines green where the caption's
//    image ranks first) with the modality-gap vector between the two centroids, a gap view, the similarity heatmap, the failure browser, the compositional probe's failures and the
//    comparison of two epochs or two runs; a timeline slider (with Play) picks the epoch.
//
// Follow mode: while the run is not finished the folder is re-read every second (and at once when
// a trainer started here reports an epoch). Probe analysis and layouts run on one worker thread, in
// epoch order (each layout starts from the previous one); results of a run or projection that was
// replaced meanwhile are dropped (generation counter). Errors are shown once in the status bar.
// GUI thread only.

#include "core/train/probeanalysis.h"
#include "core/train/runfolder.h"

#include <QMainWindow>

#include <memory>

class QComboBox;
class QLabel;
class QSlider;
class QTabWidget;
class QThreadPool;
class QTimer;
class QToolButton;
class QVariantAnimation;

namespace cospace {

class ComparePanel;
class CompositionView;
class FailureBrowser;
class GapOverlay;
class GapView;
class HeatmapView;
class MapView;
class TrainingCharts;
class TrainingPanel;
class TrainingSession;

// One epoch of the probe set, as the inspector shows it.
struct EpochSpace {
    int epoch = 0;
    ProbeAnalysis analysis;
    Matrix layout;          // 2P x 2, aligned to the previous epoch's
};

class TrainingInspector : public QMainWindow
{
    Q_OBJECT
public:
    explicit TrainingInspector(QWidget *parent = nullptr);
    ~TrainingInspector() override;

    // Opens a run folder (follows it while unfinished). Returns false and shows why on failure.
    bool openRun(const QString &dir);
    // Saves a PNG of the window once every epoch's layout is ready (showing the last epoch), and, if
    // valuesPath is given, what it shows as JSON (inspectorvalues.h); then quits the application with 0
    // (or 1 if a file could not be written or the run failed to load).
    void screenshotWhenReady(const QString &pngPath, const QString &valuesPath = {});

    const RunFolder &run() const { return m_run; }
    bool isFollowing() const;
    int spaceCount() const { return int(m_spaces.size()); }
    const EpochSpace &space(int index) const { return m_spaces.at(index); }
    int currentEpoch() const;
    void showEpochIndex(int index);   // moves the timeline
    QString lastError() const { return m_lastError; }
    QString statusText() const;           // the status bar's text
    QString epochText() const;            // the timeline's "epoch N of M · probe …" label

    TrainingPanel *trainingPanel() const { return m_panel; }
    TrainingSession *session() const { return m_session; }
    TrainingCharts *charts() const { return m_charts; }
    QSlider *timeline() const { return m_timeline; }
    MapView *mapView() const { return m_map; }
    GapView *gapView() const { return m_gap; }
    GapOverlay *gapOverlay() const { return m_gapOverlay; }
    HeatmapView *heatmap() const { return m_heatmap; }
    FailureBrowser *failures() const { return m_failures; }
    CompositionView *composition() const { return m_composition; }
    ComparePanel *comparePanel() const { return m_compare; }
    QTabWidget *tabs() const { return m_tabs; }

Q_SIGNALS:
    void spacesReady();                  // every complete epoch of the run has its layout
    void runChanged();                   // the run folder was (re)read and something changed

private:
    QWidget *buildSpaceTab();
    QWidget *buildTimelineBar();
    void follow(const QString &dir, bool waitForTrainer);
    void reset();
    void poll();
    void scheduleSpaces();
    void addSpace(quint64 generation, const EpochSpace &space);
    void spaceFailed(quint64 generation, const QString &message);
    void showSpace(int index, bool animate);
    void showPair(int caption, int image, bool showMap);
    void setError(const QString &message);
    void togglePlay();
    void checkScreenshot();

    RunFolder m_run;
    QList<EpochSpace> m_spaces;
    std::shared_ptr<SpaceTimeline> m_timelineState;   // used only by the worker, in order
    QThreadPool *m_pool = nullptr;
    quint64 m_generation = 0;
    int m_queued = 0;                // probe epochs handed to the worker in this generation
    bool m_waitForTrainer = false;   // a fresh run: its old logs are stale until the trainer starts
    int m_shown = -1;
    QString m_lastError;
    QString m_pendingScreenshot;
    QString m_pendingValues;
    QStringList m_captionLabels, m_imagePaths;

    TrainingSession *m_session = nullptr;
    TrainingPanel *m_panel = nullptr;
    TrainingCharts *m_charts = nullptr;
    QTabWidget *m_tabs = nullptr;
    MapView *m_map = nullptr;
    GapView *m_gap = nullptr;
    GapOverlay *m_gapOverlay = nullptr;
    HeatmapView *m_heatmap = nullptr;
    QComboBox *m_heatmapOrder = nullptr;
    FailureBrowser *m_failures = nullptr;
    CompositionView *m_composition = nullptr;
    ComparePanel *m_compare = nullptr;
    QSlider *m_timeline = nullptr;
    QToolButton *m_play = nullptr;
    QLabel *m_epochLabel = nullptr;
    QComboBox *m_method = nullptr;
    QLabel *m_statusLabel = nullptr;
    QTimer *m_pollTimer = nullptr;
    QTimer *m_playTimer = nullptr;
    QVariantAnimation *m_animation = nullptr;
    Matrix m_animFrom, m_animTo;
    qint64 m_lastStepRefreshMs = 0;
};

// Opens a new inspector window (deleted when closed), on a run folder if given.
TrainingInspector *openTrainingInspector(const QString &runDir = {});

}  // namespace cospace
