#pragma once
// Helpers shared by the cospace-cli subcommands: output, exit codes, the terminal progress bar.

#include "core/base/job.h"
#include "core/base/names.h"

#include <QCommandLineParser>
#include <QJsonObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace cospace::cli {

enum ExitCode { kOk = 0, kFailed = 1, kUsage = 2, kCancelled = 130 };

void out(const QString &line);    // stdout, with newline
void err(const QString &line);    // stderr, with newline
void printJson(const QJsonObject &object);

// Parses `args` (the subcommand's own argv, args[0] = "cospace-cli COMMAND"). On --help or a
// usage error prints to the right stream and returns false with *exitCode set.
bool parseArgs(QCommandLineParser &parser, const QStringList &args, int *exitCode);

// The value of `option` looked up in `names`; an unknown name prints "unknown --FLAG 'x' (a, b or c)"
// and gives nullopt (the caller returns kUsage).
template <typename Enum, std::size_t N>
std::optional<Enum> parseChoice(const QCommandLineParser &parser, const QCommandLineOption &option,
                                const EnumNames<Enum, N> &names)
{
    const QString value = parser.value(option);
    const std::optional<Enum> e = names.parse(value);
    if (!e)
        err(QStringLiteral("unknown --%1 '%2' (%3)").arg(option.names().constLast(), value, names.choices()));
    return e;
}

// A progress callback for JobControl: a one-line bar on stderr when it is a terminal
// (done/total, items/s, ETA), nothing otherwise.
JobControl::Callback terminalProgress(const QString &label);
// --timing of commands that run one job: each stage's wall time on stderr (StageTiming).
QCommandLineOption stageTimingOption();
// When enabled, wrap() returns `inner` plus one stderr line per finished stage ("LABEL: STAGE 1.23 s"),
// and the last stage is reported when it is closed or destroyed: where a slow command's wall time went.
// When not, wrap() returns `inner` as it is.
class StageTiming
{
public:
    StageTiming(QString label, bool enabled) : m_label(std::move(label)), m_enabled(enabled) {}
    ~StageTiming() { close(); }
    JobControl::Callback wrap(JobControl::Callback inner);
    void close();   // reports the stage still open
private:
    struct Open;
    QString m_label;
    bool m_enabled;
    std::shared_ptr<Open> m_open;
};
void endProgressLine();

// Ctrl-C / SIGTERM call job->cancel() while the job runs (the job stops at its next step).
class CancelOnSignal
{
public:
    explicit CancelOnSignal(JobControl *job);
    ~CancelOnSignal();
};

struct Command {
    const char *name;
    const char *summary;
    std::function<int(const QStringList &args)> run;
};

int runDemo(const QStringList &args);
int runCaptions(const QStringList &args);
int runTrain(const QStringList &args);
int runEval(const QStringList &args);
int runComposition(const QStringList &args);
int runTokenize(const QStringList &args);
int runEncode(const QStringList &args);
int runInfo(const QStringList &args);
int runProject(const QStringList &args);
int runEmbed(const QStringList &args);
int runSearch(const QStringList &args);
int runIndex(const QStringList &args);
int runExport(const QStringList &args);
int runImport(const QStringList &args);
int runLayout(const QStringList &args);
int runClusters(const QStringList &args);
int runClassify(const QStringList &args);
int runDuplicates(const QStringList &args);

}  // namespace cospace::cli
