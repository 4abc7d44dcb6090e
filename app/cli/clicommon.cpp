#include "clicommon.h"

#include <QElapsedTimer>
#include <QJsonDocument>

#include <atomic>
#include <csignal>
#include <mutex>
#include <cstdio>
#include <unistd.h>

namespace cospace::cli {

void out(const QString &line)
{
    std::fputs(line.toUtf8().constData(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void err(const QString &line)
{
    std::fputs(line.toUtf8().constData(), stderr);
    std::fputc('\n', stderr);
}

void printJson(const QJsonObject &object)
{
    std::fputs(QJsonDocument(object).toJson(QJsonDocument::Compact).constData(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

bool parseArgs(QCommandLineParser &parser, const QStringList &args, int *exitCode)
{
    const QCommandLineOption help({u"h"_qs, u"help"_qs}, u"Show this help."_qs);
    parser.addOption(help);
    if (!parser.parse(args)) {
        err(u"%1: %2\n\n%3"_qs.arg(args.value(0), parser.errorText(), parser.helpText()));
        *exitCode = kUsage;
        return false;
    }
    if (parser.isSet(help)) {
        out(parser.helpText());
        *exitCode = kOk;
        return false;
    }
    return true;
}

namespace {
std::atomic<bool> g_progressShown{false};
}

JobControl::Callback terminalProgress(const QString &label)
{
    if (!isatty(fileno(stderr)))
        return {};
    return [label](const JobProgress &p) {
        const int width = 28;
        QString bar;
        if (p.total > 0) {
            const int filled = int(width * qMin<qint64>(p.done, p.total) / p.total);
            bar = QString(filled, u'#') + QString(width - filled, u'.');
        }
        const QString counts = p.total > 0 ? u"%1/%2"_qs.arg(p.done).arg(p.total) : QString::number(p.done);
        const QString line = u"\r%1 [%2] %3  %4/s  ETA %5  %6"_qs.arg(label, bar, counts)
                                 .arg(p.itemsPerSecond, 0, 'f', 1)
                                 .arg(p.formatEta(), p.stage);
        std::fputs(line.left(160).toUtf8().constData(), stderr);
        std::fputs("\x1b[K", stderr);  // clear the rest of the line
        std::fflush(stderr);
        g_progressShown = true;
    };
}

QCommandLineOption stageTimingOption()
{
    return QCommandLineOption(u"timing"_qs, u"print each stage's wall time to stderr"_qs);
}

// The stage being timed; the callback (any thread) and close() share it.
struct StageTiming::Open {
    std::mutex mutex;
    QElapsedTimer clock;
    QString stage;
    bool started = false;

    // Ends the open stage with its line on stderr (the caller holds the mutex).
    void report(const QString &label)
    {
        if (!started)
            return;
        endProgressLine();
        err(u"%1: %2 %3 s"_qs.arg(label, stage).arg(clock.nsecsElapsed() * 1e-9, 0, 'f', 2));
        started = false;
    }
};

JobControl::Callback StageTiming::wrap(JobControl::Callback inner)
{
    if (!m_enabled)
        return inner;
    m_open = std::make_shared<Open>();
    return [open = m_open, label = m_label, inner = std::move(inner)](const JobProgress &p) {
        {
            std::lock_guard lock(open->mutex);
            if (!open->started || (p.stage != open->stage && !p.stage.isEmpty())) {
                open->report(label);
                open->started = true;
                open->stage = p.stage.isEmpty() ? u"starting"_qs : p.stage;
                open->clock.start();
            }
        }
        if (inner)
            inner(p);
    };
}

void StageTiming::close()
{
    if (!m_open)
        return;
    std::lock_guard lock(m_open->mutex);
    m_open->report(m_label);
}

void endProgressLine()
{
    if (g_progressShown.exchange(false))
        std::fputc('\n', stderr);
}

namespace {
std::atomic<JobControl *> g_cancelTarget{nullptr};

void onSignal(int)
{
    if (JobControl *job = g_cancelTarget.load())
        job->cancel();   // an atomic store: async-signal-safe
}
}  // namespace

CancelOnSignal::CancelOnSignal(JobControl *job)
{
    g_cancelTarget = job;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

CancelOnSignal::~CancelOnSignal()
{
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    g_cancelTarget = nullptr;
}

}  // namespace cospace::cli
