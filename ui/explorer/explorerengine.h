#pragma once
// The GUI's adapter to the explorer's core job (core/explorer/workspacesession.h): runs the session's
// work on one worker thread of its own (the model it holds is not thread-safe: everything that
// touches it runs there, in request order) and hands results to the window as signals on the GUI
// thread. Every request carries an id; a result for an open or query that has since been replaced
// is dropped here, before any signal. cancel() stops the running workspace job at its next step.

#include "core/base/jobrunner.h"
#include "core/explorer/workspacesession.h"
#include "ui/widgets/jobdelivery.h"

#include <QObject>
#include <QPointer>
#include <QThreadPool>

#include <memory>

namespace cospace {

class ExplorerEngine : public QObject
{
    Q_OBJECT
public:
    explicit ExplorerEngine(const QString &storePath = {}, QObject *parent = nullptr);
    ~ExplorerEngine() override;   // cancels, then waits for the running step

    // Scans, embeds and projects `workspace`, aligning the map to `previous` (may be empty).
    void open(const Workspace &workspace, const QList<MapPoint> &previous, quint64 generation);
    // The typed captions changed: places them on the current map (pointsUpdated) or, when there is
    // no map yet, opens the workspace again.
    void updateTypedCaptions(const Workspace &workspace, quint64 generation);
    void search(const QString &prompt, quint64 queryId, int k);
    void matchImage(const QString &path, quint64 queryId, int k);
    void matchPoint(int index, quint64 queryId, int k);
    void cancel();

    // Hubness correction of search and matches from now on (runs after what is queued).
    void setRerank(Rerank method);
    // An analysis job (clusters, zero-shot, duplicates, axes) on the session's thread, after what is
    // queued: `done` runs on the GUI thread while `context` exists and no newer workspace was opened.
    template <typename Result>
    std::shared_ptr<JobControl> analyse(QObject *context, std::function<Result(WorkspaceSession &, JobControl &)> work,
                                        std::function<void(const JobOutcome<Result> &)> done,
                                        std::function<void(const JobProgress &)> progress = {})
    {
        const quint64 generation = m_latestOpen;
        return startJob<Result>(
            m_runner, context, [session = m_session, work = std::move(work)](JobControl &job) { return work(*session, job); },
            std::move(done), std::move(progress),
            [engine = QPointer<ExplorerEngine>(this), generation] { return engine && generation == engine->m_latestOpen; });
    }

Q_SIGNALS:
    void progress(const cospace::JobProgress &progress);
    // Opening: first what is on disk (also when a later step fails), then, while projecting, the
    // points at the starting layout and new positions as it converges, then the finished map.
    void collectionScanned(quint64 generation, const cospace::CollectionSnapshot &snapshot);
    void layoutBegun(quint64 generation, const QList<cospace::MapPoint> &points);
    void layoutStep(quint64 generation, const QList<QPointF> &positions);
    void layoutReady(quint64 generation, const cospace::WorkspaceLayout &layout);
    void pointsUpdated(quint64 generation, const QList<cospace::MapPoint> &points);
    void searchAnswered(quint64 queryId, const cospace::QueryResult &result);
    void matchAnswered(quint64 queryId, const cospace::QueryResult &result);
    void failed(quint64 id, const QString &message);

private:
    template <typename Result>
    void run(quint64 id, bool isOpen, std::function<Result(WorkspaceSession &, JobControl &)> work,
             std::function<void(const Result &)> done);

    std::shared_ptr<WorkspaceSession> m_session;   // used on the worker thread only
    QThreadPool m_pool;                            // one thread: requests run in order
    JobRunner m_runner{&m_pool};
    std::shared_ptr<JobControl> m_openJob;
    quint64 m_latestOpen = 0;
    quint64 m_latestQuery = 0;
};

}  // namespace cospace
