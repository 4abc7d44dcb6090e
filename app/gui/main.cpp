// cospace: the desktop explorer. Parses arguments and opens the main window.

#include "core/data/dataset.h"
#include "core/base/limits.h"
#include "core/base/runtime.h"
#include "core/explorer/workspace.h"
#include "ui/widgets/limitsdialog.h"
#include "ui/explorer/mainwindow.h"
#include "ui/inspector/traininginspector.h"
#include "ui/map/mapcolouring.h"
#include "ui/map/renderbench.h"
#include "ui/map/thumbnailbench.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QLineEdit>
#include <QMessageBox>

#include <optional>

using namespace cospace;

namespace {

struct Options {
    QCommandLineOption workspace{u"workspace"_qs, u"Open a workspace file (.cospace)."_qs, u"FILE"_qs};
    QCommandLineOption dataset{u"dataset"_qs, u"Open a dataset folder (images/ + captions.tsv)."_qs, u"DIR"_qs};
    QCommandLineOption screenshot{u"screenshot"_qs, u"Save the window to PNG once loaded, then exit."_qs, u"OUT.png"_qs};
    QCommandLineOption threads{u"threads"_qs, u"Compute threads (default: all cores)."_qs, u"N"_qs, u"0"_qs};
    QCommandLineOption precision{u"precision"_qs,
                                 u"Image-tower arithmetic of native CLIP ViTs: auto (bf16 where the CPU has it), fp32 or bf16."_qs,
                                 u"P"_qs, u"auto"_qs};
    QCommandLineOption model{u"model"_qs, u"Model: default, a checkpoint file or a bundle folder."_qs, u"MODEL"_qs};
    QCommandLineOption method{u"method"_qs, u"Projection: %1."_qs.arg(kProjectionMethods.choices()), u"METHOD"_qs};
    QCommandLineOption store{u"store"_qs, u"Embedding store file (default: ~/.local/share/cospace/cospace.db)."_qs, u"DB"_qs};
    QCommandLineOption search{u"search"_qs, u"Start with this text query in the search panel."_qs, u"TEXT"_qs};
    QCommandLineOption benchRender{u"bench-render"_qs, u"Time the map drawing N synthetic points, print frame times, exit."_qs,
                                   u"N"_qs};
    QCommandLineOption benchThumbnails{u"bench-thumbnails"_qs,
                                       u"Time the first full screen of thumbnails of a photo folder at fit-to-window, exit."_qs,
                                       u"DIR"_qs};
    QCommandLineOption colourBy{u"colour-by"_qs, u"Colour the map by %1."_qs.arg(kColourByNames.choices()), u"MODE"_qs};
    QCommandLineOption run{u"run"_qs, u"Open the training inspector on a run folder (followed while it is written)."_qs,
                           u"RUN"_qs};
    QCommandLineOption values{u"values"_qs, u"With --run and --screenshot: also save what the inspector shows as JSON."_qs,
                              u"OUT.json"_qs};
    QList<QCommandLineOption> limits;   // override Settings > Input Limits for this run

    void addTo(QCommandLineParser &parser)
    {
        parser.setApplicationDescription(u"Explore shared image-text embedding spaces."_qs);
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addOptions({workspace, dataset, screenshot, threads, precision, model, method, store, search, run, values, benchRender,
                           benchThumbnails, colourBy});
        for (const LimitSetting &s : limitSettings())
            limits.append(QCommandLineOption(QLatin1String(s.key), QString::fromLatin1(s.description) + u"."_qs, u"N"_qs));
        parser.addOptions(limits);
        parser.addPositionalArgument(u"path"_qs, u"A workspace file or dataset folder to open."_qs, u"[path]"_qs);
    }
};

void describeApplication()
{
    QCoreApplication::setApplicationName(u"cospace"_qs);
    QCoreApplication::setOrganizationName(u"cospace"_qs);
    QCoreApplication::setApplicationVersion(QString::fromLatin1(COSPACE_VERSION));
}

// --help and --version print and exit without a display (over SSH, in a package build): they are
// answered by a QCoreApplication before any window system is touched.
void answerWithoutDisplay(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if (a == "--help" || a == "-h" || a == "--help-all" || a == "-?" || a == "--version" || a == "-v") {
            QCoreApplication app(argc, argv);
            describeApplication();
            QCommandLineParser parser;
            Options options;
            options.addTo(parser);
            parser.process(app);   // prints and exits
        }
    }
}

int failUsage(const QString &message)
{
    qCritical("%s", qPrintable(message));
    return 2;
}

}  // namespace

int main(int argc, char **argv)
{
    tuneThreadRuntime(argv);
    answerWithoutDisplay(argc, argv);
    Q_INIT_RESOURCE(cospace);   // the resources live in the static cospace_ui library
    QApplication app(argc, argv);
    describeApplication();
    QApplication::setApplicationDisplayName(u"Cospace"_qs);
    QApplication::setDesktopFileName(QString::fromLatin1(COSPACE_APP_ID));

    QCommandLineParser parser;
    Options o;
    o.addTo(parser);
    parser.process(app);

    initComputeThreads(parser.value(o.threads).toInt());
    const std::optional<ComputePrecision> precision = kComputePrecisionNames.parse(parser.value(o.precision));
    if (!precision)
        return failUsage(u"unknown --precision '%1' (%2)"_qs.arg(parser.value(o.precision), kComputePrecisionNames.choices()));
    setComputePrecision(*precision);
    Limits limitValues = loadLimitSettings();
    for (const QCommandLineOption &option : std::as_const(o.limits)) {
        QString error;
        if (parser.isSet(option) && !setLimitValue(limitValues, option.names().first(), parser.value(option), &error))
            return failUsage(error);
    }
    setLimits(limitValues);
    std::optional<ProjectionMethod> method;
    if (parser.isSet(o.method) && !(method = kProjectionMethods.parse(parser.value(o.method))))
        return failUsage(u"unknown --method '%1' (%2)"_qs.arg(parser.value(o.method), kProjectionMethods.choices()));
    std::optional<ColourBy> colourBy;
    if (parser.isSet(o.colourBy) && !(colourBy = kColourByNames.parse(parser.value(o.colourBy))))
        return failUsage(u"unknown --colour-by '%1' (%2)"_qs.arg(parser.value(o.colourBy), kColourByNames.choices()));
    if (parser.isSet(o.benchRender)) {
        QTextStream out(stdout);
        runRenderBench(parser.value(o.benchRender).toInt(), out);
        return 0;
    }
    if (parser.isSet(o.benchThumbnails)) {
        QTextStream out(stdout);
        return runThumbnailBench(parser.value(o.benchThumbnails), out).seconds >= 0 ? 0 : 1;
    }

    if (parser.isSet(o.run)) {
        TrainingInspector inspector;
        if (!inspector.openRun(parser.value(o.run)) && parser.isSet(o.screenshot)) {
            qCritical("%s", qPrintable(inspector.lastError()));
            return 1;
        }
        inspector.show();
        if (parser.isSet(o.screenshot))
            inspector.screenshotWhenReady(parser.value(o.screenshot), parser.value(o.values));
        return app.exec();
    }

    MainWindow window(nullptr, parser.value(o.store));
    if (parser.isSet(o.search))
        window.searchEdit()->setText(parser.value(o.search));
    if (colourBy)
        window.setColourBy(*colourBy);
    QString path = parser.value(o.workspace);
    if (path.isEmpty())
        path = parser.value(o.dataset);
    if (path.isEmpty() && !parser.positionalArguments().isEmpty())
        path = parser.positionalArguments().first();
    if (!path.isEmpty()) {
        try {
            const bool folder = QFileInfo(path).isDir();
            Workspace w = folder ? Workspace::forDataset(path) : Workspace::load(path);
            if (parser.isSet(o.model))
                w.model = parser.value(o.model);
            if (method)
                w.method = *method;
            window.openWorkspace(w, folder ? QString() : path);
        } catch (const std::exception &e) {
            if (parser.isSet(o.screenshot)) {
                qCritical("%s", e.what());
                return 1;
            }
            QMessageBox::warning(nullptr, u"Cospace"_qs, QString::fromUtf8(e.what()));
        }
    }
    window.show();
    if (parser.isSet(o.screenshot))
        window.screenshotWhenReady(parser.value(o.screenshot));
    return app.exec();
}
