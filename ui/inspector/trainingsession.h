#pragma once
// One training run driven from the GUI: a Trainer run as a job (core/base/jobrunner.h) on the
// session's own one-thread pool, with start, pause, resume and stop.
//
// Pause and stop both cancel the trainer, which saves RUN/last.ckpt at the step it reached; resume
// starts a new Trainer with `resume = true` on the same run folder, which continues exactly from that
// step (tested in tst_trainer and tst_inspector). So a paused run holds no thread and no memory, and
// a run stopped here can also be resumed later by `cospace-cli train --resume`.
//
// Signals are emitted on the GUI thread (the worker posts them), in the order the trainer reported.
// Lives on the GUI thread; the destructor cancels a running trainer and waits for it (at most one
// optimizer step plus the checkpoint write).

#include "core/base/jobrunner.h"
#include "core/train/trainer.h"

#include <QObject>
#include <QThreadPool>

#include <memory>

namespace cospace {

class TrainingSession : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, Running, Pausing, Paused, Stopping, Stopped, Finished, Failed };
    Q_ENUM(State)

    explicit TrainingSession(QObject *parent = nullptr);
    ~TrainingSession() override;

    // Starts a new run (options.resume as given). Ignored unless idle, paused, stopped, finished or failed.
    void start(const TrainerOptions &options);
    void pause();    // Running -> Pausing -> Paused (checkpoint saved)
    void resume();   // Paused/Stopped -> Running, continuing the same run folder
    void stop();     // Running -> Stopping -> Stopped (checkpoint saved)

    State state() const { return m_state; }
    bool isActive() const { return m_state == State::Running || m_state == State::Pausing || m_state == State::Stopping; }
    const TrainerOptions &options() const { return m_options; }
    qint64 lastGlobalStep() const { return m_lastStep; }   // the newest step reported
    JobProgress progress() const;
    QString lastError() const { return m_error; }

Q_SIGNALS:
    void stateChanged(cospace::TrainingSession::State state);
    void stepReported(const cospace::StepReport &report);
    void epochReported(const cospace::EpochReport &report);
    void failed(const QString &message);

private:
    void launch(const TrainerOptions &options);
    void join();
    void setState(State state);
    void workerDone(const JobOutcome<bool> &outcome);

    TrainerOptions m_options;
    State m_state = State::Idle;
    State m_afterCancel = State::Paused;
    std::shared_ptr<JobControl> m_job;
    QThreadPool m_pool;   // one thread: a run at a time
    qint64 m_lastStep = 0;
    QString m_error;
};

}  // namespace cospace
