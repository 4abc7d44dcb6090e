#pragma once
// 2-D projections of embedding vectors: PCA, t-SNE and UMAP behind one step-wise Projector.
//
// Usage (a GUI animates by calling run() in slices from a worker thread and drawing layout()):
//     auto p = Projector::create(vectors, options, &job);   // validates, builds kNN + affinities
//     while (!p->finished() && !job.cancelled()) { p->run(25); draw(p->layout()); }
// run(steps) performs at most `steps` more iterations (t-SNE gradient steps, UMAP epochs, PCA: one
// step) and returns early, leaving a consistent state, when the JobControl is cancelled; calling
// run() again continues. run(100) + run(100) gives exactly the layout of run(200).
//
// Input: an N x D row-major Matrix; rows are compared by cosine similarity (t-SNE, UMAP) and are
// L2-normalised internally; PCA uses the raw rows. N >= 3, D >= 2 (PCA: D >= 2), every value finite,
// otherwise std::runtime_error with a message saying what is wrong. Output: an N x 2 layout.
//
// Determinism: every method is seeded (options.seed) and repeatable on one machine.
//  - PCA: results do not depend on the thread count beyond BLAS round-off (~1e-6 relative).
//  - t-SNE and UMAP use an exact cosine kNN for N <= kExactKnnLimit (UMAP: kUmapExactKnnLimit),
//    identical for any thread count. Above it both use brute force within the 8 nearest of sqrt(N)
//    k-means clusters (more probes when the sampled recall is under 0.9): deterministic.
//  - t-SNE gradients are parallel but reduced in a fixed order: same result for any thread count.
//  - UMAP's spectral start and its SGD are parallel in a fixed partition (16 chunks of the edge
//    list, see umap.cpp): same result for any thread count.
// A Projector is not thread-safe: drive it from one thread at a time; layout() returns a reference
// that run() mutates.

#include "core/base/matrix.h"
#include "core/base/names.h"
#include "core/base/rowblocks.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace cospace {

class JobControl;

enum class ProjectionMethod { Pca, Tsne, Umap };
// The names users type and files store: umap, tsne (also t-sne), pca; case-insensitive.
inline constexpr EnumNames<ProjectionMethod, 4> kProjectionMethods{{{{ProjectionMethod::Umap, "umap"},
                                                                      {ProjectionMethod::Tsne, "tsne"},
                                                                      {ProjectionMethod::Tsne, "t-sne"},
                                                                      {ProjectionMethod::Pca, "pca"}}}};

// Brute-force (BLAS) kNN up to these many rows, from k-means clusters above (brute force grows as
// N^2): UMAP's 14 at 100k x 256 in 4.6 s instead of 34 s, the same trustworthiness@15 (0.9467 vs
// 0.9463, seed 1); t-SNE's 90 at 200k x 512 in 22 s instead of 90 s with the HNSW index used before,
// trustworthiness 0.9912 vs 0.9892. Measured (bench/projection/README.md).
inline constexpr int kExactKnnLimit = 25000;
inline constexpr int kUmapExactKnnLimit = 25000;
inline constexpr int kFftTsneMinRows = 10000;  // t-SNE switches to FFT interpolation here
// No t-SNE row moves farther than this in one iteration (openTSNE's max_step_norm): kNN hubs would
// otherwise be flung out in early exaggeration (tsne.cpp).
inline constexpr double kTsneMaxStepNorm = 5.0;

struct ProjectionOptions {
    ProjectionMethod method = ProjectionMethod::Umap;
    std::uint64_t seed = 1;
    int threads = 0;                 // 0 = the process default (omp_get_max_threads(): all cores,
                                     // or cospace-cli's --threads)

    // t-SNE (defaults follow openTSNE / the issue: perplexity 30, EE 12 for 250 iterations)
    double perplexity = 30.0;
    double earlyExaggeration = 12.0;
    int earlyExaggerationIterations = 250;
    int tsneIterations = 750;        // total, including the early-exaggeration phase
    double learningRate = 0.0;       // 0 = auto: max(N / 12, 50)
    double theta = 0.5;              // Barnes-Hut accuracy (0 = exact, slow)
    // Repulsive forces: Barnes-Hut (O(N log N) per iteration) or FFT-accelerated interpolation
    // (Linderman et al. 2019, "FIt-SNE"; O(N + grid) per iteration, faster for large N).
    enum class TsneGradient { Auto, BarnesHut, Fft };
    TsneGradient tsneGradient = TsneGradient::Auto;   // Auto: FFT from kFftTsneMinRows rows

    // UMAP (defaults follow umap-learn: n_neighbors 15, min_dist 0.1, spread 1, 5 negative samples)
    int nNeighbors = 15;
    double minDist = 0.1;
    double spread = 1.0;
    int umapEpochs = 0;              // 0 = auto: 500 for N <= 10000, else 200 (umap-learn's rule)
    int negativeSampleRate = 5;

    // Optional N x 2 starting layout (e.g. the previous checkpoint's, aligned): replaces t-SNE's PCA
    // and UMAP's spectral initialisation so an item moves smoothly between layouts. t-SNE then skips early
    // exaggeration and UMAP starts at kRefineLearningRate instead of 1, either of which would
    // otherwise tear the given arrangement apart.
    Matrix initial;
};

class Projector
{
public:
    // Validates the input and does all preparation (kNN graph, affinities, initial layout), reporting
    // progress through `job` (may be null; must outlive the Projector). Throws std::runtime_error.
    static std::unique_ptr<Projector> create(const Matrix &vectors, const ProjectionOptions &options,
                                             JobControl *job = nullptr);
    // The same, taking the rows over: t-SNE and UMAP normalise them in place instead of into a copy (at
    // 1M x 512 that copy is 2 GB of peak memory). `vectors` is left empty unless the method is PCA.
    static std::unique_ptr<Projector> create(Matrix &&vectors, const ProjectionOptions &options,
                                             JobControl *job = nullptr);
    // A finished projector over a layout computed earlier (e.g. read from a cache): no preparation,
    // no iterations; place() works as for the original (by kNN on `vectors`, also for PCA).
    // `layout` must be vectors.rows x 2 and finite; throws std::runtime_error otherwise.
    static std::unique_ptr<Projector> fromLayout(const Matrix &vectors, const Matrix &layout,
                                                 const ProjectionOptions &options);
    // The same over rows the caller keeps in blocks (a million-row workspace's mapped images and
    // captions: shared, not copied). They must not change while the projector lives; when any row is not
    // unit length all are normalised into a copy.
    static std::unique_ptr<Projector> fromLayout(RowBlocks vectors, const Matrix &layout,
                                                 const ProjectionOptions &options);
    virtual ~Projector() = default;

    virtual int run(int steps) = 0;          // returns the iteration reached
    virtual int iteration() const = 0;
    virtual int totalIterations() const = 0;
    bool finished() const { return iteration() >= totalIterations(); }
    virtual const Matrix &layout() const = 0;
    // recall@k of the kNN graph the layout was built on, against brute force on a seeded sample of
    // 256 rows (1 when the graph is exact); -1 where not measured (PCA).
    virtual double knnRecall() const { return -1; }

    // Out-of-sample placement: puts each row of `vectors` (M x D, same D) into the current layout
    // without moving the existing points, at the similarity-weighted mean of its k nearest input rows
    // (UMAP-style smooth-kNN weights, k = nNeighbors). A duplicate of an input row lands next to it.
    Matrix place(const Matrix &vectors) const;

protected:
    Projector(Matrix vectors, const ProjectionOptions &options);   // normalised into m_unitRows (empty for PCA)
    Projector(RowBlocks unitRows, const ProjectionOptions &options);
    std::shared_ptr<const Matrix> m_unitRows;
    const Matrix &m_unit;        // *m_unitRows: the L2-normalised input rows of create() (empty for PCA)
    RowBlocks m_placeRows;       // the unit rows place() searches: m_unit's, or fromLayout()'s blocks
    ProjectionOptions m_options;
};

// The neighbours per row of the kNN graph a method builds over `rows` rows (its knnRecall() is for
// these): t-SNE 3 x perplexity, UMAP n_neighbors - 1 (umap-learn counts the point itself), at most
// rows - 1; 0 for PCA.
int knnNeighbours(const ProjectionOptions &options, int rows);

// Runs a projector to the end. Throws JobCancelled if `job` is cancelled, std::runtime_error on bad input.
// `knnRecall`, when given, receives Projector::knnRecall().
Matrix project(const Matrix &vectors, const ProjectionOptions &options, JobControl *job = nullptr,
               double *knnRecall = nullptr);
// The same, taking the rows over (Projector::create(Matrix &&): no normalised copy).
Matrix project(Matrix &&vectors, const ProjectionOptions &options, JobControl *job = nullptr,
               double *knnRecall = nullptr);

// Throws std::runtime_error unless `vectors` is a usable N x D input (N >= 3, D >= 2, finite).
void validateProjectionInput(const Matrix &vectors, const char *what = "vectors");

// --- joint image + caption layouts -------------------------------------------------------------

// The modality gap: the Euclidean distance between the means of the L2-normalised rows of modality
// 0 (e.g. images) and modality 1 (captions); `modality[i]` is 0 or 1 for row i.
double modalityGap(const Matrix &vectors, const std::vector<int> &modality);
// The same for a table whose first `imageCount` rows are images and the rest captions (a workspace's),
// read where the rows are: no normalised copy of them all.
double modalityGap(const RowBlocks &vectors, int imageCount);

// "Centre each modality" (a visual aid, not a property of the model): L2-normalises every row and
// subtracts its modality's mean, removing the gap before projecting. Returns the gap it removed.
double centreModalities(Matrix &vectors, const std::vector<int> &modality);

}  // namespace cospace
