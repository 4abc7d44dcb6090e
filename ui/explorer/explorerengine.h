#pragma once
// The explorer's engine: owns the model, the store and the search indexes on one worker thread, so
// the window never waits for them (models are not thread-safe: everything that touches the model
// runs on this thread, in request order).
//
// The window calls the public slots through queued connections (use the invoke* helpers) and gets
// results as signals. Every request carries an id; a result carries the id it answers, so the window
// drops results for a workspace or query it has since replaced. cancel() may be called from any thread
// and stops the running job at its next step.

#include "core/data/captionfile.h"
#include "core/data/dataset.h"
#include "core/base/job.h"
#include "core/search/search.h"
#include "core/explorer/workspace.h"
#include "ui/map/mapview.h"

#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>
#include <mutex>

namespace cospace {

class EmbeddingStore;
struct ProjectionOptions;

// What opening a workspace found on disk (the engine's first step): the folders' images and scan
// issues, the caption files' rows and bad rows. The same scan feeds the embedding, so folders are
// walked once per opening.
struct CollectionSnapshot {
    struct Folder {
        QString path;
        ImageScan scan;   // handed to the embedding as it is
    };
    QList<Folder> folders;
    QList<CaptionFile> captionFiles;
    int imageCount() const;
};
// Scans every folder and reads every caption file of the workspace. Reentrant; throws
// std::runtime_error only for caption files that cannot be read at all.
CollectionSnapshot loadCollection(const Workspace &workspace);

struct ExplorerLayout {
    QList<MapPoint> points;     // images first, then captions, then typed captions
    QString modelName;
    QString modelSource;
    bool modelRunsCode = true;  // TorchScript bundles and checkpoints; false for weights files (describe())
    QString method;
    double modalityGap = 0;
    int skipped = 0;
    QStringList skippedText;    // "photo.jpg: truncated"
    QStringList skippedPaths;   // the same files, full paths ...
    QStringList skippedReasons; // ... and why ("truncated", "not an image", ...)
    bool cachedLayout = false;  // the layout came from the layout cache (core/layoutcache.h)
};

class ExplorerEngine : public QObject
{
    Q_OBJECT
public:
    // storePath empty = the default XDG store.
    explicit ExplorerEngine(const QString &storePath = {});
    ~ExplorerEngine() override;

    // Moves the engine to its own thread and starts it; the thread stops with the engine.
    void start();
    // Cancels the running job and any open request already sent (a cancel that arrives before
    // its job starts is not lost).
    void cancel();

    void invokeOpen(const Workspace &workspace, quint64 generation);
    void invokeSearch(const QString &prompt, quint64 queryId, int k);
    void invokeMatchImage(const QString &path, quint64 queryId, int k);
    void invokeMatchItem(int pointIndex, quint64 queryId, int k);

Q_SIGNALS:
    void progress(const cospace::JobProgress &progress);
    // Opening a workspace: first what is on disk (always, also when a later step fails) ...
    void collectionScanned(quint64 generation, const cospace::CollectionSnapshot &snapshot);
    // ... then, while projecting, the points (at the starting layout) and new positions as it converges.
    void layoutBegun(quint64 generation, const QList<cospace::MapPoint> &points);
    void layoutStep(quint64 generation, const QList<QPointF> &positions);
    void layoutReady(quint64 generation, const cospace::ExplorerLayout &layout);
    void searchResults(quint64 queryId, const QString &prompt, const QList<cospace::SearchHit> &hits);
    // Captions ranked for an image (a dropped file or a map point), or images for a caption point.
    void matchResults(quint64 queryId, const QString &title, const QList<cospace::SearchHit> &hits);
    // Where the query (text or dropped image) lands on the current map.
    void queryPlaced(quint64 queryId, const QPointF &position, const QString &label);
    // The query's cosine with every map point (map-point order), for colouring by similarity.
    void querySimilarities(quint64 queryId, const QList<float> &scores, const QString &label);
    void failed(quint64 id, const QString &message);
    void idle();

private:
    Q_INVOKABLE void open(const cospace::Workspace &workspace, quint64 generation);
    Q_INVOKABLE void search(const QString &prompt, quint64 queryId, int k);
    Q_INVOKABLE void matchImage(const QString &path, quint64 queryId, int k);
    Q_INVOKABLE void matchItem(int pointIndex, quint64 queryId, int k);

    std::shared_ptr<JobControl> newJob();
    // Runs the projector on d->layoutVectors, emitting layoutBegun/layoutStep as it converges.
    void project(const ProjectionOptions &options, quint64 generation, const ExplorerLayout &layout, JobControl &job);
    bool ensureModel(const QString &spec, quint64 id);

    QThread m_thread;
    QString m_storePath;
    std::mutex m_jobMutex;                 // guards m_job (cancel() comes from the GUI thread)
    std::shared_ptr<JobControl> m_job;
    std::atomic<quint64> m_latestOpen{0};        // newest open request sent
    std::atomic<quint64> m_cancelledThrough{0};  // open requests up to this one are cancelled
    void cancelRunning();
    struct State;
    std::unique_ptr<State> d;
};

}  // namespace cospace

Q_DECLARE_METATYPE(cospace::JobProgress)
Q_DECLARE_METATYPE(cospace::MapPoint)
Q_DECLARE_METATYPE(cospace::ExplorerLayout)
Q_DECLARE_METATYPE(cospace::CollectionSnapshot)
Q_DECLARE_METATYPE(cospace::SearchHit)
Q_DECLARE_METATYPE(cospace::Workspace)
