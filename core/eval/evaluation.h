#pragma once
// Evaluates any EmbeddingModel on paired data (`cospace-cli eval`): embeds each distinct image
// and every caption, then computes the retrieval and geometry metrics of metrics.h.
// Images that cannot be decoded are skipped with a reason (their captions with them).
// Blocks; decodes on worker threads while the calling thread runs the model.

#include "core/data/captionfile.h"
#include "core/model/embeddingmodel.h"
#include "core/base/job.h"
#include "core/eval/metrics.h"

namespace cospace {

struct EvaluationResult {
    RetrievalMetrics metrics;
    QList<ParseIssue> skipped;     // bad rows of the pairs file and undecodable images
};

EvaluationResult evaluatePairs(EmbeddingModel &model, const CaptionFile &pairs, JobControl *job = nullptr,
                               int batchSize = 64);

// Decodes an image file as 8-bit RGB via decodeImageFile(); JPEGs are reduced while the shorter side
// stays >= minShortSide. Throws std::runtime_error "<path>: why".
RgbImage readImageFile(const QString &path, int minShortSide = 0);

}  // namespace cospace
