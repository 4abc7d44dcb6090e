#include "core/explorer/workspacesession.h"

#include "core/data/shards.h"
#include "core/eval/evaluation.h"
#include "core/eval/metrics.h"
#include "core/model/embeddingmodel.h"
#include "core/projection/alignment.h"
#include "core/projection/layoutcache.h"
#include "core/store/embeddingstore.h"
#include "core/store/storedmodel.h"
#include "core/store/vectorsnapshot.h"
#include "core/base/paths.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <cmath>

namespace cospace {

namespace {

constexpr int kAnimationSlice = 10;   // projector iterations between map updates
const QString kTypedSource = u"typed"_qs;

// Below a folder, a member of a shard root, or of a shard a brace pattern names (data/shards.h).
bool underAny(const QString &path, const QStringList &roots)
{
    for (const QString &root : roots) {
        if (sourceContains(root, path))
            return true;
    }
    return false;
}

StoredSet filterSet(const StoredSet &all, const std::function<bool(const StoredItem &)> &keep)
{
    StoredSet out;
    out.vectors.cols = all.vectors.cols;
    for (int i = 0; i < all.items.size(); ++i) {
        if (!keep(all.items[i]))
            continue;
        out.items << all.items[i];
        out.vectors.data.insert(out.vectors.data.end(), all.vectors.row(i), all.vectors.row(i) + all.vectors.cols);
        ++out.vectors.rows;
    }
    return out;
}

// Layout coordinates -> map coordinates: about sqrt(N) units across, y up.
struct MapTransform {
    double minX = 0, minY = 0, scale = 1;
    Similarity2D align;   // then onto the previous map, when there was one
    QPointF operator()(double x, double y) const
    {
        Matrix p(1, 2);
        p.at(0, 0) = float((x - minX) * scale);
        p.at(0, 1) = float(-(y - minY) * scale);
        const Matrix q = applySimilarity(p, align);
        return {q.at(0, 0), q.at(0, 1)};
    }
};

MapTransform mapTransform(const Matrix &xy)
{
    double minX = 1e300, maxX = -1e300, minY = 1e300, maxY = -1e300;
    for (int i = 0; i < xy.rows; ++i) {
        minX = std::min<double>(minX, xy.at(i, 0));
        maxX = std::max<double>(maxX, xy.at(i, 0));
        minY = std::min<double>(minY, xy.at(i, 1));
        maxY = std::max<double>(maxY, xy.at(i, 1));
    }
    const double extent = std::max({maxX - minX, maxY - minY, 1e-12});
    return {minX, minY, std::sqrt(double(std::max(1, xy.rows))) / extent, {}};
}

QList<QPointF> mapPositions(const Matrix &xy, const MapTransform &t)
{
    QList<QPointF> positions;
    positions.reserve(xy.rows);
    for (int i = 0; i < xy.rows; ++i)
        positions << t(xy.at(i, 0), xy.at(i, 1));
    return positions;
}

Matrix toMatrix(const QList<QPointF> &points, const QList<int> &rows)
{
    Matrix m(int(rows.size()), 2);
    for (int k = 0; k < rows.size(); ++k) {
        m.at(k, 0) = float(points[rows[k]].x());
        m.at(k, 1) = float(points[rows[k]].y());
    }
    return m;
}

// The similarity transform that puts `points` onto `previous` over the items both have (2-D
// Procrustes), so a re-projection shows what moved, not an arbitrary spin. Identity when fewer than
// three items are shared or they are degenerate.
Similarity2D alignmentTo(const QList<MapPoint> &points, const QList<MapPoint> &previous)
{
    QHash<QString, QPointF> before;
    for (const MapPoint &p : previous)
        before.insert(mapPointIdentity(p), p.pos);
    QList<QPointF> from, to;
    for (const MapPoint &p : points)
        if (const auto it = before.constFind(mapPointIdentity(p)); it != before.constEnd()) {
            from << p.pos;
            to << *it;
        }
    if (from.size() < 3)
        return {};
    QList<int> all(from.size());
    std::iota(all.begin(), all.end(), 0);
    try {
        return procrustes2D(toMatrix(from, all), toMatrix(to, all));
    } catch (const std::exception &) {
        return {};   // all shared points in one place: no meaningful rotation
    }
}

StoredItem typedItem(const QString &caption)
{
    StoredItem item;
    item.modality = Modality::Caption;
    item.caption = caption;
    item.source = kTypedSource;
    return item;
}

StoredSet typedCaptions(EmbeddingModel &model, const QStringList &captions)
{
    StoredSet set;
    set.vectors = captions.isEmpty() ? Matrix(0, model.embedDim()) : model.encodeTexts(captions);
    for (const QString &caption : captions)
        set.items << typedItem(caption);
    return set;
}

}  // namespace

struct WorkspaceSession::State {
    QString storePath;
    ModelLoader loader;
    QString modelSpec;
    std::unique_ptr<EmbeddingModel> model;
    std::unique_ptr<EmbeddingStore> store;
    // This workspace's items and vectors in map-point order: images, captions of files, typed captions.
    QList<StoredItem> items;
    // In blocks (base/rowblocks.h): a big modality's rows are its mapped snapshot's, not a copy. Shared
    // with a projector over a cached layout (place() reads them): replaced, never changed in place.
    RowBlocks vectors;
    int imageCount = 0;
    // The store's snapshot of a modality when this workspace's rows of it are all of its rows, in its
    // order (a big store opened whole): the search index then reads it in place.
    std::shared_ptr<const VectorSnapshot> imageSnapshot, captionSnapshot;
    std::unique_ptr<SearchIndex> imageIndex;
    std::unique_ptr<SearchIndex> captionIndex;
    QList<MapPoint> points;
    std::unique_ptr<Projector> projector;
    MapTransform transform;
    Rerank rerank = Rerank::None;
    struct Corrected {
        Matrix gallery;
        std::unique_ptr<HubnessCorrection> correction;
    };
    std::optional<Corrected> textToImage, imageToText;   // built on first use, per rerank

    QList<SearchHit> ranked(const SearchIndex &index, bool imagesTarget, std::span<const float> query, int k);

    void ensureModel(const QString &spec);
    QList<SkippedFile> embed(const Workspace &workspace, const CollectionSnapshot &snapshot, JobControl &job);
    void gather(const Workspace &workspace, JobControl &job);
    struct Gathered {
        QList<StoredItem> items;
        RowBlocks vectors;
    };
    Gathered gatherModality(qint64 modelId, Modality modality, const std::function<bool(const StoredItem &)> &keep,
                            std::shared_ptr<const VectorSnapshot> &whole, JobControl &job) const;
    StoredSet rows(int first, int count) const;
    int firstTyped() const;
    QList<MapPoint> buildPoints(JobControl &job) const;
    void rebuildIndexes();
    bool project(const WorkspaceJobParams &params, const ProjectionOptions &options, JobControl &job);
    std::optional<QPointF> place(std::span<const float> query) const;
    QList<float> similarities(std::span<const float> query) const;
};

void WorkspaceSession::State::ensureModel(const QString &spec)
{
    if (model && modelSpec == spec)
        return;
    model.reset();
    modelSpec.clear();
    model = loader(spec);
    modelSpec = spec;
}

QList<SkippedFile> WorkspaceSession::State::embed(const Workspace &workspace, const CollectionSnapshot &snapshot,
                                                  JobControl &job)
{
    EmbedParams params;
    params.roots = workspace.folders;
    if (snapshot.folders.size() == workspace.folders.size())
        for (const CollectionSnapshot::Folder &folder : snapshot.folders)
            params.scans.append(folder.scan);
    params.captionsFile = workspace.captionFiles.value(0);
    QList<SkippedFile> skipped = runEmbedding(*model, *store, params, &job).skipped;
    for (qsizetype i = 1; i < workspace.captionFiles.size(); ++i) {
        EmbedParams more;
        more.captionsFile = workspace.captionFiles[i];
        skipped += runEmbedding(*model, *store, more, &job).skipped;
    }
    return skipped;
}

// One modality's rows that `keep` accepts. A big store's come from its mapped snapshot (vectorsnapshot.h)
// and the items' text from one pass over the items table, instead of decoding every vector from SQLite;
// `whole` is that snapshot when every one of its rows was kept, and then the rows are read where it maps
// them (a million 512-d rows: no 2 GB copy). Otherwise the kept rows are copied out of it.
WorkspaceSession::State::Gathered WorkspaceSession::State::gatherModality(
    qint64 modelId, Modality modality, const std::function<bool(const StoredItem &)> &keep,
    std::shared_ptr<const VectorSnapshot> &whole, JobControl &job) const
{
    whole.reset();
    Gathered out;
    if (store->count(modelId, modality) < kSnapshotMinRows) {
        StoredSet kept = filterSet(store->load(modelId, modality), keep);
        out.items = std::move(kept.items);
        out.vectors.append(std::move(kept.vectors));
        return out;
    }
    std::shared_ptr<const VectorSnapshot> snapshot = VectorSnapshot::open(*store, modelId, modality, &job);
    job.setStage(u"reading %1 item names"_qs.arg(snapshot->rows()));
    QList<StoredItem> all = store->itemsInOrder({snapshot->itemIds(), std::size_t(snapshot->rows())}, modality);
    std::vector<int> rows;
    rows.reserve(std::size_t(all.size()));
    out.items.reserve(all.size());
    for (int i = 0; i < all.size(); ++i)
        if (all[i].id != 0 && keep(all[i])) {   // id 0: deleted since the snapshot was taken
            rows.push_back(i);
            out.items.append(std::move(all[i]));
        }
    if (int(rows.size()) == snapshot->rows()) {
        out.vectors.append(MatrixView(snapshot->vectors(), snapshot->rows(), snapshot->dim()), snapshot);
        whole = std::move(snapshot);
    } else {
        job.setStage(u"copying %1 of %2 vectors"_qs.arg(rows.size()).arg(snapshot->rows()));
        out.vectors.append(gatherRows(snapshot->vectors(), snapshot->dim(), rows));
    }
    return out;
}

// This workspace's vectors: images under its folders, captions of its files, typed captions.
void WorkspaceSession::State::gather(const Workspace &workspace, JobControl &job)
{
    job.setStage(u"loading vectors"_qs);
    const StoredModel stored = resolveStoredModel(*store, modelSpec, model.get());
    QSet<QString> sources;
    for (const QString &f : workspace.captionFiles)
        sources.insert(QFileInfo(f).absoluteFilePath());
    Gathered images = gatherModality(stored.id, Modality::Image, [&](const StoredItem &i) {
        return underAny(i.path, workspace.folders);
    }, imageSnapshot, job);
    Gathered captions = gatherModality(stored.id, Modality::Caption, [&](const StoredItem &i) {
        return sources.contains(i.source) || (isShardFile(i.source) && underAny(i.source, workspace.folders));
    }, captionSnapshot, job);
    StoredSet typed = typedCaptions(*model, workspace.captions);
    imageCount = int(images.items.size());
    items = std::move(images.items);   // a million items: moved, not copied
    items += captions.items;
    items += typed.items;
    RowBlocks all(model->embedDim());
    all.append(images.vectors);
    all.append(captions.vectors);
    all.append(std::move(typed.vectors));
    vectors = std::move(all);
}

StoredSet WorkspaceSession::State::rows(int first, int count) const
{
    StoredSet set;
    set.items = items.mid(first, count);
    set.vectors = vectors.copy(first, count);
    return set;
}

int WorkspaceSession::State::firstTyped() const
{
    int i = int(items.size());
    while (i > imageCount && items[i - 1].source == kTypedSource)
        --i;
    return i;
}

// Map points in vector order, before projection. A caption from a paired file names its image:
// `partner`, and whether an image it was written for is the model's rank-1 match for it
// (pessimistic about ties; identical caption texts are correct for each other's images, as in
// metrics.h).
QList<MapPoint> WorkspaceSession::State::buildPoints(JobControl &job) const
{
    QList<MapPoint> out;
    QHash<QString, int> imagePoint;
    out.reserve(items.size());
    const bool anyCaptions = imageCount < items.size();   // that may name an image
    for (int i = 0; i < imageCount; ++i) {
        if (anyCaptions)
            imagePoint.insert(items[i].path, i);
        const QString &path = items[i].path;   // the file name, without a QFileInfo per point (1M of them)
        out.append({MapPoint::Image, {}, path, path.mid(path.lastIndexOf(u'/') + 1)});
    }
    int typed = 0;
    std::vector<int> owner;
    QList<int> pointOf;
    QStringList texts;
    Matrix paired(0, vectors.cols());
    for (int c = imageCount; c < items.size(); ++c) {
        const StoredItem &item = items[c];
        MapPoint p{MapPoint::Caption, {}, item.path, item.caption};
        if (item.source == kTypedSource)
            p.typed = typed++;
        out.append(p);
        const auto it = imagePoint.constFind(item.path);
        if (item.path.isEmpty() || it == imagePoint.constEnd())
            continue;
        owner.push_back(*it);
        pointOf << c;
        texts << item.caption;
        paired.data.insert(paired.data.end(), vectors.row(c), vectors.row(c) + paired.cols);
        ++paired.rows;
    }
    if (paired.rows > 0) {
        job.setStage(u"checking %1 pairs against %2 images"_qs.arg(paired.rows).arg(imageCount));
        Matrix copy;   // only when the image rows are not one block (read in place when mapped)
        const MatrixView images = vectors.slice(0, imageCount).viewOrCopy(copy);
        const std::vector<char> first = rankedFirst(images, paired, owner, textIds(texts), &job);
        for (std::size_t k = 0; k < first.size(); ++k) {
            out[pointOf[int(k)]].partner = owner[k];
            out[pointOf[int(k)]].rankOne = first[k] != 0;
        }
    }
    return out;
}

void WorkspaceSession::State::rebuildIndexes()
{
    textToImage.reset();
    imageToText.reset();
    const int captionCount = int(items.size()) - imageCount;
    // A snapshot serves while its rows are still exactly the modality's rows (typed captions add rows).
    const auto index = [this](const std::shared_ptr<const VectorSnapshot> &snapshot, int first, int count) {
        if (count == 0)
            return std::unique_ptr<SearchIndex>();
        if (snapshot && snapshot->rows() == count)
            return std::make_unique<SearchIndex>(snapshot);
        return std::make_unique<SearchIndex>(rows(first, count));
    };
    imageIndex = index(imageSnapshot, 0, imageCount);
    captionIndex = index(captionSnapshot, imageCount, captionCount);
}

// From the layout cache when this exact input was projected before (true), otherwise projecting,
// reporting the layout as it converges, and caching the result.
bool WorkspaceSession::State::project(const WorkspaceJobParams &params, const ProjectionOptions &options,
                                      JobControl &job)
{
    job.setStage(u"looking up the layout cache"_qs);
    const QString key = layoutCacheKey(vectors, options);
    if (params.useLayoutCache)
        if (const std::optional<Matrix> cached = readCachedLayout(key, vectors.rows(), params.layoutCacheDir)) {
            job.setStage(u"restoring the cached layout"_qs);
            projector = Projector::fromLayout(vectors, *cached, options);   // shares the rows
            return true;
        }
    job.setStage(u"projecting %1 points (%2)"_qs.arg(vectors.rows()).arg(kProjectionMethods.name(options.method).toUpper()));
    projector = Projector::create(vectors.copy(), options, &job);   // one copy, normalised in place
    if (params.layoutBegun) {
        QList<MapPoint> start = points;
        const QList<QPointF> at = mapPositions(projector->layout(), mapTransform(projector->layout()));
        for (int i = 0; i < start.size(); ++i)
            start[i].pos = at[i];
        params.layoutBegun(start);
    }
    QElapsedTimer sinceStep;
    sinceStep.start();
    while (!projector->finished()) {
        if (job.cancelled())
            throw JobCancelled{};
        projector->run(kAnimationSlice);
        if (params.layoutStep && sinceStep.elapsed() >= params.animationIntervalMs && !projector->finished()) {
            sinceStep.restart();
            params.layoutStep(mapPositions(projector->layout(), mapTransform(projector->layout())));
        }
    }
    if (params.useLayoutCache)
        writeCachedLayout(key, projector->layout(), params.layoutCacheDir);
    return false;
}

// The index's own search, or — with a hubness correction — every row re-scored against the other
// modality's bank. Without a bank (no captions, say) the plain ranking stands.
QList<SearchHit> WorkspaceSession::State::ranked(const SearchIndex &index, bool imagesTarget,
                                                 std::span<const float> query, int k)
{
    const int captionCount = int(items.size()) - imageCount;
    const int first = imagesTarget ? 0 : imageCount;   // the index's row 0 among the map's points
    if (rerank == Rerank::None || imageCount == 0 || captionCount == 0) {
        QList<SearchHit> hits = index.search(query, k);
        for (SearchHit &hit : hits)   // a snapshot's index knows the item's id only
            hit.item = items[first + int(hit.row)];
        return hits;
    }
    std::optional<Corrected> &c = imagesTarget ? textToImage : imageToText;
    if (!c) {
        const StoredSet bank = imagesTarget ? rows(imageCount, captionCount) : rows(0, imageCount);
        RerankParams params;
        params.method = rerank;
        Matrix gallery = (imagesTarget ? rows(0, imageCount) : rows(imageCount, captionCount)).vectors;
        auto correction = std::make_unique<HubnessCorrection>(gallery, bank.vectors, params);
        c = Corrected{std::move(gallery), std::move(correction)};
    }
    QList<SearchHit> hits;
    for (const RerankedRow &row : rerankedTop(c->gallery, query, *c->correction, k))
        hits.append({int(hits.size()) + 1, items[first + row.row], row.cosine, index.percentile(query, row.cosine), row.row});
    return hits;
}

std::optional<QPointF> WorkspaceSession::State::place(std::span<const float> query) const
{
    if (!projector || int(query.size()) != vectors.cols())
        return std::nullopt;
    Matrix q(1, int(query.size()));
    std::copy(query.begin(), query.end(), q.data.begin());
    const Matrix xy = projector->place(q);
    return transform(xy.at(0, 0), xy.at(0, 1));
}

// Cosine of the query with every map point (the stored vectors are L2-normalised).
QList<float> WorkspaceSession::State::similarities(std::span<const float> query) const
{
    if (vectors.cols() != int(query.size()))
        return {};
    QList<float> scores(vectors.rows(), 0.f);
    for (const RowBlocks::Block &b : vectors.blocks())
        for (int i = 0; i < b.rows.rows; ++i)
            scores[b.first + i] = std::inner_product(query.begin(), query.end(), b.rows.row(i), 0.f);
    return scores;
}

WorkspaceSession::WorkspaceSession(QString storePath, ModelLoader loader) : d(std::make_unique<State>())
{
    d->storePath = storePath.isEmpty() ? paths::defaultStorePath() : std::move(storePath);
    d->loader = loader ? std::move(loader) : ModelLoader(loadModel);
}

WorkspaceSession::~WorkspaceSession() = default;

bool WorkspaceSession::hasMap() const { return d->projector != nullptr; }

WorkspaceLayout WorkspaceSession::open(const WorkspaceJobParams &params, JobControl &job)
{
    const Workspace &workspace = params.workspace;
    d->projector.reset();
    d->imageIndex.reset();
    d->captionIndex.reset();
    d->points.clear();
    job.setStage(u"scanning %1 folder(s)"_qs.arg(workspace.folders.size()));
    CollectionSnapshot snapshot;
    try {
        snapshot = loadCollection(workspace);
    } catch (const std::exception &) {
        if (params.scanned)
            params.scanned({});   // the window learns the scan is over, then the error
        throw;
    }
    if (params.scanned)
        params.scanned(snapshot);
    job.setStage(u"loading model %1"_qs.arg(workspace.model));
    d->ensureModel(workspace.model);
    if (!d->store)
        d->store = std::make_unique<EmbeddingStore>(d->storePath);
    d->store->ensureModel(d->model->fingerprint(), d->model->name(), d->model->embedDim());

    WorkspaceLayout layout;
    layout.skipped = d->embed(workspace, snapshot, job);
    d->gather(workspace, job);
    job.setStage(u"indexing %1 vectors"_qs.arg(d->vectors.rows()));
    d->rebuildIndexes();
    job.setStage(u"checking pairs"_qs);
    d->points = d->buildPoints(job);
    layout.modelName = d->model->name();
    layout.modelSource = d->model->source();
    layout.modelRunsCode = d->model->describe().value(u"runs_code"_qs).toBool(true);
    layout.method = workspace.method;
    if (d->imageCount > 0 && d->imageCount < d->vectors.rows()) {
        job.setStage(u"measuring the modality gap"_qs);
        layout.modalityGap = modalityGap(d->vectors, d->imageCount);
    }
    if (d->vectors.rows() >= 3) {
        ProjectionOptions options;
        options.method = workspace.method;
        layout.cachedLayout = d->project(params, options, job);
        d->transform = mapTransform(d->projector->layout());
        const QList<QPointF> at = mapPositions(d->projector->layout(), d->transform);
        for (int i = 0; i < at.size(); ++i)
            d->points[i].pos = at[i];
        layout.projected = d->points;
        d->transform.align = alignmentTo(d->points, params.previous);
        const QList<QPointF> aligned = mapPositions(d->projector->layout(), d->transform);
        for (int i = 0; i < aligned.size(); ++i)
            d->points[i].pos = aligned[i];
    } else {
        layout.projected = d->points;
    }
    layout.points = d->points;
    job.finish();
    return layout;
}

QueryResult WorkspaceSession::search(const QString &prompt, int k)
{
    if (!d->model || !d->imageIndex)
        throw std::runtime_error("No images to search yet: open a folder and wait for it to be embedded.");
    const std::vector<float> query = encodePrompt(*d->model, prompt);
    return {prompt, d->ranked(*d->imageIndex, true, query, k), d->place(query), d->similarities(query)};
}

QueryResult WorkspaceSession::matchImage(const QString &path, int k)
{
    if (!d->model || !d->captionIndex)
        throw std::runtime_error("No captions to match yet: load or type captions first.");
    const Matrix e = d->model->encodeImages({readImageFile(path, 2 * d->model->imageSize())});
    const QString name = QFileInfo(path).fileName();
    return {name, d->ranked(*d->captionIndex, false, e.rowSpan(0), k), d->place(e.rowSpan(0)), d->similarities(e.rowSpan(0))};
}

QueryResult WorkspaceSession::matchPoint(int index, int k)
{
    if (index < 0 || index >= d->points.size())
        throw std::runtime_error("No such point on the map.");
    const MapPoint &p = d->points[index];
    // An image is matched against captions, a caption against images: the cross-modal view.
    const SearchIndex *target = p.kind == MapPoint::Image ? d->captionIndex.get() : d->imageIndex.get();
    QueryResult r{p.text, {}, std::nullopt, {}};
    if (target)
        r.hits = d->ranked(*target, p.kind == MapPoint::Caption, d->vectors.rowSpan(index), k);
    return r;
}

void WorkspaceSession::setRerank(Rerank method)
{
    if (method == d->rerank)
        return;
    d->rerank = method;
    d->textToImage.reset();
    d->imageToText.reset();
}

Rerank WorkspaceSession::rerank() const { return d->rerank; }

WorkspaceSession::MapData WorkspaceSession::mapData() const
{
    return {d->model.get(), &d->items, &d->vectors, d->imageCount};
}

std::optional<QList<MapPoint>> WorkspaceSession::updateTypedCaptions(const QStringList &typed)
{
    if (!d->projector || !d->model)
        return std::nullopt;
    // Typed captions are the last rows. Texts still there keep their vector and place; only new
    // ones are embedded and placed.
    const int first = d->firstTyped();
    QMultiHash<QString, int> kept;   // text -> row
    for (int row = first; row < d->items.size(); ++row)
        kept.insert(d->items[row].caption, row);
    QStringList fresh;
    for (const QString &text : typed)
        if (!kept.contains(text))
            fresh << text;
    const StoredSet embedded = typedCaptions(*d->model, fresh);
    const int cols = d->vectors.cols();
    QList<StoredItem> nextItems = d->items.mid(0, first);
    Matrix typedRows(0, cols);
    QList<MapPoint> points = d->points.mid(0, first);
    int freshRow = 0;
    for (int i = 0; i < typed.size(); ++i) {
        MapPoint p{MapPoint::Caption, {}, {}, typed[i]};
        p.typed = i;
        const float *vector = nullptr;
        if (const auto it = kept.constFind(typed[i]); it != kept.constEnd()) {
            const int row = *it;
            kept.remove(typed[i], row);
            vector = d->vectors.row(row);
            p.pos = d->points[row].pos;
        } else {
            vector = embedded.vectors.row(freshRow++);
            p.pos = d->place({vector, std::size_t(cols)}).value_or(QPointF());
        }
        nextItems << typedItem(typed[i]);
        typedRows.data.insert(typedRows.data.end(), vector, vector + cols);
        ++typedRows.rows;
        points << p;
    }
    // The rows before the typed ones stay where they are (a mapped snapshot's are not copied).
    RowBlocks next = d->vectors.slice(0, first);
    next.append(std::move(typedRows));
    d->items = std::move(nextItems);
    d->vectors = std::move(next);
    d->points = points;
    d->rebuildIndexes();
    return points;
}

}  // namespace cospace
