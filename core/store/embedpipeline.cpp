#include "core/store/embedpipeline.h"

#include "core/data/dataset.h"
#include "core/data/shards.h"
#include "core/base/runtime.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QSet>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace cospace {

namespace {

constexpr int kTextBatch = 256;
constexpr int kMaxDecodeThreads = 8;

struct FileJob {
    QString path;
    qint64 size = 0;
    qint64 mtime = 0;
};

// One decoded file on its way to the model: either pixels ready for the tower or a reason.
struct Decoded {
    int index = 0;                 // into the todo list
    std::vector<float> input;      // preprocessed, empty on failure
    SkippedFile failure;
};

// A bounded multi-producer, single-consumer queue; close() wakes everyone for shutdown.
class BoundedQueue
{
public:
    explicit BoundedQueue(std::size_t capacity) : m_capacity(capacity) {}
    bool push(Decoded &&d)
    {
        std::unique_lock lock(m_mutex);
        m_notFull.wait(lock, [&] { return m_closed || m_items.size() < m_capacity; });
        if (m_closed)
            return false;
        m_items.push_back(std::move(d));
        m_notEmpty.notify_one();
        return true;
    }
    Decoded pop()
    {
        std::unique_lock lock(m_mutex);
        m_notEmpty.wait(lock, [&] { return !m_items.empty(); });
        Decoded d = std::move(m_items.front());
        m_items.pop_front();
        m_notFull.notify_one();
        return d;
    }
    void close()
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_notFull.notify_all();
    }

private:
    std::size_t m_capacity;
    std::mutex m_mutex;
    std::condition_variable m_notFull, m_notEmpty;
    std::deque<Decoded> m_items;
    bool m_closed = false;
};

// Worker threads that decode todo[i] for i handed out in order; joined on destruction, so an
// exception on the consumer side never leaves a thread behind.
class DecodePool
{
public:
    DecodePool(const EmbeddingModel &model, const QList<FileJob> &todo, const DecodeOptions &options,
               BoundedQueue &queue, int threads)
        : m_queue(queue)
    {
        for (int t = 0; t < threads; ++t)
            m_threads.emplace_back([this, &model, &todo, options] { run(model, todo, options); });
    }
    ~DecodePool()
    {
        m_queue.close();
        for (std::thread &t : m_threads)
            t.join();
    }
    double seconds() const { return double(m_nanos.load()) * 1e-9; }

private:
    void run(const EmbeddingModel &model, const QList<FileJob> &todo, const DecodeOptions &options)
    {
        initWorkerThread();
        QElapsedTimer timer;
        for (int i = m_next++; i < todo.size(); i = m_next++) {
            timer.start();
            Decoded d;
            d.index = i;
            try {
                const DecodedImage image = decodeImageFile(todo[i].path, options);
                if (image.ok())
                    d.input = model.preprocess(image.image);
                else
                    d.failure = {todo[i].path, decodeFailureName(image.failure), image.reason};
            } catch (const std::exception &e) {
                d.failure = {todo[i].path, u"corrupt"_qs, QString::fromUtf8(e.what())};
            }
            m_nanos += timer.nsecsElapsed();
            if (!m_queue.push(std::move(d)))
                return;
        }
    }

    BoundedQueue &m_queue;
    std::atomic<int> m_next{0};
    std::atomic<qint64> m_nanos{0};
    std::vector<std::thread> m_threads;
};

QString scanReason(const QString &message)
{
    if (message.contains(u"broken link"))
        return u"broken link"_qs;
    return u"unreadable"_qs;
}

// Runs the model on the images of `todo`, writing each batch to the store. Returns normally or
// throws JobCancelled after committing what was done.
void embedImages(EmbeddingModel &model, EmbeddingStore &store, qint64 modelId, const QList<FileJob> &todo,
                 const EmbedParams &params, JobControl *job, EmbedResult &result, QSet<QString> &failed)
{
    if (todo.isEmpty())
        return;
    const int batchSize = std::max(1, params.batchSize);
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    int threads = params.decodeThreads > 0 ? params.decodeThreads : std::min(cores, kMaxDecodeThreads);
    threads = std::min<int>(threads, int(todo.size()));
    const std::size_t capacity = std::size_t(params.queueCapacity > 0 ? params.queueCapacity : 2 * batchSize);
    DecodeOptions options;
    options.maxPixels = params.maxPixels;
    options.minShortSide = 2 * model.imageSize();

    BoundedQueue queue(capacity);
    DecodePool pool(model, todo, options, queue, threads);
    QList<StoredItem> items;
    std::vector<float> inputs;
    QElapsedTimer timer;
    auto flush = [&] {
        if (items.isEmpty())
            return;
        timer.start();
        const Matrix vectors = model.encodePreprocessed(inputs, int(items.size()));
        result.modelSeconds += timer.nsecsElapsed() * 1e-9;
        timer.start();
        store.putBatch(modelId, items, vectors);
        result.storeSeconds += timer.nsecsElapsed() * 1e-9;
        result.embeddedImages += int(items.size());
        if (job)
            job->advance(items.size());
        items.clear();
        inputs.clear();
    };
    for (qsizetype received = 0; received < todo.size(); ++received) {
        if (job && job->cancelled()) {
            flush();
            throw JobCancelled{};
        }
        Decoded d = queue.pop();
        if (d.input.empty()) {
            result.skipped.append(d.failure);
            failed.insert(d.failure.path);
            if (job)
                job->advance();
            continue;
        }
        const FileJob &f = todo[d.index];
        items.append({0, Modality::Image, f.path, {}, {}, f.size, f.mtime});
        inputs.insert(inputs.end(), d.input.begin(), d.input.end());
        if (items.size() >= batchSize)
            flush();
    }
    flush();
    result.decodeSeconds = pool.seconds();
}

// Embeds the caption items of one source (a captions file or a shard) that the store lacks, and
// drops the source's stored captions that are gone.
void embedCaptionItems(EmbeddingModel &model, EmbeddingStore &store, qint64 modelId, const QString &source,
                       const QList<StoredItem> &all, JobControl *job, EmbedResult &result)
{
    const QSet<QString> done = store.embeddedCaptions(modelId, source);
    QSet<QString> present;
    QList<StoredItem> todo;
    for (const StoredItem &item : all) {
        const QString key = EmbeddingStore::captionKey(item.path, item.caption);
        if (present.contains(key))
            continue;   // the same caption for the same image twice: one item
        present.insert(key);
        if (done.contains(key))
            ++result.cached;
        else
            todo.append(item);
    }
    if (job && !todo.isEmpty()) {
        job->setStage(u"embedding captions"_qs);
        job->setTotal(job->snapshot().total + todo.size());
    }
    QElapsedTimer timer;
    for (qsizetype start = 0; start < todo.size(); start += kTextBatch) {
        if (job && job->cancelled())
            throw JobCancelled{};
        const QList<StoredItem> batch = todo.mid(start, kTextBatch);
        QStringList texts;
        for (const StoredItem &item : batch)
            texts << item.caption;
        timer.start();
        const Matrix vectors = model.encodeTexts(texts);
        result.modelSeconds += timer.nsecsElapsed() * 1e-9;
        timer.start();
        store.putBatch(modelId, batch, vectors);
        result.storeSeconds += timer.nsecsElapsed() * 1e-9;
        result.embeddedCaptions += int(batch.size());
        if (job)
            job->advance(batch.size());
    }
    result.removed += store.dropMissingCaptions(source, present);
}

void embedCaptions(EmbeddingModel &model, EmbeddingStore &store, qint64 modelId, const QString &file,
                   JobControl *job, EmbedResult &result)
{
    QList<ParseIssue> issues, notices;
    const QList<StoredItem> all = readCaptionItems(file, &issues, &notices);
    for (const ParseIssue &issue : issues)
        result.skipped.append({issue.file, u"bad caption row"_qs, issue.toString()});
    for (const ParseIssue &notice : notices)
        result.notices.append(notice.toString());
    embedCaptionItems(model, store, modelId, QFileInfo(file).absoluteFilePath(), all, job, result);
}

// The captions inside WebDataset shards (scanImages() read them with the images): their source
// is the shard file, so a shard's captions come and go with it.
void embedShardCaptions(EmbeddingModel &model, EmbeddingStore &store, qint64 modelId, const QList<ImageScan> &scans,
                        const QStringList &roots, const QSet<QString> &failed, JobControl *job, EmbedResult &result)
{
    QHash<QString, QList<StoredItem>> bySource;
    QStringList shards;
    for (const ImageScan &scan : scans) {
        shards << scan.shards;
        for (const CaptionRow &row : scan.shardCaptions) {
            QString shard, key;
            if (failed.contains(row.image) || !splitShardItem(row.image, &shard, &key))
                continue;   // an image that could not be decoded takes no caption onto the map
            bySource[shard].append({0, Modality::Caption, row.image, row.caption, shard, -1, -1});
        }
    }
    shards.removeDuplicates();
    for (const QString &shard : std::as_const(shards))
        embedCaptionItems(model, store, modelId, shard, bySource.value(shard), job, result);
    // Shards under these roots that are gone take their captions with them.
    for (const QString &source : store.captionSources()) {
        if (!isShardFile(source) || shards.contains(source))
            continue;
        for (const QString &root : roots)
            if (sourceContains(root, source)) {
                result.removed += store.dropMissingCaptions(source, {});
                break;
            }
    }
}

// Size and mtime as the store keeps them: the file's, or a shard member's own.
FileJob fileJob(const QString &path)
{
    FileJob f{path, -1, -1};
    if (shardItemState(path, &f.size, &f.mtime))
        return f;
    const QFileInfo info(path);
    return {path, info.size(), info.lastModified().toMSecsSinceEpoch()};
}

}  // namespace

QList<StoredItem> readCaptionItems(const QString &path, QList<ParseIssue> *issues, QList<ParseIssue> *notices)
{
    const QString source = QFileInfo(path).absoluteFilePath();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw std::runtime_error(u"%1: cannot read the captions file: %2"_qs.arg(path, file.errorString()).toStdString());
    const QByteArray bytes = file.readAll();
    QList<StoredItem> out;
    if (QFileInfo(path).suffix().toLower() == u"txt" && !bytes.contains('\t')) {
        // Plain text: one caption per line, no image.
        const std::int64_t maxChars = limits().maxCaptionChars;
        int lineNumber = 0;
        for (const QString &line : QString::fromUtf8(bytes).split(u'\n')) {
            ++lineNumber;
            QString caption = line.trimmed();
            if (const QString notice = cutCaption(caption, maxChars); !notice.isEmpty() && notices)
                notices->append({path, lineNumber, notice});
            if (!caption.isEmpty())
                out.append({0, Modality::Caption, {}, caption, source, -1, -1});
        }
        return out;
    }
    CaptionOptions options;
    options.requireImages = false;   // captions are worth embedding even without their image
    const CaptionFile captions = parseCaptionBytes(bytes, path, options);
    if (issues)
        *issues = captions.issues;
    if (notices)
        *notices = captions.notices;
    for (const CaptionRow &row : captions.rows)
        out.append({0, Modality::Caption, row.image, row.caption, source, -1, -1});
    return out;
}

EmbedResult runEmbedding(EmbeddingModel &model, EmbeddingStore &store, const EmbedParams &params, JobControl *job)
{
    QElapsedTimer wall;
    wall.start();
    EmbedResult result;
    const qint64 modelId = store.ensureModel(model.fingerprint(), model.name(), model.embedDim());
    if (job)
        job->setStage(u"scanning"_qs);

    QStringList roots;   // folders whose vanished images are dropped from the store
    QStringList scanned;
    QList<ImageScan> scans;
    for (qsizetype i = 0; i < params.roots.size(); ++i) {
        const QString &root = params.roots[i];
        const QString rootPath = QFileInfo(root).absoluteFilePath();
        const ImageScan scan = i < params.scans.size() ? params.scans[i] : scanImages(root);
        scans << scan;
        scanned << scan.images;
        for (const ParseIssue &notice : scan.notices)
            result.notices.append(notice.toString());
        if (!scan.truncated)   // a folder cut at the files-per-folder limit keeps its images past the limit
            roots << (isShardPattern(root) ? scan.shards : QStringList{rootPath});   // a pattern: the shards it names
        for (const ParseIssue &issue : scan.issues) {
            if (scan.truncated && issue.line == 0 && issue.file == rootPath)
                result.notices.append(issue.toString());
            else if (!issue.message.startsWith(u"symlink loop"))   // the folder was scanned once already
                result.skipped.append({issue.file, scanReason(issue.message), issue.message});
        }
    }
    scanned.removeDuplicates();
    // Nothing scanned (a workspace of imported or shard rows): no need to read every image's state.
    const QHash<QString, StoredFileState> known = scanned.isEmpty() ? QHash<QString, StoredFileState>() : store.imageStates(modelId);
    QList<FileJob> todo;
    for (const QString &path : std::as_const(scanned)) {
        const FileJob f = fileJob(path);
        const auto it = known.constFind(path);
        if (it != known.constEnd() && it->embedded && it->size == f.size && it->mtime == f.mtime)
            ++result.cached;
        else
            todo.append(f);
    }
    if (job) {
        job->setStage(u"embedding images"_qs);
        job->setTotal(todo.size());
    }
    QSet<QString> failed;
    embedImages(model, store, modelId, todo, params, job, result, failed);
    if (params.dropMissing) {
        QSet<QString> present(scanned.begin(), scanned.end());
        for (const QString &path : std::as_const(failed))
            present.remove(path);
        result.removed += store.dropMissingImages(roots, present);
    }
    QStringList captionRoots;   // where a vanished shard's captions are dropped: the roots as given
    for (qsizetype i = 0; params.dropMissing && i < params.roots.size(); ++i)
        if (i >= scans.size() || !scans[i].truncated)
            captionRoots << (isShardPattern(params.roots[i]) ? params.roots[i] : QFileInfo(params.roots[i]).absoluteFilePath());
    embedShardCaptions(model, store, modelId, scans, captionRoots, failed, job, result);
    if (!params.captionsFile.isEmpty())
        embedCaptions(model, store, modelId, params.captionsFile, job, result);
    result.seconds = wall.nsecsElapsed() * 1e-9;
    if (job)
        job->finish();
    return result;
}

}  // namespace cospace
