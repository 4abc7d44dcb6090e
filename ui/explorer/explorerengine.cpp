#include "ui/explorer/explorerengine.h"

#include "ui/widgets/jobdelivery.h"

namespace cospace {

ExplorerEngine::ExplorerEngine(const QString &storePath, QObject *parent)
    : QObject(parent), m_session(std::make_shared<WorkspaceSession>(storePath))
{
    m_pool.setMaxThreadCount(1);
    m_pool.setExpiryTimeout(-1);
}

ExplorerEngine::~ExplorerEngine()
{
    cancel();
    m_pool.waitForDone();
}

void ExplorerEngine::cancel()
{
    if (m_openJob)
        m_openJob->cancel();
}

// Runs `work` on the session's thread; `done` (GUI thread) only while the request is the newest
// of its kind. Failures and cancellation become failed(id, message).
template <typename Result>
void ExplorerEngine::run(quint64 id, bool isOpen, std::function<Result(WorkspaceSession &, JobControl &)> work,
                         std::function<void(const Result &)> done)
{
    auto current = [this, id, isOpen] { return id == (isOpen ? m_latestOpen : m_latestQuery); };
    auto job = startJob<Result>(
        m_runner, this, [session = m_session, work](JobControl &job) { return work(*session, job); },
        [this, id, done](const JobOutcome<Result> &o) {
            if (o.ok())
                done(*o.value);
            else
                Q_EMIT failed(id, o.cancelled ? tr("Cancelled.") : o.error);
        },
        [this](const JobProgress &p) { Q_EMIT progress(p); }, current);
    if (isOpen)
        m_openJob = job;
}

void ExplorerEngine::setRerank(Rerank method)
{
    m_runner.start<bool>([session = m_session, method](JobControl &) {
        session->setRerank(method);
        return true;
    }, [](JobOutcome<bool>) {});
}

void ExplorerEngine::open(const Workspace &workspace, const QList<MapPoint> &previous, quint64 generation)
{
    cancel();   // a new workspace supersedes whatever is running
    m_latestOpen = generation;
    WorkspaceJobParams params;
    params.workspace = workspace;
    params.previous = previous;
    auto current = [this, generation] { return generation == m_latestOpen; };
    params.scanned = [this, generation, current](const CollectionSnapshot &snapshot) {
        postToGui(this, [this, generation, current, snapshot] {
            if (current())
                Q_EMIT collectionScanned(generation, snapshot);
        });
    };
    params.layoutBegun = [this, generation, current](const QList<MapPoint> &points) {
        postToGui(this, [this, generation, current, points] {
            if (current())
                Q_EMIT layoutBegun(generation, points);
        });
    };
    params.layoutStep = [this, generation, current](const QList<QPointF> &positions) {
        postToGui(this, [this, generation, current, positions] {
            if (current())
                Q_EMIT layoutStep(generation, positions);
        });
    };
    run<WorkspaceLayout>(
        generation, true, [params](WorkspaceSession &s, JobControl &job) { return s.open(params, job); },
        [this, generation](const WorkspaceLayout &layout) { Q_EMIT layoutReady(generation, layout); });
}

void ExplorerEngine::updateTypedCaptions(const Workspace &workspace, quint64 generation)
{
    m_latestOpen = generation;
    using Points = std::optional<QList<MapPoint>>;
    run<Points>(
        generation, true,
        [captions = workspace.captions](WorkspaceSession &s, JobControl &) { return s.updateTypedCaptions(captions); },
        [this, generation, workspace](const Points &points) {
            if (points)
                Q_EMIT pointsUpdated(generation, *points);
            else
                open(workspace, {}, generation);   // no map to place them on yet
        });
}

void ExplorerEngine::search(const QString &prompt, quint64 queryId, int k)
{
    m_latestQuery = queryId;
    run<QueryResult>(
        queryId, false, [prompt, k](WorkspaceSession &s, JobControl &) { return s.search(prompt, k); },
        [this, queryId](const QueryResult &r) { Q_EMIT searchAnswered(queryId, r); });
}

void ExplorerEngine::matchImage(const QString &path, quint64 queryId, int k)
{
    m_latestQuery = queryId;
    run<QueryResult>(
        queryId, false, [path, k](WorkspaceSession &s, JobControl &) { return s.matchImage(path, k); },
        [this, queryId](const QueryResult &r) { Q_EMIT matchAnswered(queryId, r); });
}

void ExplorerEngine::matchPoint(int index, quint64 queryId, int k)
{
    m_latestQuery = queryId;
    run<QueryResult>(
        queryId, false, [index, k](WorkspaceSession &s, JobControl &) { return s.matchPoint(index, k); },
        [this, queryId](const QueryResult &r) { Q_EMIT matchAnswered(queryId, r); });
}

}  // namespace cospace
