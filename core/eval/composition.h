#pragma once
// Does the space bind attributes? A compositional probe (issue #22): for each image-caption pair,
// hard negatives made by swapping words inside the caption, and whether the image scores its true
// caption above each swap (Winoground, Thrush et al. 2022; ARO, Yuksekgonul et al. 2023: contrastive
// models often treat a caption as a bag of words, and Recall@K never shows it).
//
// Swap kinds, on "a small red circle left of a large blue square":
//   colour    the two colours trade places   "a small blue circle left of a large red square"
//   size      the two sizes trade places     "a large red circle left of a small blue square"
//   shape     the two shapes trade places    "a small red square left of a large blue circle"
//   relation  left of <-> right of, above <-> below
//   order     the two objects trade places, the relation kept: "a large blue square left of a small
//             red circle" (it says what the relation swap says, in other words: a test of word order)
// Captions in the shapes demo's grammar (core/data/shapesdemo.h: "[a|an] [small|large] COLOUR SHAPE
// (left of|right of|above|below|and) [a|an] [small|large] COLOUR SHAPE", case-insensitive, an optional
// final full stop) get every kind that changes the meaning: "X and Y" has no relation and no order,
// and a kind whose swap would leave the text unchanged (two red shapes) is left out. Other text gets a
// small rule set: exactly two different colour words trade places (colour), exactly two different
// size words (size), and exactly one of "left of", "right of", "above", "below" flips (relation).
// A caption without any swap is "unswappable" and counted, never guessed at.
//
// Scores are cosines of L2-normalised embeddings. A trial is correct when the image scores its true
// caption strictly above the swap (a tie is a failure, as ties count against the query in metrics.h).
// Accuracy per kind comes with its count and a Wilson score 95% interval; the text-only control is
// the mean cosine between the true and the swapped caption's text embeddings (near 1: the text tower
// itself barely tells them apart, so the image tower cannot be blamed alone).
//
// Everything here is pure and thread-safe except probeComposition(), which runs a model (see
// embeddingmodel.h: one thread per model instance).

#include "core/base/job.h"
#include "core/base/matrix.h"
#include "core/data/captionfile.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <array>
#include <vector>

namespace cospace {

class EmbeddingModel;

enum class SwapKind { Colour, Size, Shape, Relation, Order };
inline constexpr int kSwapKindCount = 5;
QString swapKindName(SwapKind kind);                 // "colour", "size", "shape", "relation", "order"
bool parseSwapKind(const QString &name, SwapKind *kind);

struct CaptionSwap {
    SwapKind kind = SwapKind::Colour;
    QString text;
};

// The swaps of one caption, at most one per kind, in kind order; empty = unswappable.
QList<CaptionSwap> captionSwaps(const QString &caption);

// Wilson score interval of a binomial proportion (successes of n trials); z = 1.96 gives 95%.
// n = 0 gives [0, 1].
struct Interval {
    double lo = 0;
    double hi = 1;
};
inline constexpr double kZ95 = 1.959963984540054;   // the normal distribution's 97.5% quantile
Interval wilsonInterval(int successes, int n, double z = kZ95);

// The swaps of a list of captions, flattened: swap s belongs to caption caption[s].
struct SwapPlan {
    QStringList captions;          // as given
    std::vector<int> caption;      // per swap
    std::vector<SwapKind> kind;    // per swap
    QStringList text;              // per swap
    int unswappable = 0;           // captions without any swap
    bool empty() const { return text.isEmpty(); }
};
SwapPlan planSwaps(const QStringList &captions);

struct CompositionTrial {
    QString image;                 // path or name, for reports
    QString caption;
    QString swapped;
    SwapKind kind = SwapKind::Colour;
    float trueScore = 0;           // cos(image, caption)
    float swappedScore = 0;        // cos(image, swapped)
    float textCosine = 0;          // cos(caption, swapped), the text-only control
    bool correct() const { return trueScore > swappedScore; }
};

struct KindSummary {
    int n = 0;
    int correct = 0;
    double accuracy = 0;           // correct / n (0 when n = 0)
    Interval ci95;
    double textCosine = 0;         // mean over the trials (0 when n = 0)
};

struct CompositionResult {
    std::array<KindSummary, kSwapKindCount> kinds;
    int captions = 0;              // captions probed
    int unswappable = 0;
    std::vector<CompositionTrial> trials;

    const KindSummary &kind(SwapKind k) const { return kinds[std::size_t(k)]; }
    bool empty() const { return trials.empty(); }
    // Trials ordered worst first: by trueScore - swappedScore ascending (failures first).
    std::vector<CompositionTrial> worst(int limit) const;
    // The `cospace-cli composition --json` object:
    // {"kinds": {"colour": {"n", "accuracy", "ci95": [lo, hi]}, ...all five}, "unswappable",
    //  "text_cosine": {kind: mean, ...}, "examples": [{"image", "caption", "swapped", "kind",
    //  "true_score", "swapped_score"}, ...]} with the `examples` worst trials. A kind without trials
    //  has accuracy null.
    QJsonObject toJson(int examples) const;
    // {kind: accuracy} for the kinds with trials (the "composition" of a metrics.jsonl line).
    QJsonObject accuracies() const;
    // Reads toJson()'s object back (the kinds and examples; lenient: missing fields stay empty).
    static CompositionResult fromJson(const QJsonObject &json);
};

// Scores a plan. images: one row per image; captions: one row per plan caption; swaps: one row per
// plan swap; captionImage[c] = the row of caption c's image (-1 = none: its swaps are skipped);
// imageNames[row] names an image in the trials. All rows L2-normalised, one dimension.
// Throws std::invalid_argument when the shapes disagree.
CompositionResult scoreComposition(const SwapPlan &plan, const Matrix &images, const Matrix &captions,
                                   const Matrix &swaps, const std::vector<int> &captionImage,
                                   const QStringList &imageNames);

// The probe of a model on paired data: embeds the images, captions and swaps (images that cannot be
// decoded are skipped, in `skipped`), then scores. Blocks; cancellable (JobCancelled).
struct CompositionProbe {
    CompositionResult result;
    QList<ParseIssue> skipped;
};
CompositionProbe probeComposition(EmbeddingModel &model, const CaptionFile &pairs, JobControl *job = nullptr);

}  // namespace cospace
