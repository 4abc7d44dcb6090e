#pragma once
// The one job shape (CODING_GUIDELINES.md "Long work is a job"): a function of a JobControl that
// returns a result, run on a thread pool the caller owns, its outcome delivered as a value.
//
//     JobRunner runner(&pool);                       // pool: QThreadPool the caller owns
//     auto job = runner.start<Matrix>(
//         [=](JobControl &job) { return project(vectors, options, &job); },   // on a pool thread
//         [](JobOutcome<Matrix> outcome) { ... },                              // on that thread too
//         progressCallback);                                                   // optional
//     job->cancel();                                 // any thread; the work stops at its next step
//
// The work runs after initWorkerThread() (LibTorch's per-thread set-up). A std::exception from it
// becomes outcome.error (its what()), JobCancelled becomes outcome.cancelled; nothing escapes to
// the pool. `done` always runs exactly once, on the worker thread: to reach a GUI, post from it
// (ui/widgets/jobdelivery.h does that and drops stale results). Jobs queue on the pool in start
// order; a pool with one thread runs them one after another (what a model that is not
// thread-safe needs).

#include "core/base/job.h"

#include <QThreadPool>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>

namespace cospace {

template <typename Result>
struct JobOutcome {
    std::optional<Result> value;   // set when the work returned
    QString error;                 // the work threw: what it said
    bool cancelled = false;        // the work stopped on JobControl::cancel()
    bool ok() const { return value.has_value(); }
};

class JobRunner
{
public:
    explicit JobRunner(QThreadPool *pool) : m_pool(pool) {}
    QThreadPool *pool() const { return m_pool; }

    template <typename Result>
    std::shared_ptr<JobControl> start(std::function<Result(JobControl &)> work,
                                      std::function<void(JobOutcome<Result>)> done,
                                      JobControl::Callback progress = {}) const
    {
        auto job = std::make_shared<JobControl>(std::move(progress));
        m_pool->start([job, work = std::move(work), done = std::move(done)] {
            done(runCaught<Result>(*job, work));
        });
        return job;
    }

    // Runs `work` on the calling thread with the same conversion of exceptions to values.
    template <typename Result>
    static JobOutcome<Result> runCaught(JobControl &job, const std::function<Result(JobControl &)> &work)
    {
        JobOutcome<Result> outcome;
        prepareThread();
        try {
            if (job.cancelled())
                throw JobCancelled{};
            outcome.value.emplace(work(job));
        } catch (const JobCancelled &) {
            outcome.cancelled = true;
        } catch (const std::exception &e) {
            outcome.error = QString::fromUtf8(e.what());
        }
        return outcome;
    }

private:
    static void prepareThread();   // initWorkerThread() once per pool thread
    QThreadPool *m_pool;
};

}  // namespace cospace
