#include "ui/inspector/trainingsession.h"

#include "ui/widgets/jobdelivery.h"

#include <QFileInfo>

namespace cospace {

TrainingSession::TrainingSession(QObject *parent) : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
}

TrainingSession::~TrainingSession()
{
    if (m_job)
        m_job->cancel();   // the trainer saves last.ckpt at this step, so nothing trained is lost
    join();
}

void TrainingSession::join()
{
    m_pool.waitForDone();
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
    join();   // a previous run has already posted its last report
    m_options = options;
    m_error.clear();
    setState(State::Running);
    // Reports reach the GUI thread only while the session exists (it outlives the run anyway: the
    // destructor waits for it).
    m_job = startJob<bool>(
        JobRunner(&m_pool), this,
        [this, options](JobControl &job) {
            Trainer trainer(options);
            trainer.onStep = [this](const StepReport &r) {
                postToGui(this, [this, r] {
                    m_lastStep = r.globalStep;
                    Q_EMIT stepReported(r);
                });
            };
            trainer.onEpoch = [this](const EpochReport &r) { postToGui(this, [this, r] { Q_EMIT epochReported(r); }); };
            trainer.prepare(&job);
            return trainer.run(job);
        },
        [this](const JobOutcome<bool> &outcome) { workerDone(outcome); });
}

void TrainingSession::workerDone(const JobOutcome<bool> &outcome)
{
    if (!outcome.error.isEmpty()) {
        m_error = outcome.error;
        setState(State::Failed);
        Q_EMIT failed(m_error);
        return;
    }
    // Cancelled while reading the data (nothing to save), or a run stopped or paused at a step.
    setState(outcome.value.value_or(false) ? State::Finished : m_afterCancel);
}

}  // namespace cospace
