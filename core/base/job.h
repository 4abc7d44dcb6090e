#pragma once
// The one job interface shared by the CLI (a progress bar) and the GUI (the Jobs panel).
//
// Long work takes a JobControl&, calls setTotal()/advance() as it goes and returns early when
// cancelled() is true. Every member is thread-safe: the worker advances, any thread may read a
// snapshot or cancel. The progress callback runs on the worker's thread, at most every
// `reportInterval` milliseconds (and once more at finish()); it must not touch widgets.

#include <QElapsedTimer>
#include <QString>

#include <atomic>
#include <functional>
#include <mutex>

namespace cospace {

struct JobProgress {
    qint64 done = 0;
    qint64 total = 0;        // 0 = unknown
    double elapsedSeconds = 0;
    double itemsPerSecond = 0;
    double etaSeconds = -1;  // -1 = unknown
    QString stage;           // "decoding", "epoch 3/10", ...
    QString formatEta() const;   // "1m 05s", "--"
};

class JobControl
{
public:
    using Callback = std::function<void(const JobProgress &)>;
    explicit JobControl(Callback callback = {}, int reportIntervalMs = 200);

    void setTotal(qint64 total);
    void setStage(const QString &stage);
    void advance(qint64 n = 1);
    void finish();                       // reports a final snapshot
    void cancel() { m_cancelled.store(true); }
    bool cancelled() const { return m_cancelled.load(); }
    JobProgress snapshot() const;

private:
    void maybeReport(bool force);

    Callback m_callback;
    int m_intervalMs;
    std::atomic<qint64> m_done{0};
    std::atomic<qint64> m_total{0};
    std::atomic<bool> m_cancelled{false};
    mutable std::mutex m_mutex;  // guards m_stage, m_lastReportMs
    QString m_stage;
    qint64 m_lastReportMs = -1;
    QElapsedTimer m_timer;
};

// Thrown by jobs that stop because JobControl::cancelled() became true.
struct JobCancelled {};

}  // namespace cospace
