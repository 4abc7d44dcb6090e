#pragma once
// What the training inspector shows about one epoch's probe set, computed headlessly.
//
// Input: the trainer's probe embeddings (RunFolder::probeEmbeddings): P image rows, then P caption
// rows, caption i written for image i, rows L2-normalised. Ranks follow metrics.h (1-based,
// pessimistic about ties).
//
// SpaceTimeline turns the epochs' probe embeddings into 2-D layouts that move smoothly: each epoch is
// projected (PCA, or t-SNE/UMAP initialised from the previous epoch's layout) and then aligned to the
// previous layout by 2-D similarity Procrustes (alignment.h). Layouts are scaled so neighbouring
// points sit about one unit apart (what MapView expects). Deterministic for the same inputs.
//
// Errors: std::runtime_error on malformed input (odd row count, fewer than 3 pairs for layouts).
// Thread-safety: plain values and functions, reentrant; one SpaceTimeline per thread at a time.

#include "core/eval/metrics.h"
#include "core/projection/projection.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace cospace {

class JobControl;
struct ProbePair;

struct ProbeAnalysis {
    int pairs = 0;                    // P
    Matrix similarity;                // P x P cosine: row = caption, column = image
    std::vector<int> captionRank;     // text->image: rank of caption i's own image among the P images
    std::vector<int> imageRank;       // image->text: rank of image j's own caption among the P captions
    std::vector<int> topImage;        // caption i's rank-1 image
    std::vector<int> kOccurrence1;    // image j: captions whose rank-1 image is j (hubness, k = 1)
    std::vector<int> kOccurrence5;    // image j: captions that have j in their top 5
    RetrievalMetrics metrics;         // computeRetrievalMetrics on the probe pairs
    std::vector<int> captionText;     // equal ids = identical caption texts (empty: all distinct)

    // The k images most similar to caption i that are wrong for it (hard negatives), best first:
    // neither its own image nor one whose caption has the same text.
    std::vector<int> impostors(int caption, int k) const;
    // Captions ranked by similarity to image j, best first (at most k).
    std::vector<int> rankedCaptions(int image, int k) const;
    // Images whose k-occurrence (k = 1) is at least `minimum`, most frequent first.
    std::vector<int> hubs(int minimum = 2) const;
};

// `pairs` (RunFolder::probePairs(), optional): their caption texts decide which captions are
// identical, and those count as correct for each other's images, as in metrics.h — in the ranks,
// the metrics and the impostors alike. Ignored unless there is one pair per embedding pair.
// Throws std::runtime_error on an odd row count or fewer than 2 rows.
ProbeAnalysis analyseProbe(const Matrix &embeddings, const QList<ProbePair> &pairs = {});

// Probe pairs two runs have in common (the same image file and caption text), as (row in a, row in
// b), in a's order: what lets two runs' probe sets be compared even when one was written by another
// program (a relative or un-normalised path, caption whitespace collapsed) or lists the pairs in
// another order. Image paths are compared resolved (symbolic links followed where the file exists).
std::vector<std::pair<int, int>> sharedProbePairs(const QList<ProbePair> &a, const QList<ProbePair> &b);
// The 2P x D probe embeddings restricted to the given pairs, in that order (images, then captions).
Matrix probeSubset(const Matrix &embeddings, const std::vector<int> &pairs);

// The mean of rows [first, first + count) of a layout (N x 2): a modality's centroid on the map.
std::pair<float, float> layoutCentroid(const Matrix &layout, int first, int count);

class SpaceTimeline
{
public:
    explicit SpaceTimeline(ProjectionMethod method = ProjectionMethod::Pca, std::uint64_t seed = 1);

    // Projects the next epoch's 2P x D embeddings and aligns the result to the previous layout.
    // Throws std::runtime_error (bad input) or JobCancelled.
    const Matrix &append(const Matrix &embeddings, JobControl *job = nullptr);
    int size() const { return int(m_layouts.size()); }
    const Matrix &layout(int index) const { return m_layouts.at(std::size_t(index)); }
    ProjectionMethod method() const { return m_method; }

private:
    ProjectionMethod m_method;
    std::uint64_t m_seed;
    std::vector<Matrix> m_layouts;
};

}  // namespace cospace
