#pragma once
// Cospace's own shared-space models (trained by the Trainer) as EmbeddingModels, and the
// bundled default model. Loading goes through loadModel() in embeddingmodel.h; this header
// adds what the CLI and GUI show about a checkpoint without loading Torch types.

#include "core/model/sharedspaceconfig.h"

#include <QString>

namespace cospace {

struct CheckpointInfo {
    SharedSpaceConfig config;
    int epoch = 0;
    qint64 step = 0;
    double bestRsum = -1;
    qint64 parameters = 0;
};
// Throws std::runtime_error naming the file for anything that is not a readable checkpoint.
CheckpointInfo readCheckpointInfo(const QString &path);

// Where the bundled default model is looked for, first match wins:
// $COSPACE_DEFAULT_MODEL, <exe>/../share/cospace/models/default.ckpt, <source>/resources/models/default.ckpt.
QString defaultModelPath();

// Parameter count of a freshly built network for a config and vocabulary size (the bench twin
// prints the same number).
qint64 countParameters(const SharedSpaceConfig &config, int vocabSize);

}  // namespace cospace
