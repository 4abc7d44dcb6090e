#include "core/base/job.h"

#include <cmath>

namespace cospace {

QString JobProgress::formatEta() const
{
    if (etaSeconds < 0 || !std::isfinite(etaSeconds))
        return u"--"_qs;
    const qint64 s = qint64(std::llround(etaSeconds));
    if (s >= 3600)
        return u"%1h %2m"_qs.arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return u"%1m %2s"_qs.arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return u"%1s"_qs.arg(s);
}

JobControl::JobControl(Callback callback, int reportIntervalMs)
    : m_callback(std::move(callback)), m_intervalMs(reportIntervalMs)
{
    m_timer.start();
}

void JobControl::setTotal(qint64 total)
{
    m_total.store(total);
    maybeReport(true);
}

void JobControl::setStage(const QString &stage)
{
    {
        std::lock_guard lock(m_mutex);
        m_stage = stage;
    }
    maybeReport(true);
}

void JobControl::advance(qint64 n)
{
    m_done.fetch_add(n);
    maybeReport(false);
}

void JobControl::finish()
{
    maybeReport(true);
}

JobProgress JobControl::snapshot() const
{
    JobProgress p;
    p.done = m_done.load();
    p.total = m_total.load();
    p.elapsedSeconds = m_timer.nsecsElapsed() / 1e9;
    if (p.elapsedSeconds > 0 && p.done > 0) {
        p.itemsPerSecond = p.done / p.elapsedSeconds;
        if (p.total >= p.done)
            p.etaSeconds = (p.total - p.done) / p.itemsPerSecond;
    }
    std::lock_guard lock(m_mutex);
    p.stage = m_stage;
    return p;
}

void JobControl::maybeReport(bool force)
{
    if (!m_callback)
        return;
    {
        std::lock_guard lock(m_mutex);
        const qint64 now = m_timer.elapsed();
        if (!force && m_lastReportMs >= 0 && now - m_lastReportMs < m_intervalMs)
            return;
        m_lastReportMs = now;
    }
    m_callback(snapshot());
}

}  // namespace cospace
