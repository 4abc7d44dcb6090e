#pragma once
// CLIP architectures from the weights people download, without Torch: which tensors a file holds
// (names, dtypes, shapes), how they map onto OpenAI's names, and the architecture they imply.
//
//   1. canonicalClipNames(): strips "module." (training checkpoints), maps Hugging Face CLIPModel
//      names onto OpenAI's (separate q/k/v become in_proj, projections are transposed), drops
//      tensors that are not weights (position_ids, attn_mask), and names the architecture when the
//      keys say it is one Cospace does not implement (SigLIP, EVA, CoCa, timm or HF text towers).
//   2. inferClipConfig(): sizes from the shapes exactly as OpenAI's clip/model.py build_model()
//      reads them (widths from shapes, layers from block counts, heads = width / 64, image size =
//      patch x grid, or 32 x attention-pool grid for ResNets), then a config overrides: OpenCLIP's
//      open_clip_config.json / model_config.json ("model_cfg", "preprocess_cfg") or HF config.json
//      + preprocessor_config.json. OpenCLIP's quick_gelu false and HF's hidden_act "gelu" mean the
//      exact GELU; OpenAI's weights and hidden_act "quick_gelu" mean x * sigmoid(1.702 x).
//   3. checkClipTensors(): every tensor the architecture needs is there with the shape it implies,
//      and nothing else is; otherwise a message naming the first few missing, extra or mismatched
//      tensors (and the config file, when the config and the shapes disagree).
//
// Errors: std::runtime_error "<file>: ...". Pure functions, thread-safe.

#include "core/model/clippreprocess.h"
#include "core/model/tensordtype.h"

#include "core/base/names.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <array>
#include <cstdint>
#include <map>
#include <vector>

namespace cospace {

struct TensorInfo {
    TensorDtype dtype = TensorDtype::F32;
    std::vector<std::int64_t> shape;
};
using TensorInfoMap = std::map<QString, TensorInfo>;

// How one tensor under OpenAI's name is made from the file's tensors: one of them as is, its
// transpose (HF projections), or several concatenated along dim 0 (HF q, k, v -> in_proj).
struct TensorRecipe {
    QStringList parts;
    bool transpose = false;
    TensorInfo info;   // dtype and shape of the result
};

struct ClipTensorLayout {
    QString naming;                               // "openai" (also OpenCLIP) or "huggingface"
    std::map<QString, TensorRecipe> tensors;      // by OpenAI name
    QStringList ignored;                          // tensors of the file that are not weights
};

enum class Activation { QuickGelu, Gelu, GeluTanh };
inline constexpr EnumNames<Activation, 3> kActivations{{{{Activation::QuickGelu, "quick_gelu"},
                                                         {Activation::Gelu, "gelu"},
                                                         {Activation::GeluTanh, "gelu_tanh"}}}};
QString activationName(Activation a);

struct ClipVisionConfig {
    enum Kind { ViT, ResNet };
    Kind kind = ViT;
    int imageSize = 224;
    int width = 768;        // ViT: token width; ResNet: stem width (64 for RN50)
    int layers = 12;        // ViT blocks
    std::array<int, 4> stages{3, 4, 6, 3};   // ResNet bottlenecks per stage
    int heads = 12;
    int patchSize = 32;     // ViT
    int mlpWidth = 3072;    // ViT
    Activation activation = Activation::QuickGelu;
    double layerNormEps = 1e-5;
};

struct ClipTextConfig {
    int contextLength = 77;
    int vocabSize = 49408;
    int width = 512;
    int heads = 8;
    int layers = 12;
    int mlpWidth = 2048;
    Activation activation = Activation::QuickGelu;
    double layerNormEps = 1e-5;
};

struct ClipConfig {
    int embedDim = 512;
    ClipVisionConfig vision;
    ClipTextConfig text;
    ClipImageConfig preprocess;   // size, mean, std
    QString configFile;           // the file that overrode the shapes, empty when none did
};

// `file` names the weights in messages.
ClipTensorLayout canonicalClipNames(const QString &file, const TensorInfoMap &tensors);

// Configs may be empty objects. `modelConfig` is OpenCLIP's ("model_cfg" inside
// open_clip_config.json, or a bare model_config.json), `hfConfig` HF's config.json;
// `preprocessConfig` OpenCLIP's "preprocess_cfg" or HF's preprocessor_config.json.
struct ClipConfigSources {
    QJsonObject openClip;          // the whole open_clip_config.json / model_config.json
    QJsonObject huggingFace;       // config.json
    QJsonObject hfPreprocessor;    // preprocessor_config.json
    QString openClipFile, huggingFaceFile, hfPreprocessorFile;   // for messages
};
ClipConfig inferClipConfig(const QString &file, const ClipTensorLayout &layout, const ClipConfigSources &sources);

// Throws when the layout does not hold exactly the tensors `config` needs, with their shapes.
void checkClipTensors(const QString &file, const ClipConfig &config, const ClipTensorLayout &layout);

// The shapes every tensor of `config` must have, by OpenAI name.
std::map<QString, std::vector<std::int64_t>> expectedClipShapes(const ClipConfig &config);

// "ViT-B/32", "ViT-L/14@336px", "RN50", or a description of a custom size.
QString clipArchitectureName(const ClipConfig &config);

}  // namespace cospace
