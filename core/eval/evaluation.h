#pragma once
// Evaluates any EmbeddingModel on paired data (`cospace-cli eval`): embeds each distinct image
// and every caption, then computes the retrieval and geometry metrics of metrics.h.
// Images that cannot be decoded are skipped with a reason (their captions with them).
// Blocks; decodes on worker threads while the calling thread runs the model.

#include "core/data/captionfile.h"
#include "core/model/embeddingmodel.h"
#include "core/base/job.h"
#include "core/eval/metrics.h"
#include "core/search/rerank.h"

namespace cospace {

struct EvaluationResult {
    RetrievalMetrics metrics;
    QList<ParseIssue> skipped;     // bad rows of the pairs file and undecodable images
};

EvaluationResult evaluatePairs(EmbeddingModel &model, const CaptionFile &pairs, JobControl *job = nullptr,
                               int batchSize = 64);

// evaluatePairs() with hubness re-ranking (search/rerank.h, `eval --rerank`): text -> image corrected
// with a bank of caption queries, image -> text with a bank of image queries. `bank` null: the
// evaluated pairs' own queries are the banks (transductive, as CSLS was used on whole vocabularies);
// otherwise the captions and images of `bank` (e.g. the training pairs: no test query is seen).
EvaluationResult evaluatePairs(EmbeddingModel &model, const CaptionFile &pairs, const RerankParams &rerank,
                               const CaptionFile *bank, JobControl *job = nullptr);

// The embeddings evaluatePairs() scores: each distinct decodable image once (sorted by path) and every
// caption of those images, in file order. Also what the compositional probe (composition.h) starts from.
// Throws std::runtime_error when no pair is left, JobCancelled when cancelled; does not finish() the job.
struct EmbeddedPairs {
    Matrix images;                 // one row per imagePaths entry
    QStringList imagePaths;
    Matrix captions;               // one row per texts entry
    QStringList texts;
    std::vector<int> captionImage; // caption -> image row
    QList<ParseIssue> skipped;     // bad rows of the pairs file and undecodable images
};
EmbeddedPairs embedPairs(EmbeddingModel &model, const CaptionFile &pairs, JobControl *job = nullptr, int batchSize = 64);

// encodeTexts() in chunks of 256, advancing `job` by each chunk and honouring its cancel flag.
Matrix encodeTextsInChunks(EmbeddingModel &model, const QStringList &texts, JobControl *job = nullptr);

// Decodes an image file as 8-bit RGB via decodeImageFile(); JPEGs are reduced while the shorter side
// stays >= minShortSide. Throws std::runtime_error "<path>: why".
RgbImage readImageFile(const QString &path, int minShortSide = 0);

}  // namespace cospace
