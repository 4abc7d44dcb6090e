#pragma once
// The JSON configuration of a Cospace shared-space model and its training run. It is stored
// inside every checkpoint, so a checkpoint is self-describing and loadable alone.
//
// {
//   "image": {"size": 48, "widths": [32, 64, 128, 256], "blocks": [1, 1, 1, 1], "norm": "batch",
//             "stem_stride": 2},
//   "text":  {"width": 192, "layers": 2, "heads": 4, "context": 32, "pool": "mean",
//             "tokenizer": "bpe", "vocab_size": 3000},
//   "embed_dim": 128,
//   "loss": "infonce",                       // infonce | siglip | triplet
//   "train": {"epochs": 20, "batch_size": 128, "lr": 0.002, "weight_decay": 0.05,
//             "warmup_steps": 100, "grad_clip": 1.0, "seed": 1, "val_fraction": 0.1,
//             "workers": 2, "probe_size": 256, "margin": 0.2,
//             "composition_probe": true, "swap_negatives": false,
//             "augment": {"crop_scale": [0.7, 1.0], "color_jitter": 0.2, "grayscale": 0.05,
//                         "blur": 0.1, "hflip": false}}
// }
// Every field has a default (see the struct members), so "{}" is a valid config.

#include "core/base/names.h"

#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <vector>

namespace cospace {

// ImageNet-free fixed normalisation of own models' input: x / 127.5 - 1 per channel.
inline constexpr float kOwnModelMean = 0.5f;
inline constexpr float kOwnModelStd = 0.5f;

enum class LossKind { InfoNce, SigLip, Triplet };
inline constexpr EnumNames<LossKind, 3> kLossKinds{{{{LossKind::InfoNce, "infonce"},
                                                     {LossKind::SigLip, "siglip"},
                                                     {LossKind::Triplet, "triplet"}}}};
QString lossKindName(LossKind kind);

struct ImageEncoderConfig {
    int size = 48;                             // square input side, pixels
    std::vector<int> widths{32, 64, 128, 256}; // channels per stage; each stage after the first halves the resolution
    std::vector<int> blocks{1, 1, 1, 1};       // residual blocks per stage
    QString norm = QStringLiteral("batch");    // batch | group
    int stemStride = 2;                        // 1 or 2: a stride-2 stem quarters the cost of every stage
};

struct TextEncoderConfig {
    int width = 192;
    int layers = 2;
    int heads = 4;
    int context = 32;                          // tokens including the start token
    QString pool = QStringLiteral("mean");     // mean | first
    QString tokenizer = QStringLiteral("bpe"); // bpe | word
    int vocabSize = 3000;
};

struct AugmentConfig {
    double cropScaleMin = 0.7;   // random resized crop: area fraction range
    double cropScaleMax = 1.0;
    double colorJitter = 0.2;    // max relative change of brightness / contrast / saturation
    double grayscale = 0.05;     // probability
    double blur = 0.1;           // probability of a light Gaussian blur
    bool hflip = false;          // off by default: a flip breaks "left of"
    // Style bridges, for art styles unlike the training images (all off by default):
    double pad = 0;              // probability of shrinking the view into a white margin (25-100 % size)
    double outline = 0;          // probability of drawing dark outlines along colour edges
    double posterize = 0;        // probability of flattening colours to a few levels per channel
};

struct TrainConfig {
    int epochs = 20;
    int batchSize = 128;
    double lr = 2e-3;
    double weightDecay = 0.05;
    int warmupSteps = 100;
    double gradClip = 1.0;
    quint64 seed = 1;
    double valFraction = 0.1;
    int workers = 2;             // decode/augment threads
    int probeSize = 256;         // fixed probe pairs whose embeddings are saved every epoch (<= 512)
    double margin = 0.2;         // triplet loss margin (VSE++)
    // The compositional probe (core/eval/composition.h) on the validation split after every epoch,
    // logged as "composition" in metrics.jsonl; runs only where captions can be swapped.
    bool compositionProbe = true;
    // Swapped captions of each batch row as extra negatives of the images (NegCLIP); off by default.
    bool swapNegatives = false;
    AugmentConfig augment;
};

struct SharedSpaceConfig {
    ImageEncoderConfig image;
    TextEncoderConfig text;
    int embedDim = 128;
    LossKind loss = LossKind::InfoNce;
    TrainConfig train;

    // Throws std::runtime_error naming the first invalid field ("text.heads must divide text.width").
    static SharedSpaceConfig fromJson(const QJsonObject &json);
    static SharedSpaceConfig fromFile(const QString &path);
    QJsonObject toJson() const;
    void validate() const;
    // Trainable parameters of the network this config describes with a `vocabSize` tokenizer,
    // computed without building it (mirrors sharedspacemodel.cpp; tst_trainer compares the two).
    std::int64_t parameterCount(int vocabSize) const;
    // Throws std::runtime_error when that network would exceed limits().maxModelBytes() (float32
    // weights): a hostile or mistyped config is refused before anything is allocated.
    void checkSizeLimit(int vocabSize) const;

    // Named presets for the GUI and tests: "tiny" (seconds on CPU) and "default".
    static SharedSpaceConfig preset(const QString &name);
};

}  // namespace cospace
