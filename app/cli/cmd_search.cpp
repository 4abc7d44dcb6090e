// cospace-cli search --store DB --model MODEL (--text Q | --image FILE) [--target images|captions] [-k 10] [--json]

#include "clicommon.h"
#include "storecli.h"

#include "core/embeddingmodel.h"
#include "core/imagedecode.h"
#include "core/search.h"

#include <QFileInfo>
#include <QJsonArray>

namespace cospace::cli {

namespace {

// The query vector: a prompt through the text tower, or an image — its stored vector when the
// store has the file, else decoded and run through the image tower.
std::vector<float> queryVector(EmbeddingModel &model, const EmbeddingStore &store, qint64 modelId,
                               bool isText, const QString &text, const QString &image)
{
    if (isText)
        return encodePrompt(model, text);
    const QString path = QFileInfo(image).absoluteFilePath();
    if (auto stored = store.imageVector(modelId, path))
        return *stored;
    DecodeOptions options;
    options.minShortSide = 2 * model.imageSize();
    const DecodedImage decoded = decodeImageFile(path, options);
    if (!decoded.ok())
        throw std::runtime_error(u"%1: %2"_qs.arg(image, decoded.reason).toStdString());
    const Matrix e = model.encodeImages({decoded.image});
    return {e.row(0), e.row(0) + e.cols};
}

QJsonObject hitJson(const SearchHit &h)
{
    QJsonObject o{{u"rank"_qs, h.rank}, {u"score"_qs, double(h.score)}, {u"percentile"_qs, h.percentile}};
    if (h.item.modality == Modality::Image) {
        o.insert(u"path"_qs, h.item.path);
    } else {
        o.insert(u"caption"_qs, h.item.caption);
        if (!h.item.path.isEmpty())
            o.insert(u"image"_qs, h.item.path);
    }
    return o;
}

}  // namespace

int runSearch(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Rank stored images or captions against a text prompt or an image. Prompts may weigh and negate\n"
        "terms: \"beach -people\", \"0.7 red car + 0.3 night\". Scores are cosines; the percentile places each\n"
        "score among the query's scores with 1000 random items of the searched set (fixed seed).\n"
        "Default target: images for --text, captions for --image."_qs);
    const QCommandLineOption model(u"model"_qs, u"checkpoint, bundle folder or default"_qs, u"MODEL"_qs);
    const QCommandLineOption store = storeOption();
    const QCommandLineOption text(u"text"_qs, u"the query prompt"_qs, u"Q"_qs);
    const QCommandLineOption image(u"image"_qs, u"the query image (a stored item's vector is reused)"_qs, u"FILE"_qs);
    const QCommandLineOption target(u"target"_qs, u"images or captions"_qs, u"TARGET"_qs);
    const QCommandLineOption k(QStringList{u"k"_qs, u"top"_qs}, u"number of results (default 10)"_qs, u"N"_qs, u"10"_qs);
    const QCommandLineOption json(u"json"_qs, u"print {\"results\": [{rank, path|caption, score, percentile}]}"_qs);
    parser.addOptions({model, store, text, image, target, k, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    const QString usage = u"usage: cospace-cli search --store DB --model MODEL (--text Q | --image FILE) "
                          "[--target images|captions] [-k 10] [--json]"_qs;
    if (!parser.isSet(model) || parser.isSet(text) == parser.isSet(image)) {
        err(usage);
        return kUsage;
    }
    Modality modality = parser.isSet(text) ? Modality::Image : Modality::Caption;
    if (parser.isSet(target)) {
        const QString t = parser.value(target);
        if (t != u"images" && t != u"captions") {
            err(usage);
            return kUsage;
        }
        modality = t == u"images" ? Modality::Image : Modality::Caption;
    }
    bool kOkay = false;
    const int topK = parser.value(k).toInt(&kOkay);
    if (!kOkay || topK <= 0) {
        err(u"-k takes a positive whole number"_qs);
        return kUsage;
    }
    const QString dbPath = storePath(parser, store);
    if (!QFileInfo::exists(dbPath))
        throw std::runtime_error(u"%1: no such store"_qs.arg(dbPath).toStdString());
    EmbeddingStore db(dbPath);
    const std::unique_ptr<EmbeddingModel> m = loadModel(parser.value(model));
    const auto stored = db.findModel(m->fingerprint());
    if (!stored)
        throw std::runtime_error(u"%1 holds no vectors of model %2; run 'cospace-cli embed ... --model %2' first"_qs
                                     .arg(dbPath, parser.value(model)).toStdString());
    const std::vector<float> q = queryVector(*m, db, stored->id, parser.isSet(text), parser.value(text),
                                             parser.value(image));
    const SearchIndex index(db.load(stored->id, modality));
    const QList<SearchHit> hits = index.search(q, topK);
    if (parser.isSet(json)) {
        QJsonArray results;
        for (const SearchHit &h : hits)
            results.append(hitJson(h));
        printJson({{u"results"_qs, results}});
        return kOk;
    }
    if (hits.isEmpty())
        out(u"no stored %1 for this model"_qs.arg(modality == Modality::Image ? u"images"_qs : u"captions"_qs));
    for (const SearchHit &h : hits)
        out(u"%1  %2  %3%  %4"_qs.arg(h.rank, 3).arg(h.score, 7, 'f', 4).arg(h.percentile, 5, 'f', 1)
                .arg(h.item.modality == Modality::Image ? h.item.path : h.item.caption));
    return kOk;
}

}  // namespace cospace::cli
