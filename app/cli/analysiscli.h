#pragma once
// Shared by the analysis commands (clusters, classify, duplicates): `PATH... --model MODEL
// [--store DB]` -> the images under the paths, embedded (only what the store lacks) and loaded.

#include "core/analysis/imageset.h"

#include <QCommandLineParser>

#include <memory>

namespace cospace::cli {

struct AnalysisInput {
    std::unique_ptr<EmbeddingModel> model;
    ImageSet images;
};

// Embeds with a terminal progress bar (Ctrl-C cancels), reports skipped files on stderr.
AnalysisInput loadAnalysisInput(const QStringList &paths, const QString &modelSpec, const QString &storeFile,
                                const QString &label);

}  // namespace cospace::cli
