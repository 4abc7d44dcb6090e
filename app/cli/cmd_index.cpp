// cospace-cli index --store DB --model MODEL [--target images|captions] [--lists N] [--json]
//
// Builds, updates or confirms the IVF search index (core/search/ivfindex.h) of one model's vectors
// of one modality: the mapped snapshot first (store/vectorsnapshot.h), then the .ivf beside it. A
// current index is left as it is; rows appended since it was built are assigned to its lists;
// anything else rebuilds it. `search` starts this command in the background for a store past
// --ivf-limit vectors whose index is missing, stale or missing appended rows; a lock file keeps
// two builds of one index apart.

#include "clicommon.h"
#include "storecli.h"

#include "core/search/ivfindex.h"
#include "core/store/storedmodel.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QLockFile>

namespace cospace::cli {

namespace {

// The JSON state: what this run did to the file.
QString stateName(IvfIndex::Origin o)
{
    switch (o) {
    case IvfIndex::Origin::Mapped: return u"current"_qs;
    case IvfIndex::Origin::Updated: return u"updated"_qs;
    default: return u"built"_qs;
    }
}

}  // namespace

int runIndex(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Build or update the IVF search index of a model's stored vectors (kept beside the store as\n"
        "STORE-m<ID>-<image|caption>.ivf; search uses it above --ivf-limit vectors, or with --index ivf)."_qs);
    const QCommandLineOption model(u"model"_qs, u"the model whose vectors to index (as given to embed/import)"_qs, u"MODEL"_qs);
    const QCommandLineOption store = storeOption();
    const QCommandLineOption target(u"target"_qs, u"images or captions (default images)"_qs, u"TARGET"_qs, u"images"_qs);
    const QCommandLineOption lists(u"lists"_qs, u"number of lists (default ~sqrt(vectors)); forces a rebuild"_qs, u"N"_qs);
    const QCommandLineOption json(u"json"_qs, u"print {path, vectors, lists, probes, calibrated_recall, state, seconds}"_qs);
    parser.addOptions({model, store, target, lists, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    const QString t = parser.value(target);
    if (!parser.isSet(model) || (t != u"images" && t != u"captions")) {
        err(u"usage: cospace-cli index --store DB --model MODEL [--target images|captions] [--lists N] [--json]"_qs);
        return kUsage;
    }
    IvfOptions options;
    if (parser.isSet(lists)) {
        bool ok = false;
        options.lists = parser.value(lists).toInt(&ok);
        if (!ok || options.lists < 1) {
            err(u"--lists takes a positive whole number"_qs);
            return kUsage;
        }
    }
    const QString dbPath = storePath(parser, store);
    if (!QFileInfo::exists(dbPath))
        throw std::runtime_error(u"%1: no such store"_qs.arg(dbPath).toStdString());
    const Modality modality = t == u"images" ? Modality::Image : Modality::Caption;
    QElapsedTimer clock;
    clock.start();
    EmbeddingStore db(dbPath);
    const StoredModel stored = resolveStoredModel(db, parser.value(model));
    JobControl job(terminalProgress(u"index"_qs));
    CancelOnSignal cancelOnSignal(&job);
    const std::shared_ptr<const VectorSnapshot> snapshot = VectorSnapshot::open(db, stored.id, modality, &job);
    // One build per index at a time: a second one waits for the first, then finds its file current.
    QLockFile lock(IvfIndex::filePath(*snapshot) + u".lock"_qs);
    lock.setStaleLockTime(0);
    if (!lock.tryLock(0)) {
        err(u"another cospace-cli is building this index; waiting for it"_qs);
        lock.lock();
    }
    if (options.lists > 0)
        QFile::remove(IvfIndex::filePath(*snapshot));
    const std::shared_ptr<const IvfIndex> ivf = IvfIndex::open(snapshot, &job, options);
    endProgressLine();
    const double seconds = clock.nsecsElapsed() * 1e-9;
    if (parser.isSet(json)) {
        printJson(QJsonObject{{u"path"_qs, ivf->path()}, {u"vectors"_qs, ivf->rows()}, {u"lists"_qs, ivf->lists()},
                              {u"probes"_qs, ivf->defaultProbes()}, {u"calibrated_recall"_qs, ivf->calibratedRecall()},
                              {u"state"_qs, stateName(ivf->origin())}, {u"seconds"_qs, seconds}});
    } else {
        out(u"%1: IVF index of %2 vectors, %3 lists, %4 probes by default (recall@10 %5 on the calibration "
            "sample); %6 in %7 s"_qs.arg(ivf->path()).arg(ivf->rows()).arg(ivf->lists()).arg(ivf->defaultProbes())
                .arg(ivf->calibratedRecall(), 0, 'f', 3)
                .arg(ivf->origin() == IvfIndex::Origin::InMemory ? u"built in memory (the folder is not writable; nothing kept)"_qs
                                                                 : stateName(ivf->origin()))
                .arg(seconds, 0, 'f', 1));
    }
    return kOk;
}

}  // namespace cospace::cli
