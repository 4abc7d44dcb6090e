#pragma once
// Trains a Cospace shared-space model (image tower + text tower into one L2-normalised space)
// on paired image-caption data, writing a run folder the GUI's training inspector reads:
//
//   RUN/config.json        the full config in effect
//   RUN/metrics.jsonl      one JSON object per epoch (losses, validation retrieval metrics, geometry)
//   RUN/steps.jsonl        {"step", "epoch", "loss", "lr", "temperature"} every few steps
//   RUN/probe/pairs.tsv    the fixed probe pairs (image path, caption), <= 512
//   RUN/probe/epoch-NNN.npy  probe embeddings after epoch NNN: P image rows, then P caption rows
//   RUN/probe/composition-NNN.json  the compositional probe on the validation split after epoch NNN
//                          (`cospace-cli composition --json`'s object, the 500 worst trials as examples)
//   RUN/last.ckpt          after every epoch (and on cancel, mid-epoch); --resume continues from it
//   RUN/best.ckpt          the epoch with the best validation RSUM (weights only, no optimizer state)
//   RUN/final.ckpt         the last epoch's weights only, written when the run completes
//
// Determinism: data order, the train/validation split and every augmentation are functions of
// (seed, epoch, position), not of thread timing, and the networks use no dropout; with the same
// thread count a resumed run reproduces the uninterrupted one.
// The split is by image: all captions of an image are on the same side. It hashes the image's path
// relative to its dataset, so with several datasets of the same layout (one per art style) all
// styles of a concept fall on the same side.
//
// run() blocks; call it from a worker thread. The callbacks run on that thread. Cancel through
// the JobControl: the trainer saves RUN/last.ckpt at the current step and returns false.

#include "core/data/captionfile.h"
#include "core/base/job.h"
#include "core/eval/composition.h"
#include "core/eval/metrics.h"
#include "core/model/sharedspaceconfig.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

namespace cospace {

struct TrainerOptions {
    QString data;                  // dataset folder (images/ + captions.tsv) or a paired captions file
    QStringList extraData;         // more of the same, trained together (e.g. other art styles)
    SharedSpaceConfig config;
    QString runDir;
    bool resume = false;           // continue RUN/last.ckpt (its config wins over `config`)
    // Fine-tune: start from this checkpoint's weights and tokenizer (its image/text/embed_dim config
    // wins; training settings come from `config`), with a fresh optimizer and schedule. Ignored on resume.
    QString initFrom;
    int epochs = 0;                // > 0 overrides config.train.epochs (also when resuming)
};

struct StepReport {
    int epoch = 0;                 // 1-based, the epoch in progress
    int epochs = 0;
    int step = 0;                  // 1-based within the epoch
    int stepsPerEpoch = 0;
    qint64 globalStep = 0;
    double loss = 0;
    double lr = 0;
    double samplesPerSecond = 0;
};

struct EpochReport {
    int epoch = 0;                 // 1-based, just finished
    int epochs = 0;
    qint64 globalStep = 0;
    double trainLoss = 0;
    double valLoss = 0;
    double lr = 0;
    double temperature = 0;        // 1 / logit scale (InfoNCE, SigLIP); 0 for triplet
    double seconds = 0;
    bool best = false;
    RetrievalMetrics val;          // on the validation split (the training split if it is empty)
    // The compositional probe on the same split (train.composition_probe; empty when off or when no
    // caption can be swapped); the line gains "composition": {kind: accuracy, ...}.
    CompositionResult composition;
    QJsonObject toJson() const;    // the metrics.jsonl line
};

class Trainer
{
public:
    explicit Trainer(TrainerOptions options);
    ~Trainer();

    // Reads the data, decodes and caches the images, learns (or restores) the tokenizer.
    // Throws std::runtime_error when nothing usable remains.
    void prepare(JobControl *job = nullptr);
    // Trains to the last epoch (true) or until cancelled (false, checkpoint saved).
    bool run(JobControl &job);

    QList<ParseIssue> issues() const;      // bad caption rows and undecodable images, skipped
    QList<ParseIssue> notices() const;     // rows kept but cut at a limit (core/limits.h)
    int trainImages() const;
    int valImages() const;
    int trainPairs() const;
    int completedEpochs() const;
    qint64 parameterCount() const;         // after prepare()
    int vocabularySize() const;            // after prepare()
    const SharedSpaceConfig &config() const;

    std::function<void(const StepReport &)> onStep;
    std::function<void(const EpochReport &)> onEpoch;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace cospace
