// cospace: the desktop explorer. Parses arguments and opens the main window.

#include "core/data/dataset.h"
#include "core/base/runtime.h"
#include "core/explorer/workspace.h"
#include "ui/widgets/limitsdialog.h"
#include "ui/explorer/mainwindow.h"
#include "ui/inspector/traininginspector.h"
#include "ui/map/mapcolouring.h"
#include "ui/map/renderbench.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QLineEdit>
#include <QMessageBox>

using namespace cospace;

int main(int argc, char **argv)
{
    tuneThreadRuntime(argv);
    Q_INIT_RESOURCE(cospace);   // the resources live in the static cospace_ui library
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"cospace"_qs);
    QApplication::setOrganizationName(u"cospace"_qs);
    QApplication::setApplicationDisplayName(u"Cospace"_qs);
    QApplication::setApplicationVersion(QString::fromLatin1(COSPACE_VERSION));
    QApplication::setDesktopFileName(QString::fromLatin1(COSPACE_APP_ID));

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Explore shared image-text embedding spaces."_qs);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption workspace(u"workspace"_qs, u"Open a workspace file (.cospace)."_qs, u"FILE"_qs);
    const QCommandLineOption dataset(u"dataset"_qs, u"Open a dataset folder (images/ + captions.tsv)."_qs, u"DIR"_qs);
    const QCommandLineOption screenshot(u"screenshot"_qs, u"Save the window to PNG once loaded, then exit."_qs, u"OUT.png"_qs);
    const QCommandLineOption threads(u"threads"_qs, u"Compute threads (default: all cores)."_qs, u"N"_qs, u"0"_qs);
    const QCommandLineOption model(u"model"_qs, u"Model: default, a checkpoint file or a bundle folder."_qs, u"MODEL"_qs);
    const QCommandLineOption method(u"method"_qs, u"Projection: umap, tsne or pca."_qs, u"METHOD"_qs);
    const QCommandLineOption store(u"store"_qs, u"Embedding store file (default: ~/.local/share/cospace/cospace.db)."_qs,
                                   u"DB"_qs);
    const QCommandLineOption search(u"search"_qs, u"Start with this text query in the search panel."_qs, u"TEXT"_qs);
    const QCommandLineOption benchRender(u"bench-render"_qs, u"Time the map drawing N synthetic points, print frame times, exit."_qs,
                                         u"N"_qs);
    const QCommandLineOption colourBy(u"colour-by"_qs, u"Colour the map by modality, folder, cluster or similarity."_qs,
                                      u"MODE"_qs);
    const QCommandLineOption run(u"run"_qs, u"Open the training inspector on a run folder (followed while it is written)."_qs,
                                 u"RUN"_qs);
    const QCommandLineOption values(u"values"_qs, u"With --run and --screenshot: also save what the inspector shows as JSON."_qs,
                                    u"OUT.json"_qs);
    parser.addOptions({workspace, dataset, screenshot, threads, model, method, store, search, run, values, benchRender,
                       colourBy});
    QList<QCommandLineOption> limitOptions;   // override Settings > Input Limits for this run
    for (const LimitSetting &s : limitSettings())
        limitOptions.append(QCommandLineOption(QLatin1String(s.key), QString::fromLatin1(s.description) + u"."_qs, u"N"_qs));
    parser.addOptions(limitOptions);
    parser.addPositionalArgument(u"path"_qs, u"A workspace file or dataset folder to open."_qs, u"[path]"_qs);
    parser.process(app);

    initComputeThreads(parser.value(threads).toInt());
    Limits limitValues = loadLimitSettings();
    for (const QCommandLineOption &option : std::as_const(limitOptions)) {
        QString error;
        if (parser.isSet(option) && !setLimitValue(limitValues, option.names().first(), parser.value(option), &error)) {
            qCritical("%s", qPrintable(error));
            return 2;
        }
    }
    setLimits(limitValues);
    if (parser.isSet(benchRender)) {
        QTextStream out(stdout);
        runRenderBench(parser.value(benchRender).toInt(), out);
        return 0;
    }

    if (parser.isSet(run)) {
        TrainingInspector inspector;
        if (!inspector.openRun(parser.value(run)) && parser.isSet(screenshot)) {
            qCritical("%s", qPrintable(inspector.lastError()));
            return 1;
        }
        inspector.show();
        if (parser.isSet(screenshot))
            inspector.screenshotWhenReady(parser.value(screenshot), parser.value(values));
        return app.exec();
    }

    MainWindow window(nullptr, parser.value(store));
    if (parser.isSet(search))
        window.searchEdit()->setText(parser.value(search));
    if (parser.isSet(colourBy))
        window.setColourBy(colourByFromKey(parser.value(colourBy)));
    QString path = parser.value(workspace);
    if (path.isEmpty())
        path = parser.value(dataset);
    if (path.isEmpty() && !parser.positionalArguments().isEmpty())
        path = parser.positionalArguments().first();
    if (!path.isEmpty()) {
        try {
            const bool folder = QFileInfo(path).isDir();
            Workspace w = folder ? Workspace::forDataset(path) : Workspace::load(path);
            if (parser.isSet(model))
                w.model = parser.value(model);
            if (parser.isSet(method))
                w.method = parser.value(method);
            window.openWorkspace(w, folder ? QString() : path);
        } catch (const std::exception &e) {
            if (parser.isSet(screenshot)) {
                qCritical("%s", e.what());
                return 1;
            }
            QMessageBox::warning(nullptr, u"Cospace"_qs, QString::fromUtf8(e.what()));
        }
    }
    window.show();
    if (parser.isSet(screenshot))
        window.screenshotWhenReady(parser.value(screenshot));
    return app.exec();
}
