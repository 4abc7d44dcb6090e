#pragma once
// The embedding job (`cospace-cli embed`): folders of images and a captions file in, vectors in the
// store out, embedding only what the store lacks.
//
// Images: scanImages() on each root, then every file that is new, changed (size or mtime) or has no
// vector for this model is decoded + preprocessed on `decodeThreads` worker threads into a bounded
// queue; the calling thread runs the model on batches and writes each batch in one transaction.
// Memory is bounded by the queue (queueCapacity preprocessed images) whatever the folder size.
// Files that cannot be decoded are skipped with the reason of decodeFailureName() ("truncated", ...);
// image items under the roots that are gone (or now unreadable) are dropped from the store.
// Captions: any core/captionfile.h format, or plain text with one caption per line (a .txt file
// with no tab); captions that left the file are dropped.
//
// Blocks. Runs the model only on the calling thread (models are not thread-safe). Progress and
// cancel through `job`: on cancel, what was embedded so far is committed, then JobCancelled is
// thrown. Model and store errors propagate as std::runtime_error after the workers have stopped.

#include "core/data/captionfile.h"
#include "core/data/dataset.h"
#include "core/model/embeddingmodel.h"
#include "core/store/embeddingstore.h"
#include "core/data/imagedecode.h"
#include "core/base/job.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace cospace {

struct EmbedParams {
    QStringList roots;          // image folders or single image files
    QString captionsFile;       // optional
    int batchSize = 32;
    int decodeThreads = 0;      // 0 = all cores, at most 8
    int queueCapacity = 0;      // preprocessed images waiting for the model; 0 = 2 x batchSize
    std::int64_t maxPixels = limits().maxImagePixels;
    bool dropMissing = true;    // remove stored images under the roots that no longer exist
    // Optional: scanImages() of each root, already done by the caller (same order as roots), so a
    // folder is not walked twice. Empty = scan here.
    QList<ImageScan> scans;
};

struct SkippedFile {
    QString path;
    QString reason;   // keyword: "zero bytes", "truncated", "not an image", "too large", "unreadable", ...
    QString detail;   // the decoder's longer text, may be empty
};

struct EmbedResult {
    int embeddedImages = 0;
    int embeddedCaptions = 0;
    int cached = 0;             // images and captions already stored for this model
    int removed = 0;            // items dropped because their file or caption went away
    QList<SkippedFile> skipped;
    QStringList notices;        // inputs used but cut at a limit (core/limits.h): folder scans, long captions
    double seconds = 0;         // wall time
    double decodeSeconds = 0;   // decode + preprocess, summed over worker threads
    double modelSeconds = 0;    // image and text towers
    double storeSeconds = 0;    // SQLite writes
    int embedded() const { return embeddedImages + embeddedCaptions; }
};

EmbedResult runEmbedding(EmbeddingModel &model, EmbeddingStore &store, const EmbedParams &params,
                         JobControl *job = nullptr);

// Captions of a file as store items: captionfile.h formats, or one caption per line for a .txt
// file without tabs. Items carry source = the file's absolute path. Issues (rows left out) go to
// *issues, notices (captions cut at the length limit) to *notices.
QList<StoredItem> readCaptionItems(const QString &path, QList<ParseIssue> *issues = nullptr,
                                   QList<ParseIssue> *notices = nullptr);

}  // namespace cospace
