// cospace-cli layout (--workspace FILE | --dataset DIR) [--model MODEL] [--method pca|tsne|umap]
//                    [--store DB] --out OUT.csv|OUT.npy [--timing] [--json]
// The map the GUI shows for a workspace, headless: the same job (core/explorer/workspacesession.h),
// the same layout cache, the same points.

#include "clicommon.h"
#include "storecli.h"

#include "core/explorer/mapexport.h"
#include "core/explorer/workspacesession.h"

#include <QFileInfo>
#include <QJsonArray>

namespace cospace::cli {

namespace {

QJsonObject summary(const WorkspaceLayout &layout, const QString &outPath)
{
    int images = 0;
    for (const MapPoint &p : layout.points)
        images += p.kind == MapPoint::Image;
    QJsonArray skipped;
    for (const SkippedFile &s : layout.skipped)
        skipped.append(QJsonObject{{u"path"_qs, s.path}, {u"reason"_qs, s.reason}});
    return {{u"points"_qs, int(layout.points.size())}, {u"images"_qs, images},
            {u"captions"_qs, int(layout.points.size()) - images},
            {u"method"_qs, kProjectionMethods.name(layout.method)}, {u"model"_qs, layout.modelName},
            {u"cached_layout"_qs, layout.cachedLayout}, {u"modality_gap"_qs, layout.modalityGap},
            {u"skipped"_qs, skipped}, {u"out"_qs, outPath}};
}

}  // namespace

int runLayout(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Write the map the GUI shows for a workspace or dataset folder: embed what the store lacks,\n"
        "project (or reuse the cached layout), and write one row per point: OUT.csv (kind,path,caption,x,y)\n"
        "or OUT.npy (N x 2 float32) with OUT.tsv (kind, path, caption) beside it."_qs);
    const QCommandLineOption workspace(u"workspace"_qs, u"a workspace file (.cospace)"_qs, u"FILE"_qs);
    const QCommandLineOption dataset(u"dataset"_qs, u"a dataset folder (images/ + captions.tsv)"_qs, u"DIR"_qs);
    const QCommandLineOption model(u"model"_qs, u"overrides the workspace's model"_qs, u"MODEL"_qs);
    const QCommandLineOption method(u"method"_qs, u"overrides the projection: %1"_qs.arg(kProjectionMethods.choices()),
                                    u"METHOD"_qs);
    const QCommandLineOption store = storeOption();
    const QCommandLineOption outOpt(u"out"_qs, u"OUT.csv or OUT.npy"_qs, u"OUT"_qs);
    const QCommandLineOption timing = stageTimingOption();
    const QCommandLineOption json(u"json"_qs, u"print {\"points\", \"images\", \"captions\", \"method\", \"model\", "
                                              "\"cached_layout\", \"modality_gap\", \"skipped\", \"out\"}"_qs);
    parser.addOptions({workspace, dataset, model, method, store, outOpt, timing, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (parser.isSet(workspace) == parser.isSet(dataset) || !parser.isSet(outOpt)) {
        err(u"usage: cospace-cli layout (--workspace FILE | --dataset DIR) [--model MODEL] [--method METHOD] "
            "[--store DB] --out OUT.csv|OUT.npy [--timing] [--json]"_qs);
        return kUsage;
    }
    const QString suffix = QFileInfo(parser.value(outOpt)).suffix().toLower();
    if (suffix != u"csv" && suffix != u"npy") {
        err(u"--out takes a .csv or a .npy file"_qs);
        return kUsage;
    }
    WorkspaceJobParams params;
    params.workspace = parser.isSet(workspace) ? Workspace::load(parser.value(workspace))
                                               : Workspace::forDataset(parser.value(dataset));
    if (parser.isSet(model))
        params.workspace.model = parser.value(model);
    if (parser.isSet(method)) {
        const std::optional<ProjectionMethod> m = parseChoice(parser, method, kProjectionMethods);
        if (!m)
            return kUsage;
        params.workspace.method = *m;
    }
    WorkspaceSession session(storePath(parser, store));
    StageTiming stages(u"layout"_qs, parser.isSet(timing));
    JobControl job(stages.wrap(terminalProgress(u"layout"_qs)));
    CancelOnSignal cancelOnCtrlC(&job);
    const WorkspaceLayout layout = session.open(params, job);
    job.setStage(u"writing points"_qs);
    endProgressLine();
    for (const SkippedFile &s : layout.skipped)
        err(u"skipped: %1: %2"_qs.arg(s.path, s.reason));
    writeMapPoints(parser.value(outOpt), layout.points);
    stages.close();
    const QJsonObject result = summary(layout, parser.value(outOpt));
    if (parser.isSet(json))
        printJson(result);
    else
        out(u"%1 points (%2 images, %3 captions), %4%5 -> %6"_qs.arg(result[u"points"_qs].toInt())
                .arg(result[u"images"_qs].toInt()).arg(result[u"captions"_qs].toInt())
                .arg(kProjectionMethods.name(layout.method), layout.cachedLayout ? u" (cached layout)"_qs : QString(),
                     parser.value(outOpt)));
    return kOk;
}

}  // namespace cospace::cli
