#include "ui/explorer/explorerengine.h"

#include "core/data/dataset.h"
#include "core/model/embeddingmodel.h"
#include "core/store/embeddingstore.h"
#include "core/store/embedpipeline.h"
#include "core/eval/evaluation.h"
#include "core/projection/layoutcache.h"
#include "core/eval/metrics.h"
#include "core/base/paths.h"
#include "core/projection/projection.h"
#include "core/base/runtime.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSet>

#include <cmath>
#include <optional>
#include <span>

namespace cospace {

namespace {

constexpr int kAnimationSlice = 10;        // projector iterations between map updates
constexpr int kAnimationIntervalMs = 150;  // at most this often

bool underAny(const QString &path, const QStringList &roots)
{
    for (const QString &root : roots) {
        const QString r = QDir::cleanPath(root);
        if (path == r || path.startsWith(r + u'/'))
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

// Layout coordinates scaled so the points cover about sqrt(N) x sqrt(N) units: one unit is then
// roughly the spacing of neighbours, which the map uses to size thumbnails. y points up.
struct MapTransform {
    double minX = 0, minY = 0, scale = 1;
    QPointF operator()(double x, double y) const { return {(x - minX) * scale, -(y - minY) * scale}; }
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
    return {minX, minY, std::sqrt(double(std::max(1, xy.rows))) / extent};
}

QList<QPointF> mapPositions(const Matrix &xy, const MapTransform &t)
{
    QList<QPointF> positions;
    positions.reserve(xy.rows);
    for (int i = 0; i < xy.rows; ++i)
        positions << t(xy.at(i, 0), xy.at(i, 1));
    return positions;
}

ProjectionMethod methodFor(const QString &name)
{
    if (name == u"pca")
        return ProjectionMethod::Pca;
    if (name == u"tsne")
        return ProjectionMethod::Tsne;
    return ProjectionMethod::Umap;
}

}  // namespace

int CollectionSnapshot::imageCount() const
{
    int n = 0;
    for (const Folder &f : folders)
        n += int(f.scan.images.size());
    return n;
}

CollectionSnapshot loadCollection(const Workspace &workspace)
{
    CollectionSnapshot snapshot;
    for (const QString &folder : workspace.folders)
        snapshot.folders.append({folder, scanImages(folder)});
    for (const QString &file : workspace.captionFiles)
        snapshot.captionFiles.append(readCaptionFile(file));
    return snapshot;
}

struct ExplorerEngine::State {
    QString modelSpec;
    std::unique_ptr<EmbeddingModel> model;
    std::unique_ptr<EmbeddingStore> store;
    std::unique_ptr<SearchIndex> images;    // this workspace's images
    std::unique_ptr<SearchIndex> captions;  // this workspace's captions (stored and typed)
    Matrix layoutVectors;                   // rows in map-point order
    QList<StoredItem> layoutItems;
    std::unique_ptr<Projector> projector;   // the finished layout, for placing queries on the map
    MapTransform transform;

    // Where a query vector lands on the current map (out-of-sample placement), if there is a map.
    std::optional<QPointF> place(std::span<const float> query) const
    {
        if (!projector)
            return std::nullopt;
        Matrix q(1, int(query.size()));
        std::copy(query.begin(), query.end(), q.data.begin());
        const Matrix xy = projector->place(q);
        return transform(xy.at(0, 0), xy.at(0, 1));
    }

    // Cosine of the query with every map point (the stored vectors are L2-normalised).
    QList<float> similarities(std::span<const float> query) const
    {
        QList<float> scores(layoutVectors.rows, 0.f);
        if (layoutVectors.cols != int(query.size()))
            return {};
        for (int i = 0; i < layoutVectors.rows; ++i) {
            const float *row = layoutVectors.row(i);
            float s = 0;
            for (int j = 0; j < layoutVectors.cols; ++j)
                s += row[j] * query[std::size_t(j)];
            scores[i] = s;
        }
        return scores;
    }
};

ExplorerEngine::ExplorerEngine(const QString &storePath)
    : m_storePath(storePath.isEmpty() ? paths::defaultStorePath() : storePath), d(std::make_unique<State>())
{
    qRegisterMetaType<cospace::JobProgress>();
    qRegisterMetaType<cospace::ExplorerLayout>();
    qRegisterMetaType<cospace::CollectionSnapshot>();
    qRegisterMetaType<QList<cospace::SearchHit>>();
    qRegisterMetaType<cospace::Workspace>();
    qRegisterMetaType<QList<QPointF>>();
    qRegisterMetaType<QList<cospace::MapPoint>>();
    qRegisterMetaType<QList<float>>();
    m_job = std::make_shared<JobControl>();
}

ExplorerEngine::~ExplorerEngine()
{
    cancel();
    m_thread.quit();
    m_thread.wait();
}

void ExplorerEngine::start()
{
    moveToThread(&m_thread);
    connect(&m_thread, &QThread::started, this, [] { initWorkerThread(); });
    m_thread.start();
}

void ExplorerEngine::cancelRunning()
{
    std::lock_guard lock(m_jobMutex);
    m_job->cancel();
}

void ExplorerEngine::cancel()
{
    m_cancelledThrough = m_latestOpen.load();
    cancelRunning();
}

std::shared_ptr<JobControl> ExplorerEngine::newJob()
{
    auto job = std::make_shared<JobControl>([this](const JobProgress &p) { Q_EMIT progress(p); });
    std::lock_guard lock(m_jobMutex);
    m_job = job;
    return job;
}

void ExplorerEngine::invokeOpen(const Workspace &workspace, quint64 generation)
{
    cancelRunning();   // a new workspace supersedes whatever is running
    m_latestOpen = generation;
    QMetaObject::invokeMethod(this, "open", Qt::QueuedConnection, Q_ARG(cospace::Workspace, workspace),
                              Q_ARG(quint64, generation));
}

void ExplorerEngine::invokeSearch(const QString &prompt, quint64 queryId, int k)
{
    QMetaObject::invokeMethod(this, "search", Qt::QueuedConnection, Q_ARG(QString, prompt), Q_ARG(quint64, queryId),
                              Q_ARG(int, k));
}

void ExplorerEngine::invokeMatchImage(const QString &path, quint64 queryId, int k)
{
    QMetaObject::invokeMethod(this, "matchImage", Qt::QueuedConnection, Q_ARG(QString, path),
                              Q_ARG(quint64, queryId), Q_ARG(int, k));
}

void ExplorerEngine::invokeMatchItem(int pointIndex, quint64 queryId, int k)
{
    QMetaObject::invokeMethod(this, "matchItem", Qt::QueuedConnection, Q_ARG(int, pointIndex),
                              Q_ARG(quint64, queryId), Q_ARG(int, k));
}

bool ExplorerEngine::ensureModel(const QString &spec, quint64 id)
{
    if (d->model && d->modelSpec == spec)
        return true;
    try {
        d->model = loadModel(spec);
        d->modelSpec = spec;
        return true;
    } catch (const std::exception &e) {
        d->model.reset();
        d->modelSpec.clear();
        Q_EMIT failed(id, QString::fromUtf8(e.what()));
        return false;
    }
}

void ExplorerEngine::open(const Workspace &workspace, quint64 generation)
{
    const std::shared_ptr<JobControl> job = newJob();
    if (generation <= m_cancelledThrough)
        job->cancel();
    d->images.reset();
    d->projector.reset();
    d->captions.reset();
    // 0. What is on disk, for the window at once (also when a later step fails) and for the embedding.
    CollectionSnapshot snapshot;
    QString scanError;
    try {
        job->setStage(tr("scanning %n folder(s)", nullptr, int(workspace.folders.size())));
        snapshot = loadCollection(workspace);
    } catch (const std::exception &e) {
        scanError = QString::fromUtf8(e.what());
    }
    Q_EMIT collectionScanned(generation, snapshot);
    try {
        if (!scanError.isEmpty())
            throw std::runtime_error(scanError.toStdString());
        job->setStage(tr("loading model %1").arg(workspace.model));
        if (!ensureModel(workspace.model, generation)) {
            Q_EMIT idle();
            return;
        }
        if (!d->store)
            d->store = std::make_unique<EmbeddingStore>(m_storePath);
        EmbeddingModel &model = *d->model;
        const qint64 modelId = d->store->ensureModel(model.fingerprint(), model.name(), model.embedDim());

        // 1. Embed what the store lacks (cached otherwise): images of every folder, each captions file.
        ExplorerLayout layout;
        EmbedParams params;
        params.roots = workspace.folders;
        if (snapshot.folders.size() == workspace.folders.size())
            for (const CollectionSnapshot::Folder &folder : std::as_const(snapshot.folders))
                params.scans.append(folder.scan);
        params.captionsFile = workspace.captionFiles.value(0);
        QList<SkippedFile> skipped = runEmbedding(model, *d->store, params, job.get()).skipped;
        for (qsizetype i = 1; i < workspace.captionFiles.size(); ++i) {
            EmbedParams more;
            more.captionsFile = workspace.captionFiles[i];
            skipped += runEmbedding(model, *d->store, more, job.get()).skipped;
        }
        for (const SkippedFile &s : skipped) {
            layout.skippedText << u"%1: %2"_qs.arg(QFileInfo(s.path).fileName(), s.reason);
            layout.skippedPaths << s.path;
            layout.skippedReasons << (s.detail.isEmpty() ? s.reason : s.reason + u" — "_qs + s.detail);
        }
        layout.skipped = int(skipped.size());

        // 2. This workspace's vectors: images under its folders, captions of its files, typed captions.
        job->setStage(tr("loading vectors"));
        const StoredSet all = d->store->load(modelId);
        QSet<QString> sources;
        for (const QString &f : workspace.captionFiles)
            sources.insert(QFileInfo(f).absoluteFilePath());
        StoredSet images = filterSet(all, [&](const StoredItem &i) {
            return i.modality == Modality::Image && underAny(i.path, workspace.folders);
        });
        StoredSet captions = filterSet(all, [&](const StoredItem &i) {
            return i.modality == Modality::Caption && sources.contains(i.source);
        });
        if (!workspace.captions.isEmpty()) {
            const Matrix typed = model.encodeTexts(workspace.captions);
            for (int i = 0; i < typed.rows; ++i) {
                StoredItem item;
                item.modality = Modality::Caption;
                item.caption = workspace.captions[i];
                item.source = u"typed"_qs;
                captions.items << item;
            }
            captions.vectors.data.insert(captions.vectors.data.end(), typed.data.begin(), typed.data.end());
            captions.vectors.rows += typed.rows;
            captions.vectors.cols = model.embedDim();
        }

        // 3. Map points and the joint matrix to project.
        d->layoutItems = images.items + captions.items;
        d->layoutVectors = Matrix(0, model.embedDim());
        for (const StoredSet *set : {&images, &captions})
            d->layoutVectors.data.insert(d->layoutVectors.data.end(), set->vectors.data.begin(), set->vectors.data.end());
        d->layoutVectors.rows = images.vectors.rows + captions.vectors.rows;
        for (const StoredItem &item : d->layoutItems) {
            MapPoint p;
            p.kind = item.modality == Modality::Image ? MapPoint::Image : MapPoint::Caption;
            p.path = item.path;
            p.text = item.modality == Modality::Image ? QFileInfo(item.path).fileName() : item.caption;
            layout.points << p;
        }
        // Ground-truth pairs: a caption from a paired file names its image; mark whether that image
        // is the model's rank-1 match for the caption (pessimistic about ties, as in metrics.h).
        {
            QHash<QString, int> imagePoint;
            for (int i = 0; i < images.items.size(); ++i)
                imagePoint.insert(images.items[i].path, i);
            std::vector<int> owner;
            QList<int> pointOf;
            Matrix paired(0, model.embedDim());
            for (int c = 0; c < captions.items.size(); ++c) {
                const auto it = imagePoint.constFind(captions.items[c].path);
                if (captions.items[c].path.isEmpty() || it == imagePoint.constEnd())
                    continue;
                owner.push_back(*it);
                pointOf << int(images.items.size()) + c;
                paired.data.insert(paired.data.end(), captions.vectors.row(c), captions.vectors.row(c) + paired.cols);
                ++paired.rows;
            }
            if (paired.rows > 0) {
                const std::vector<int> ranks = textToImageRanks(images.vectors, paired, owner);
                for (std::size_t k = 0; k < ranks.size(); ++k) {
                    MapPoint &p = layout.points[pointOf[int(k)]];
                    p.partner = owner[k];
                    p.rankOne = ranks[k] == 1;
                }
            }
        }
        std::vector<int> modality;
        for (const StoredItem &item : d->layoutItems)
            modality.push_back(item.modality == Modality::Image ? 0 : 1);
        if (images.vectors.rows > 0 && captions.vectors.rows > 0)
            layout.modalityGap = modalityGap(d->layoutVectors, modality);
        layout.modelName = model.name();
        layout.modelSource = model.source();
        layout.modelRunsCode = model.describe().value(u"runs_code"_qs).toBool(true);
        layout.method = workspace.method;

        // 4. Indexes for search and matching.
        if (images.vectors.rows > 0)
            d->images = std::make_unique<SearchIndex>(std::move(images));
        if (captions.vectors.rows > 0)
            d->captions = std::make_unique<SearchIndex>(std::move(captions));

        // 5. Project: from the layout cache when this exact input was projected before, otherwise
        //    animating (the map follows the layout as it converges), then cached.
        if (d->layoutVectors.rows >= 3) {
            ProjectionOptions options;
            options.method = methodFor(workspace.method);
            const QString key = layoutCacheKey(d->layoutVectors, options);
            if (const std::optional<Matrix> cached = readCachedLayout(key, d->layoutVectors.rows)) {
                d->projector = Projector::fromLayout(d->layoutVectors, *cached, options);
                layout.cachedLayout = true;
            } else {
                project(options, generation, layout, *job);
                writeCachedLayout(key, d->projector->layout());
            }
            d->transform = mapTransform(d->projector->layout());
            const QList<QPointF> positions = mapPositions(d->projector->layout(), d->transform);
            for (int i = 0; i < positions.size(); ++i)
                layout.points[i].pos = positions[i];
        }
        job->finish();
        Q_EMIT layoutReady(generation, layout);
    } catch (const JobCancelled &) {
        Q_EMIT failed(generation, tr("Cancelled."));
    } catch (const std::exception &e) {
        Q_EMIT failed(generation, QString::fromUtf8(e.what()));
    }
    Q_EMIT idle();
}

void ExplorerEngine::project(const ProjectionOptions &options, quint64 generation, const ExplorerLayout &layout,
                             JobControl &job)
{
    job.setStage(tr("projecting %1 points (%2)").arg(d->layoutVectors.rows).arg(layout.method.toUpper()));
    d->projector = Projector::create(d->layoutVectors, options, &job);
    Projector *projector = d->projector.get();
    {
        // The points themselves once, at the starting layout; then only positions.
        d->transform = mapTransform(projector->layout());
        const QList<QPointF> start = mapPositions(projector->layout(), d->transform);
        QList<MapPoint> points = layout.points;
        for (int i = 0; i < points.size(); ++i)
            points[i].pos = start[i];
        Q_EMIT layoutBegun(generation, points);
    }
    QElapsedTimer sinceEmit;
    sinceEmit.start();
    while (!projector->finished()) {
        if (job.cancelled())
            throw JobCancelled{};
        projector->run(kAnimationSlice);
        if (sinceEmit.elapsed() >= kAnimationIntervalMs && !projector->finished()) {
            sinceEmit.restart();
            d->transform = mapTransform(projector->layout());
            Q_EMIT layoutStep(generation, mapPositions(projector->layout(), d->transform));
        }
    }
}

void ExplorerEngine::search(const QString &prompt, quint64 queryId, int k)
{
    if (!d->model || !d->images) {
        Q_EMIT failed(queryId, tr("No images to search yet: open a folder and wait for it to be embedded."));
        return;
    }
    try {
        const std::vector<float> query = encodePrompt(*d->model, prompt);
        Q_EMIT searchResults(queryId, prompt, d->images->search(query, k));
        if (const std::optional<QPointF> at = d->place(query))
            Q_EMIT queryPlaced(queryId, *at, prompt);
        Q_EMIT querySimilarities(queryId, d->similarities(query), prompt);
    } catch (const std::exception &e) {
        Q_EMIT failed(queryId, QString::fromUtf8(e.what()));
    }
}

void ExplorerEngine::matchImage(const QString &path, quint64 queryId, int k)
{
    if (!d->model || !d->captions) {
        Q_EMIT failed(queryId, tr("No captions to match yet: load or type captions first."));
        return;
    }
    try {
        const Matrix e = d->model->encodeImages({readImageFile(path, 2 * d->model->imageSize())});
        Q_EMIT matchResults(queryId, QFileInfo(path).fileName(), d->captions->search(e.rowSpan(0), k));
        if (const std::optional<QPointF> at = d->place(e.rowSpan(0)))
            Q_EMIT queryPlaced(queryId, *at, QFileInfo(path).fileName());
        Q_EMIT querySimilarities(queryId, d->similarities(e.rowSpan(0)), QFileInfo(path).fileName());
    } catch (const std::exception &e) {
        Q_EMIT failed(queryId, QString::fromUtf8(e.what()));
    }
}

void ExplorerEngine::matchItem(int pointIndex, quint64 queryId, int k)
{
    if (pointIndex < 0 || pointIndex >= d->layoutItems.size())
        return;
    const StoredItem &item = d->layoutItems[pointIndex];
    // An image is matched against captions, a caption against images: the cross-modal view.
    const SearchIndex *target = item.modality == Modality::Image ? d->captions.get() : d->images.get();
    if (!target)
        return;
    const QString title = item.modality == Modality::Image ? QFileInfo(item.path).fileName() : item.caption;
    Q_EMIT matchResults(queryId, title, target->search(d->layoutVectors.rowSpan(pointIndex), k));
}

}  // namespace cospace
