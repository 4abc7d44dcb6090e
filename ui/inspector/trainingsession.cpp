#include "ui/inspector/trainingsession.h"

#include "core/base/runtime.h"

#include <QFileInfo>
#include <QMetaObject>

namespace cospace {

TrainingSession::TrainingSession(QObject *parent) : QObject(parent) {}

TrainingSession::~TrainingSession()
{
    if (m_job)
        m_job->cancel();   // the trainer saves last.ckpt at this step, so nothing trained is lost
    join();
}

void TrainingSession::join()
{
    if (m_thread.joinable())
        m_thread.join();
}

JobProgress TrainingSession::progress() const { return m_job ? m_job->snapshot() : JobProgress(); }

void TrainingSession::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void TrainingSession::start(const TrainerOptions &options)
{
    if (isActive())
        return;
    m_lastStep = 0;
    launch(options);
}

void TrainingSession::resume()
{
    if (m_state != State::Paused && m_state != State::Stopped)
        return;
    TrainerOptions o = m_options;
    // Cancelled while still reading the data: there is no checkpoint to continue, start afresh.
    o.resume = QFileInfo::exists(o.runDir + u"/last.ckpt"_qs);
    launch(o);
}

void TrainingSession::pause()
{
    if (m_state != State::Running)
        return;
    m_afterCancel = State::Paused;
    setState(State::Pausing);
    m_job->cancel();
}

void TrainingSession::stop()
{
    if (m_state == State::Paused) {
        setState(State::Stopped);
        return;
    }
    if (m_state != State::Running && m_state != State::Pausing)
        return;
    m_afterCancel = State::Stopped;
    setState(State::Stopping);
    m_job->cancel();
}

void TrainingSession::launch(const TrainerOptions &options)
{
    join();   // a previous worker has already posted its last report
    m_options = options;
    m_error.clear();
    m_job = std::make_shared<JobControl>();
    setState(State::Running);
    // Reports are posted to the GUI thread with the session as context: Qt drops them if it is gone
    // (it outlives the thread anyway: the destructor joins).
    auto post = [this](auto function) { QMetaObject::invokeMethod(this, std::move(function), Qt::QueuedConnection); };
    m_thread = std::thread([this, post, options, job = m_job] {
        initWorkerThread();
        bool completed = false;
        QString error;
        try {
            Trainer trainer(options);
            trainer.onStep = [this, post](const StepReport &r) {
                post([this, r] {
                    m_lastStep = r.globalStep;
                    Q_EMIT stepReported(r);
                });
            };
            trainer.onEpoch = [this, post](const EpochReport &r) { post([this, r] { Q_EMIT epochReported(r); }); };
            trainer.prepare(job.get());
            completed = trainer.run(*job);
        } catch (const JobCancelled &) {
            // cancelled while reading the data: nothing to save
        } catch (const std::exception &e) {
            error = QString::fromUtf8(e.what());
        }
        post([this, completed, error] { workerDone(completed, error); });
    });
}

void TrainingSession::workerDone(bool completed, const QString &error)
{
    if (!error.isEmpty()) {
        m_error = error;
        setState(State::Failed);
        Q_EMIT failed(error);
        return;
    }
    setState(completed ? State::Finished : m_afterCancel);
}

}  // namespace cospace
