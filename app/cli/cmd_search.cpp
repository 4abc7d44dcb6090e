// cospace-cli search --store DB --model MODEL (--text Q | --image FILE) [--target images|captions] [-k 10]
//                    [--rerank none|csls|qbnorm] [--index auto|flat|int8|hnsw|ivf] [--probes N]
//                    [--ivf-limit N] [--timing [--timing-queries FILE.npy]] [--json]

#include "clicommon.h"
#include "storecli.h"

#include "core/model/embeddingmodel.h"
#include "core/data/imagedecode.h"
#include "core/search/rerank.h"
#include "core/search/search.h"

#include "core/base/npy.h"
#include "core/search/ivfindex.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QLockFile>
#include <QProcess>
#include <QSet>

#include <climits>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>

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

QJsonObject hitJson(const SearchHit &h, std::optional<float> rerankScore = std::nullopt)
{
    QJsonObject o{{u"rank"_qs, h.rank}, {u"score"_qs, double(h.score)}, {u"percentile"_qs, h.percentile}};
    if (rerankScore)
        o.insert(u"rerank_score"_qs, double(*rerankScore));
    if (h.item.modality == Modality::Image) {
        o.insert(u"path"_qs, h.item.path);
    } else {
        o.insert(u"caption"_qs, h.item.caption);
        if (!h.item.path.isEmpty())
            o.insert(u"image"_qs, h.item.path);
    }
    return o;
}

// --timing: latency of the built index over queries — random unit vectors (fixed seed) or the rows
// of --timing-queries FILE.npy — and, for an approximate index, its recall@k against exact search
// of the same vectors (one batched exact scan of the mapped snapshot). Benchmarks read these lines (stderr).
Matrix timingQueries(const QString &file, int dim, int count)
{
    if (!file.isEmpty()) {
        Matrix q = readNpy(file);
        if (q.cols != dim || q.rows == 0)
            throw std::runtime_error(u"%1: %2 x %3 queries for %4-dimensional vectors"_qs.arg(file).arg(q.rows)
                                         .arg(q.cols).arg(dim).toStdString());
        if (const int zero = normalizeRows(q); zero >= 0)
            throw std::runtime_error(u"%1: query %2 is zero"_qs.arg(file).arg(zero).toStdString());
        q.rows = std::min(q.rows, count);
        q.data.resize(std::size_t(q.rows) * std::size_t(dim));
        return q;
    }
    std::mt19937 rng(1);
    std::normal_distribution<float> g;
    Matrix q(count, dim);
    for (int i = 0; i < count; ++i) {
        for (float &v : std::span<float>(q.row(i), std::size_t(q.cols)))
            v = g(rng);
        normalizeRow({q.row(i), std::size_t(q.cols)});
    }
    return q;
}

void reportTiming(const SearchIndex &index, const EmbeddingStore &db, qint64 modelId, Modality modality,
                  const std::shared_ptr<const VectorSnapshot> &snapshot, int k, double openSeconds, double buildSeconds,
                  const QString &queryFile)
{
    // 200 random queries (or all of the file's); 20 for an exact index above 200k vectors (each one is a full scan).
    const bool slow = index.exact() && index.size() > 200'000;
    const Matrix q = timingQueries(queryFile, index.dim(), slow ? 20 : (queryFile.isEmpty() ? 200 : INT_MAX));
    const int kQueries = q.rows;
    std::vector<double> ms;
    std::vector<QList<SearchHit>> found;
    QElapsedTimer t;
    for (int i = 0; i < kQueries; ++i) {
        t.start();
        found.push_back(index.search(q.rowSpan(i), k));
        ms.push_back(t.nsecsElapsed() * 1e-6);
    }
    std::sort(ms.begin(), ms.end());
    err(u"timing: %1 vectors x %2, store open+load %3 s, index build %4 s (%5), search p50 %6 ms p95 %7 ms (k=%8, %9 queries)"_qs
            .arg(index.size()).arg(index.dim()).arg(openSeconds, 0, 'f', 2).arg(buildSeconds, 0, 'f', 2)
            .arg(index.kindName()).arg(ms[std::size_t(kQueries / 2)], 0, 'f', 2)
            .arg(ms[std::size_t(kQueries * 95 / 100)], 0, 'f', 2).arg(k).arg(kQueries));
    if (index.exact())
        return;
    SearchIndexParams exact;
    exact.kind = IndexKind::Flat;
    const SearchIndex reference = snapshot ? SearchIndex(snapshot, exact) : SearchIndex(db.load(modelId, modality), exact);
    t.start();
    const QList<QList<SearchHit>> truths = reference.searchBatch(q, k);
    const double exactSeconds = t.nsecsElapsed() * 1e-9;
    qint64 hits = 0, total = 0;
    for (int i = 0; i < kQueries; ++i) {
        QSet<qint64> truth;
        for (const SearchHit &h : truths[i])
            truth.insert(h.item.id);
        for (const SearchHit &h : found[std::size_t(i)])
            hits += truth.contains(h.item.id);
        total += truth.size();
    }
    err(u"timing: %1 recall@%2 against exact = %3 (exact batch of %4 queries: %5 s)"_qs.arg(index.kindName()).arg(k)
            .arg(double(hits) / double(total), 0, 'f', 4).arg(kQueries).arg(exactSeconds, 0, 'f', 1));
}

// Starts `cospace-cli index` for this store, model and modality as a detached background process
// (its output goes to INDEX.ivf.log), unless one is building it already. True when one is running.
bool startBackgroundIndex(const QString &dbPath, const StoredModel &model, Modality modality, const QString &ivfPath)
{
    QLockFile probe(ivfPath + u".lock"_qs);
    if (!probe.tryLock(0))
        return true;   // a build holds the lock
    probe.unlock();
    QProcess p;
    p.setProgram(QCoreApplication::applicationFilePath());
    p.setArguments({u"index"_qs, u"--store"_qs, dbPath, u"--model"_qs, model.fingerprint, u"--target"_qs,
                    modality == Modality::Image ? u"images"_qs : u"captions"_qs});
    p.setStandardOutputFile(ivfPath + u".log"_qs);
    p.setStandardErrorFile(ivfPath + u".log"_qs, QIODevice::Append);
    p.setStandardInputFile(QProcess::nullDevice());
    return p.startDetached();
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
    const QCommandLineOption model(u"model"_qs, u"CLIP weights file or folder, bundle folder, checkpoint or default"_qs, u"MODEL"_qs);
    const QCommandLineOption store = storeOption();
    const QCommandLineOption text(u"text"_qs, u"the query prompt"_qs, u"Q"_qs);
    const QCommandLineOption image(u"image"_qs, u"the query image (a stored item's vector is reused)"_qs, u"FILE"_qs);
    const QCommandLineOption target(u"target"_qs, u"images or captions"_qs, u"TARGET"_qs);
    const QCommandLineOption k(QStringList{u"k"_qs, u"top"_qs}, u"number of results (default 10)"_qs, u"N"_qs, u"10"_qs);
    const QCommandLineOption json(u"json"_qs, u"print {\"results\": [{rank, path|caption, score, percentile}]}"_qs);
    const QCommandLineOption indexKind(u"index"_qs, u"auto (exact up to 200k, int8 scan + exact re-rank above, IVF above "
                                                    "--ivf-limit once built), flat, int8, hnsw or ivf (built now if needed)"_qs,
                                       u"KIND"_qs, u"auto"_qs);
    const QCommandLineOption probes(u"probes"_qs, u"ivf: lists scanned per query (default: the index's calibrated number)"_qs,
                                    u"N"_qs);
    const QCommandLineOption ivfLimit(u"ivf-limit"_qs, u"auto: above this many vectors use the IVF index, starting its "
                                                       "build in the background when there is none (default 2000000)"_qs,
                                      u"N"_qs, u"2000000"_qs);
    const QCommandLineOption timing(u"timing"_qs, u"also print load/build times, p50/p95 latency over 200 random "
                                                  "queries (20 for exact above 200k) and recall@k of int8/HNSW/IVF (stderr)"_qs);
    const QCommandLineOption timingQueryFile(u"timing-queries"_qs, u"--timing: the queries are the rows of this .npy"_qs,
                                             u"FILE"_qs);
    const QCommandLineOption rerank(u"rerank"_qs, u"hubness correction: none, csls or qbnorm (default none); the query "
                                                  "bank is the store's other modality (its captions for a search of images)"_qs,
                                    u"METHOD"_qs, u"none"_qs);
    parser.addOptions({model, store, text, image, target, k, json, indexKind, probes, ivfLimit, timing, timingQueryFile, rerank});
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
    RerankParams rerankParams;
    if (const auto method = parseChoice(parser, rerank, kRerankNames))
        rerankParams.method = *method;
    else
        return kUsage;
    const QString dbPath = storePath(parser, store);
    if (!QFileInfo::exists(dbPath))
        throw std::runtime_error(u"%1: no such store"_qs.arg(dbPath).toStdString());
    SearchIndexParams indexParams;
    const QString kindName = parser.value(indexKind);
    if (kindName == u"flat")
        indexParams.kind = IndexKind::Flat;
    else if (kindName == u"int8")
        indexParams.kind = IndexKind::Quantized;
    else if (kindName == u"hnsw")
        indexParams.kind = IndexKind::Hnsw;
    else if (kindName == u"ivf")
        indexParams.kind = IndexKind::Ivf;
    else if (kindName != u"auto") {
        err(usage + u" [--index auto|flat|int8|hnsw|ivf]"_qs);
        return kUsage;
    }
    bool numbersOk = true, ok = true;
    if (parser.isSet(probes)) {
        indexParams.probes = parser.value(probes).toInt(&ok);
        numbersOk = ok && indexParams.probes > 0;
    }
    indexParams.ivfLimit = parser.value(ivfLimit).toLongLong(&ok);
    if (!numbersOk || !ok || indexParams.ivfLimit < 0) {
        err(u"--probes and --ivf-limit take positive whole numbers"_qs);
        return kUsage;
    }
    if (indexParams.kind == IndexKind::Ivf && rerankParams.method != Rerank::None) {
        err(u"--index ivf searches the mapped snapshot; --rerank needs the vectors loaded: use one or the other"_qs);
        return kUsage;
    }
    const std::unique_ptr<EmbeddingModel> m = loadModel(parser.value(model));
    QElapsedTimer clock;
    clock.start();
    EmbeddingStore db(dbPath);
    const StoredModel stored = resolveStoredModel(db, parser.value(model), m.get());
    const std::vector<float> q = queryVector(*m, db, stored.id, parser.isSet(text), parser.value(text),
                                             parser.value(image));
    clock.start();   // the store was opened above; time the load alone (not the text tower)
    // A big store's vectors come from its mapped snapshot (written on first use, beside the store);
    // re-ranking needs plain matrices of both modalities, so it loads them from the store.
    std::shared_ptr<const VectorSnapshot> snapshot;
    StoredSet set;
    std::shared_ptr<const IvfIndex> ivf;
    if (rerankParams.method == Rerank::None) {
        snapshot = VectorSnapshot::openCurrent(db, stored.id, modality);   // no count when there is one
        if (!snapshot && (indexParams.kind == IndexKind::Ivf
                          || db.count(stored.id) >= std::min(kSnapshotMinRows, indexParams.ivfLimit + 1))) {
            JobControl job(terminalProgress(u"snapshot"_qs));
            CancelOnSignal cancelOnSignal(&job);
            snapshot = VectorSnapshot::open(db, stored.id, modality, &job);
            endProgressLine();
        }
        // Past the limit (or asked for): the IVF index — used when current, brought up to date when
        // rows were only added, else built now (--index ivf) or in the background (auto, which
        // scans the int8 codes meanwhile).
        const bool wantIvf = indexParams.kind == IndexKind::Ivf
                             || (indexParams.kind == IndexKind::Auto && snapshot && snapshot->rows() > indexParams.ivfLimit);
        if (wantIvf && snapshot->rows() >= 2) {
            const QString path = IvfIndex::filePath(*snapshot);
            ivf = IvfIndex::openUsable(snapshot);   // null when stale
            if (ivf && !ivf->isCurrent()) {
                if (indexParams.kind == IndexKind::Auto) {
                    // Rows were added since the build: search the index plus a full scan of the new rows
                    // now, and fold them into the lists in the background.
                    if (startBackgroundIndex(dbPath, stored, modality, path))
                        err(u"note: %1 vectors added since the IVF index was built are scanned in full until the "
                            "background update folds them in (progress in %2.log)"_qs.arg(ivf->unindexedRows()).arg(path));
                } else {
                    ivf.reset();   // --index ivf: bring it up to date now
                }
            }
            if (!ivf && indexParams.kind == IndexKind::Ivf) {
                JobControl job(terminalProgress(u"index"_qs));
                CancelOnSignal cancelOnSignal(&job);
                ivf = IvfIndex::open(snapshot, &job);
                endProgressLine();
            }
            if (!ivf) {
                err(startBackgroundIndex(dbPath, stored, modality, path)
                        ? u"note: %1 vectors: building the IVF index %2 in the background (progress in %2.log); "
                          "this search scans every vector's int8 code meanwhile"_qs.arg(snapshot->rows()).arg(path)
                        : u"note: could not start the IVF index build (cospace-cli index); scanning every vector"_qs);
                indexParams.kind = IndexKind::Quantized;
            }
        }
    }
    if (!snapshot)
        set = db.load(stored.id, modality);
    const double openSeconds = clock.nsecsElapsed() * 1e-9;
    std::vector<float> rerankScores;
    std::optional<HubnessCorrection> correction;
    Matrix gallery;
    if (rerankParams.method != Rerank::None) {
        // The bank: every stored vector of the other modality (queries like this one, asked the other way).
        const Modality other = modality == Modality::Image ? Modality::Caption : Modality::Image;
        const StoredSet bank = db.load(stored.id, other);
        if (bank.items.isEmpty())
            throw std::runtime_error(u"--rerank needs a query bank: the store holds no %1 for this model (embed some)"_qs
                                         .arg(other == Modality::Caption ? u"captions"_qs : u"images"_qs).toStdString());
        gallery = set.vectors;
        correction.emplace(gallery, bank.vectors, rerankParams);
    }
    clock.start();
    const SearchIndex index = ivf ? SearchIndex(ivf, indexParams)
                              : snapshot ? SearchIndex(snapshot, indexParams) : SearchIndex(std::move(set), indexParams);
    const double buildSeconds = clock.nsecsElapsed() * 1e-9;
    QList<SearchHit> hits;
    if (correction) {
        for (const RerankedRow &row : rerankedTop(gallery, q, *correction, topK)) {
            hits.append({int(hits.size()) + 1, index.items()[row.row], row.cosine, index.percentile(q, row.cosine)});
            rerankScores.push_back(row.score);
        }
    } else {
        hits = index.search(q, topK);
        if (snapshot)
            fillHitItems(hits, db);
    }
    if (parser.isSet(timing))
        reportTiming(index, db, stored.id, modality, snapshot, topK, openSeconds, buildSeconds, parser.value(timingQueryFile));
    if (parser.isSet(json)) {
        QJsonArray results;
        for (qsizetype i = 0; i < hits.size(); ++i)
            results.append(hitJson(hits[i], correction ? std::optional<float>(rerankScores[std::size_t(i)]) : std::nullopt));
        printJson({{u"results"_qs, results}, {u"index"_qs, index.kindName()}});
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
