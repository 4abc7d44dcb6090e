#pragma once
// The UI's one adapter for core jobs (core/base/jobrunner.h): starts a job on a runner's pool and
// delivers its progress and outcome on the GUI thread, to `context` only while it exists and only
// while `isCurrent()` (default: always) says the request was not superseded — a search answered
// after the user typed on, a layout for a workspace since replaced.
//
//     m_job = startJob<Matrix>(m_runner, this, [=](JobControl &job) { return work(job); },
//                              [this](const JobOutcome<Matrix> &o) { show(o); },
//                              [this](const JobProgress &p) { progress(p); },
//                              [this, id] { return id == m_latestId; });

#include "core/base/jobrunner.h"

#include <QCoreApplication>
#include <QPointer>

#include <functional>
#include <memory>

namespace cospace {

// Runs `deliver` on the GUI thread if `context` still exists then.
template <typename Deliver>
void postToGui(QObject *context, Deliver deliver)
{
    QMetaObject::invokeMethod(QCoreApplication::instance(),
                              [guard = QPointer<QObject>(context), deliver = std::move(deliver)]() mutable {
                                  if (guard)
                                      deliver();
                              },
                              Qt::QueuedConnection);
}

template <typename Result>
std::shared_ptr<JobControl> startJob(const JobRunner &runner, QObject *context,
                                     std::function<Result(JobControl &)> work,
                                     std::function<void(const JobOutcome<Result> &)> onDone,
                                     std::function<void(const JobProgress &)> onProgress = {},
                                     std::function<bool()> isCurrent = {})
{
    auto current = [isCurrent] { return !isCurrent || isCurrent(); };
    JobControl::Callback progress;
    if (onProgress)
        progress = [context, onProgress, current](const JobProgress &p) {
            postToGui(context, [onProgress, current, p] {
                if (current())
                    onProgress(p);
            });
        };
    return runner.start<Result>(
        std::move(work),
        [context, onDone = std::move(onDone), current](JobOutcome<Result> outcome) {
            postToGui(context, [onDone, current, outcome = std::move(outcome)] {
                if (current())
                    onDone(outcome);
            });
        },
        std::move(progress));
}

}  // namespace cospace
