#pragma once
// The explorer's main job, workspace -> map, and the queries on the map it leaves behind. The GUI's
// ExplorerEngine runs it on its worker thread; `cospace-cli layout` runs it headless: both get the
// same points at the same places.
//
// open() walks the pipeline, with progress and cancel at every stage:
//   scan folders, read caption files  (params.scanned is called here, also when a later step fails)
//   load the model (kept while the spec stays the same), open the store
//   embed what the store lacks (store/embedpipeline.h), gather this workspace's vectors
//   project, or take the layout from the layout cache (projection/layoutcache.h)
//   scale to map coordinates, align to the previous map (2-D Procrustes) when one is given.
// Map coordinates: the layout scaled so its larger side spans sqrt(N) units (one unit is about the
// spacing of neighbours, which the map uses to size thumbnails), y up.
//
// Errors are exceptions naming the file or the stage ("photo.tsv: ...", "model.pt: ..."), turned into
// values at the job boundary (base/jobrunner.h); JobCancelled when the JobControl was cancelled.
// Not thread-safe: one thread drives a session (the model it holds is not thread-safe either).

#include "core/explorer/collection.h"
#include "core/explorer/mappoint.h"
#include "core/projection/projection.h"
#include "core/search/rerank.h"
#include "core/search/search.h"
#include "core/store/embedpipeline.h"

#include <QList>
#include <QPointF>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace cospace {

class EmbeddingModel;
class JobControl;

struct WorkspaceJobParams {
    Workspace workspace;
    QList<MapPoint> previous;        // the map shown before: the new one is aligned to it (>= 3 shared items)
    bool useLayoutCache = true;
    QString layoutCacheDir;          // empty: the default folder
    int animationIntervalMs = 150;   // at most this often layoutStep while projecting
    // Optional, called on the job's thread:
    std::function<void(const CollectionSnapshot &)> scanned;
    std::function<void(const QList<MapPoint> &)> layoutBegun;   // projecting: the points at the start
    std::function<void(const QList<QPointF> &)> layoutStep;     // ... and positions as it converges
};

struct WorkspaceLayout {
    QList<MapPoint> points;          // images, then captions of files, then typed captions
    QList<MapPoint> projected;       // the same before the alignment to `previous`
    QString modelName;
    QString modelSource;
    bool modelRunsCode = true;       // TorchScript bundles and checkpoints; false for weights files
    ProjectionMethod method = ProjectionMethod::Umap;
    double modalityGap = 0;
    QList<SkippedFile> skipped;      // files the embedding could not read
    bool cachedLayout = false;       // the layout came from the layout cache
};

// A text or image query against the opened workspace.
struct QueryResult {
    QString label;                    // the prompt, or the image's file name
    QList<SearchHit> hits;
    std::optional<QPointF> position;  // where the query lands on the map (out-of-sample placement)
    QList<float> similarities;        // its cosine with every map point, in point order
};

class WorkspaceSession
{
public:
    using ModelLoader = std::function<std::unique_ptr<EmbeddingModel>(const QString &spec)>;
    // storePath empty: the default store. `loader` turns Workspace::model into a model (loadModel()
    // unless a test supplies its own).
    explicit WorkspaceSession(QString storePath = {}, ModelLoader loader = {});
    ~WorkspaceSession();

    WorkspaceLayout open(const WorkspaceJobParams &params, JobControl &job);
    bool hasMap() const;

    // Ranks the workspace's images for a prompt (search.h syntax), or its captions for an image file.
    // Throw std::runtime_error when there is nothing to search yet.
    QueryResult search(const QString &prompt, int k);
    QueryResult matchImage(const QString &path, int k);
    // The cross-modal matches of a map point: captions for an image, images for a caption.
    QueryResult matchPoint(int index, int k);

    // The typed captions changed (Workspace::captions): new ones are embedded and placed on the
    // current map out-of-sample, removed ones leave it; nothing is projected again. Returns the
    // map's new points, or nullopt when there is no map yet (then open() again).
    std::optional<QList<MapPoint>> updateTypedCaptions(const QStringList &captions);

    // Hubness correction of search() and the matches (search/rerank.h), with the workspace's other
    // modality as the query bank: its captions for a text -> image search, its images for image -> text.
    void setRerank(Rerank method);
    Rerank rerank() const;

    // For analysis jobs run on the session's thread (analysis/, semantic axes): the loaded model (null
    // before the first open) and this workspace's items and vectors, in map-point order (images first).
    struct MapData {
        EmbeddingModel *model = nullptr;
        const QList<StoredItem> *items = nullptr;
        const RowBlocks *vectors = nullptr;   // images then captions; a big modality's are mapped
        int imageCount = 0;
    };
    MapData mapData() const;

private:
    struct State;
    std::unique_ptr<State> d;
};

}  // namespace cospace
