#pragma once
// Private (includes OpenCV): the trainer's data — paired rows read from datasets or caption files,
// the distinct images decoded once and cached, the split by image, the probe set, and the batches
// made from them. Split, probe and every batch are functions of (seed, epoch, position), never of
// thread timing, so a resumed run sees the same data as an uninterrupted one.

#include "core/base/job.h"
#include "core/data/captionfile.h"
#include "core/model/sharedspaceconfig.h"

#include <QStringList>

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <vector>

namespace cospace::detail {

// A stable hash of three numbers (seeds, epochs, positions) for seeding generators.
quint64 mix(quint64 a, quint64 b, quint64 c);

struct Batch {
    std::vector<float> images;      // B * 3 * S * S
    std::vector<int64_t> tokens;    // B * context
    std::vector<int64_t> imageIds;
    std::vector<int64_t> captionIds;
    int size = 0;
    // train.swap_negatives: one swapped caption per row (its own caption, masked, where it has none) and
    // B x B row-major flags: whether row i's image may take row j's swap as a negative.
    std::vector<int64_t> swapTokens;
    std::vector<char> swapValid;
};

struct TrainingData {
    QList<ParseIssue> issues;      // bad caption rows and undecodable images, skipped
    QList<ParseIssue> notices;     // rows kept but cut at a limit

    // Distinct images (cached, decoded) and caption rows pointing at them.
    QStringList imagePaths;
    QStringList splitKeys;         // per image: its path relative to its dataset
    std::vector<cv::Mat> images;
    QStringList captions;
    std::vector<int> captionImage;      // caption -> image index
    std::vector<int64_t> captionTextId; // identical texts share an id (duplicate masking)
    std::vector<int64_t> tokens;        // captions * context, filled by the trainer's tokenizer
    std::vector<int> trainCaptions;     // the training pairs (caption indices)
    std::vector<int> valImageList;      // validation images
    std::vector<int> valCaptions;
    std::vector<int> probeCaptions;     // one caption per probe image
    int trainImageCount = 0;
    // Swapped captions (composition.h) of every caption, for train.swap_negatives: caption c's swaps
    // are [swapStart[c], swapStart[c + 1]) of swapTokens (context ids each) and swapTextId. A swap
    // identical to a caption text shares its text id, so an image never takes its own true caption
    // as a negative (imageTextIds: the sorted text ids of each image's captions).
    std::vector<int> swapStart;
    std::vector<int64_t> swapTokens;
    std::vector<int64_t> swapTextId;
    std::vector<std::vector<int64_t>> imageTextIds;

    // Reads every source (dataset folder or paired captions file); throws when no pair is usable.
    void loadPairs(const QStringList &sources);
    // Decodes every distinct image on config.train.workers threads (cancellable through `job`).
    void decodeImages(const SharedSpaceConfig &config, JobControl *job);
    // Train/validation split by image, then the probe set. `name` names the data in errors.
    void split(const SharedSpaceConfig &config, const QString &name);
    // Fills the swap tables above with `encode` (text -> `context` padded ids).
    void prepareSwaps(const std::function<std::vector<int>(const QString &)> &encode, int context);
    // Batch `batchIndex` of an epoch whose caption order is `order`: augmented views and tokens.
    Batch makeBatch(const SharedSpaceConfig &config, int epoch, int batchIndex, const std::vector<int> &order) const;

private:
    void addSwaps(const SharedSpaceConfig &config, int epoch, int batchIndex, const std::vector<int> &order,
                  Batch *batch) const;
};

}  // namespace cospace::detail
