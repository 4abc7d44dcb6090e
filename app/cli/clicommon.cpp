#include "clicommon.h"

#include <QJsonDocument>

#include <atomic>
#include <csignal>
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
