#pragma once
// Private (includes Torch): reading and writing Cospace checkpoints.
//
// A checkpoint is one file, a Torch serialize archive (zip) holding
//   "meta"       JSON text: {"format": "cospace-checkpoint", "version": 1, "config": {...},
//                "tokenizer": {...}, "epoch", "step", "step_in_epoch", "best_rsum", "extra"}
//   "model"      the network's parameters and buffers
//   "optimizer"  AdamW state (absent in exported/inference checkpoints)
// It is written to a temporary file and renamed over the target, so a kill leaves either the
// old or the new checkpoint, never a torn one.

#include "core/model/sharedspacenet_p.h"
#include "core/model/texttokenizer.h"

#include <QJsonObject>

#include <optional>

namespace cospace::detail {

struct CheckpointState {
    SharedSpaceConfig config;
    TextTokenizer tokenizer;
    int epoch = 0;            // completed epochs
    qint64 step = 0;          // optimizer steps taken
    int stepInEpoch = 0;      // >0 when saved mid-epoch (Ctrl-C): steps of `epoch`+1 already done
    double bestRsum = -1;
    QJsonObject extra;        // free-form (training data path, timing, ...)
};

void saveCheckpoint(const QString &path, SharedSpaceNet &net, torch::optim::Optimizer *optimizer,
                    const CheckpointState &state);
// Reads the metadata and weights. Throws std::runtime_error "<path>: ..." for a missing,
// truncated, corrupt or foreign file.
SharedSpaceNet loadCheckpoint(const QString &path, CheckpointState *state);
// Restores optimizer state saved by saveCheckpoint (the optimizer must be built over the same net).
void loadOptimizerState(const QString &path, torch::optim::Optimizer &optimizer);

}  // namespace cospace::detail
