// cospace-cli embed PATH... --model MODEL [--store DB] [--captions FILE] [--json]

#include "clicommon.h"
#include "storecli.h"

#include "core/model/embeddingmodel.h"
#include "core/data/shards.h"
#include "core/store/embedpipeline.h"

#include <QFileInfo>
#include <QJsonArray>

namespace cospace::cli {

namespace {

void printSummary(const EmbedResult &r, const EmbeddingStore &store)
{
    for (const QString &notice : r.notices)
        err(u"note: "_qs + notice);
    for (const SkippedFile &s : r.skipped)
        err(u"skipped: %1: %2%3"_qs.arg(s.path, s.reason, s.detail.isEmpty() || s.detail == s.reason ? QString()
                                                                                                    : u" (%1)"_qs.arg(s.detail)));
    out(u"embedded %1 (%2 images, %3 captions), cached %4, removed %5, skipped %6 in %7 s (%8 items/s) -> %9"_qs
            .arg(r.embedded()).arg(r.embeddedImages).arg(r.embeddedCaptions).arg(r.cached).arg(r.removed)
            .arg(r.skipped.size()).arg(r.seconds, 0, 'f', 1)
            .arg(r.seconds > 0 ? r.embedded() / r.seconds : 0.0, 0, 'f', 1).arg(store.path()));
    out(u"time: decode+preprocess %1 s (summed over threads), model %2 s, store %3 s"_qs
            .arg(r.decodeSeconds, 0, 'f', 1).arg(r.modelSeconds, 0, 'f', 1).arg(r.storeSeconds, 0, 'f', 1));
}

QJsonObject toJson(const EmbedResult &r)
{
    QJsonArray skipped;
    for (const SkippedFile &s : r.skipped)
        skipped.append(QJsonObject{{u"path"_qs, s.path}, {u"reason"_qs, s.reason}, {u"detail"_qs, s.detail}});
    return {{u"embedded"_qs, r.embedded()}, {u"cached"_qs, r.cached}, {u"skipped"_qs, skipped},
            {u"notices"_qs, QJsonArray::fromStringList(r.notices)},
            {u"removed"_qs, r.removed}, {u"images"_qs, r.embeddedImages}, {u"captions"_qs, r.embeddedCaptions},
            {u"seconds"_qs, r.seconds}, {u"decode_seconds"_qs, r.decodeSeconds},
            {u"model_seconds"_qs, r.modelSeconds}, {u"store_seconds"_qs, r.storeSeconds}};
}

}  // namespace

int runEmbed(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Embed image folders (recursive) and a captions file into the store. Only new or changed files are\n"
        "embedded; files deleted under PATH are dropped. Bad files are skipped with a reason (exit code 0)."_qs);
    const QCommandLineOption model(u"model"_qs, u"CLIP weights file or folder, bundle folder, checkpoint or default"_qs, u"MODEL"_qs);
    const QCommandLineOption store = storeOption();
    const QCommandLineOption captions(u"captions"_qs, u"captions file (TSV/CSV/JSONL/COCO/Flickr or one per line .txt)"_qs,
                                      u"FILE"_qs);
    const QCommandLineOption json(u"json"_qs, u"print {\"embedded\", \"cached\", \"skipped\": [{path, reason}]}"_qs);
    const QCommandLineOption batch(u"batch"_qs, u"images per model call (default 32)"_qs, u"N"_qs, u"32"_qs);
    const QCommandLineOption decoders(u"decode-threads"_qs, u"decoding threads (default: all cores)"_qs, u"N"_qs, u"0"_qs);
    const QCommandLineOption maxPixels(u"max-pixels"_qs, u"refuse images larger than this (default: the global "
                                       "--max-image-pixels limit, 100000000)"_qs, u"N"_qs);
    parser.addOptions({model, store, captions, json, batch, decoders, maxPixels});
    parser.addPositionalArgument(u"PATH"_qs, u"image folders or files"_qs, u"PATH..."_qs);
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    const QStringList roots = parser.positionalArguments();
    if (!parser.isSet(model) || (roots.isEmpty() && !parser.isSet(captions))) {
        err(u"usage: cospace-cli embed PATH... --model MODEL [--store DB] [--captions FILE] [--json]"_qs);
        return kUsage;
    }
    for (const QString &root : roots) {
        if (!QFileInfo::exists(root) && !isShardPattern(root)) {   // a pattern of shards names no one file
            err(u"cospace-cli embed: %1: no such file or folder"_qs.arg(root));
            return kFailed;
        }
    }
    EmbedParams params;
    params.roots = roots;
    params.captionsFile = parser.value(captions);
    params.batchSize = std::max(1, parser.value(batch).toInt());
    params.decodeThreads = parser.value(decoders).toInt();
    if (parser.isSet(maxPixels))
        params.maxPixels = std::max<qint64>(1, parser.value(maxPixels).toLongLong());

    const std::unique_ptr<EmbeddingModel> m = loadModel(parser.value(model));
    EmbeddingStore db(storePath(parser, store));
    JobControl job(terminalProgress(u"embed"_qs));
    CancelOnSignal cancelOnCtrlC(&job);
    const EmbedResult r = runEmbedding(*m, db, params, &job);
    endProgressLine();
    if (parser.isSet(json))
        printJson(toJson(r));
    else
        printSummary(r, db);
    return kOk;
}

}  // namespace cospace::cli
