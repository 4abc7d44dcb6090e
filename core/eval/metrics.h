#pragma once
// Retrieval and geometry metrics of a shared space, given L2-normalised embeddings of images and
// captions and, for each caption, the index of its image.
//
// Ranks are 1-based and pessimistic about ties: an item scoring exactly as high as the correct
// one counts as ranked above it.
//   image -> text  one query per image; its rank is that of the best-ranked of its own captions
//                  among all captions (its other captions are not counted as competitors)
//   text -> image  one query per caption; the rank of its image among all images
// Identical caption texts (optional `captionText`: equal ids = equal text) make a caption correct for
// every image it was written for: the same caption under two art styles of one emoji ranks either
// image as a hit (the losses mask such duplicates too). Without text ids every caption is distinct.
// R@K = fraction of queries with rank <= K. RSUM = the six recalls in percent, summed (0..600).
// alignment  = mean ||t - i||^2 over matched pairs (Wang & Isola 2020, alpha = 2)
// uniformity = mean over both modalities of log mean_{x != y} exp(-2 ||x - y||^2) (t = 2), on
//              at most 4096 evenly spaced items per modality
// modality gap = || mean(images) - mean(captions) ||
// cosMatched = mean cosine of matched pairs; cosRandom = mean cosine of all unmatched pairs.

#include "core/base/matrix.h"

#include <QJsonObject>
#include <QStringList>

#include <functional>
#include <vector>

namespace cospace {

class JobControl;

struct RankSummary {
    double r1 = 0, r5 = 0, r10 = 0;
    double medianRank = 0, meanRank = 0;
    QJsonObject toJson() const;   // {"R@1", "R@5", "R@10", "median_rank", "mean_rank"}
};

struct RetrievalMetrics {
    int nImages = 0;
    int nCaptions = 0;
    RankSummary i2t, t2i;
    double rsum = 0;
    double alignment = 0;
    double uniformity = 0;
    double modalityGap = 0;
    double cosMatched = 0;
    double cosRandom = 0;
    QJsonObject toJson() const;   // the keys `cospace-cli eval --json` prints
};

std::vector<int> imageToTextRanks(const Matrix &images, const Matrix &captions, const std::vector<int> &captionImage,
                                  const std::vector<int> &captionText = {});
// Text -> image ranks read the images where they are (a map's mapped rows); with `job`, progress per
// 1024 captions and JobCancelled on cancel. Both directions cost captions x images products: ~1 min for
// 100k pairs on 2 cores, hours for 1M (rankedFirst below bounds the map's check).
std::vector<int> textToImageRanks(MatrixView images, const Matrix &captions, const std::vector<int> &captionImage,
                                  const std::vector<int> &captionText = {}, JobControl *job = nullptr);
RankSummary summariseRanks(std::vector<int> ranks);

// Whether each caption's own images rank first for it among `images` (pessimistic about ties, as the
// ranks): what the map's pair lines colour. Exact (textToImageRanks) while captions x images <=
// `exactPairs`; beyond, approximate at a fraction of the cost: the images in sqrt(N) spherical k-means
// clusters, each caption compared with its own images and the members of its kPairProbes nearest
// clusters only — an image elsewhere that beats the caption's own goes unseen, so the answer errs only
// towards "first". Deterministic; progress per cluster, JobCancelled on cancel.
inline constexpr double kExactPairChecks = 2e9;   // ~13 s of exact ranking on 2 cores
inline constexpr int kPairProbes = 8;
std::vector<char> rankedFirst(MatrixView images, const Matrix &captions, const std::vector<int> &captionImage,
                              const std::vector<int> &captionText = {}, JobControl *job = nullptr,
                              double exactPairs = kExactPairChecks);

// Throws std::invalid_argument when the shapes disagree or a caption names no image.
RetrievalMetrics computeRetrievalMetrics(const Matrix &images, const Matrix &captions,
                                         const std::vector<int> &captionImage,
                                         const std::vector<int> &captionText = {});
// The same with the scores re-ranked before ranking (search/rerank.h, `eval --rerank`): each adjust
// receives a block of raw cosines, `rows` queries x every target, row-major, and rewrites it in
// place (higher = better). Empty = plain cosine. Geometry metrics always use the raw cosines.
using ScoreAdjust = std::function<void(float *scores, int rows, int cols)>;
RetrievalMetrics computeRetrievalMetrics(const Matrix &images, const Matrix &captions,
                                         const std::vector<int> &captionImage, const std::vector<int> &captionText,
                                         const ScoreAdjust &i2tAdjust, const ScoreAdjust &t2iAdjust);
// Text ids for captionText: equal strings get equal ids.
std::vector<int> textIds(const QStringList &texts);

}  // namespace cospace
