// cospace-cli duplicates PATH... --model MODEL [--store DB] [--threshold T] [--json]
// Reports only: never deletes or moves a file.

#include "analysiscli.h"
#include "clicommon.h"
#include "storecli.h"

#include "core/analysis/duplicates.h"

namespace cospace::cli {

int runDuplicates(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Near-duplicates (embedding cosine >= threshold, chained into groups), exact duplicates (same file\n"
        "content) and outliers (the images least like any other: mean cosine distance to their 5 nearest).\n"
        "Only reports: nothing is deleted or moved."_qs);
    parser.addPositionalArgument(u"PATH"_qs, u"image folders or files"_qs, u"PATH..."_qs);
    const QCommandLineOption model(u"model"_qs, u"checkpoint, bundle folder or default"_qs, u"MODEL"_qs);
    const QCommandLineOption store = storeOption();
    const QCommandLineOption threshold(u"threshold"_qs, u"cosine at or above which two images are near-duplicates "
                                                        "(default %1)"_qs.arg(double(kDefaultDuplicateThreshold)),
                                       u"T"_qs, QString::number(double(kDefaultDuplicateThreshold)));
    const QCommandLineOption outliers(u"outliers"_qs, u"how many outliers to list (default %1)"_qs.arg(kDefaultOutlierCount),
                                      u"N"_qs, QString::number(kDefaultOutlierCount));
    const QCommandLineOption json(u"json"_qs, u"print {\"groups\": [{paths, min_similarity, exact}], \"outliers\": [{path, score}]}"_qs);
    parser.addOptions({model, store, threshold, outliers, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (parser.positionalArguments().isEmpty() || !parser.isSet(model)) {
        err(u"usage: cospace-cli duplicates PATH... --model MODEL [--store DB] [--threshold T] [--json]"_qs);
        return kUsage;
    }
    DuplicateParams params;
    bool ok = false;
    params.threshold = parser.value(threshold).toFloat(&ok);
    if (!ok || params.threshold < -1 || params.threshold > 1) {
        err(u"--threshold takes a cosine between -1 and 1"_qs);
        return kUsage;
    }
    params.outlierCount = parser.value(outliers).toInt(&ok);
    if (!ok || params.outlierCount < 0) {
        err(u"--outliers takes a whole number"_qs);
        return kUsage;
    }
    AnalysisInput input = loadAnalysisInput(parser.positionalArguments(), parser.value(model), storePath(parser, store),
                                            u"duplicates"_qs);
    const DuplicateResult r = findDuplicates(input.images.vectors, fileHashes(input.images.paths), params);
    if (parser.isSet(json)) {
        printJson(r.toJson(input.images.paths));
        return kOk;
    }
    for (const DuplicateGroup &g : r.groups) {
        out(u"group of %1, min similarity %2%3"_qs.arg(g.members.size()).arg(g.minSimilarity, 0, 'f', 4)
                .arg(g.exact ? u" (identical files)"_qs : QString()));
        for (int i : g.members)
            out(u"  "_qs + input.images.paths[i]);
    }
    out(u"%1 groups among %2 images (threshold %3)"_qs.arg(r.groups.size()).arg(input.images.paths.size())
            .arg(double(params.threshold)));
    if (!r.outliers.isEmpty())
        out(u"outliers (mean cosine distance to the %1 nearest):"_qs.arg(params.outlierNeighbours));
    for (const Outlier &o : r.outliers)
        out(u"  %1  %2"_qs.arg(o.score, 0, 'f', 4).arg(input.images.paths[o.row]));
    return kOk;
}

}  // namespace cospace::cli
