#pragma once
// Near-duplicates and outliers of a set of images (`cospace-cli duplicates`, the Duplicates panel).
//
// Groups: images whose embeddings have cosine >= threshold with another member (connected
// components of the threshold graph, found by an exact FAISS range search), merged with exact
// duplicates (identical file content, SHA-256). A group's min_similarity is the lowest cosine
// between any two of its members (so a chain a~b~c shows how far a and c are apart); `exact` when
// every member has the same content.
// Outliers: the images least like any other, scored by the mean cosine distance (1 - cos) to their
// k nearest other images, highest first.
//
// Nothing here deletes or moves a file. Pure functions of their inputs except fileHashes() (reads
// the files). Thread-safe. Throws std::invalid_argument on mismatched sizes.

#include "core/base/matrix.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QStringList>

namespace cospace {

class JobControl;

// The default threshold, measured with bench/duplicates/measure.py (README "Near-duplicates and
// outliers"): on 316 emoji of the demo under the default model, every copy re-encoded as JPEG
// (quality 75, min cosine 0.976), resized to half (0.980) or cropped by 10% (0.952) scores >= 0.95 with
// its original; 16.5% of the demo's images have a *different* emoji that close (skin-tone variants,
// flags of the same colours: near-duplicates of a kind). Other models need their own value (--threshold).
inline constexpr float kDefaultDuplicateThreshold = 0.95f;
inline constexpr int kOutlierNeighbours = 5;
inline constexpr int kDefaultOutlierCount = 20;

struct DuplicateParams {
    float threshold = kDefaultDuplicateThreshold;
    int outlierNeighbours = kOutlierNeighbours;
    int outlierCount = kDefaultOutlierCount;   // how many outliers to report (0: none)
};

struct DuplicateGroup {
    QList<int> members;        // rows, ascending
    float minSimilarity = 1;
    bool exact = false;
};

struct Outlier {
    int row = 0;
    float score = 0;           // mean cosine distance to the k nearest other images
};

struct DuplicateResult {
    QList<DuplicateGroup> groups;   // largest first, then by first member
    QList<Outlier> outliers;        // highest score first
    // {"groups": [{"paths", "min_similarity", "exact"}], "outliers": [{"path", "score"}]}
    QJsonObject toJson(const QStringList &paths) const;
};

// SHA-256 of each file's content (empty for a file that cannot be read), advancing `job` per file.
QList<QByteArray> fileHashes(const QStringList &paths, JobControl *job = nullptr);

// `vectors`: unit rows; `hashes`: one per row or empty (then no exact groups).
DuplicateResult findDuplicates(MatrixView vectors, const QList<QByteArray> &hashes,
                               const DuplicateParams &params = {}, JobControl *job = nullptr);

}  // namespace cospace
