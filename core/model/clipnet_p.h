#pragma once
// Private (includes Torch): CLIP's towers as plain LibTorch functions over the weights of a file,
// inference only, float32 compute (a ViT's products in bf16 on request). Written after OpenAI's
// clip/model.py (MIT, (c) 2021 OpenAI):
//   - VisionTransformer: patch conv (no bias), class token, positional embedding, ln_pre,
//     pre-LN residual attention blocks, ln_post on the class token, projection;
//   - ModifiedResNet: 3-conv stem + avg-pool, Bottleneck stages whose stride is an avg-pool
//     (anti-aliased), attention pooling with the mean token as the query;
//   - the text transformer: token + positional embeddings, causal attention, ln_final, pooled
//     at the end-of-text token (the position of the highest token id), projection.
// Towers are built from the weights when first used (a text query never builds the image
// tower). fp16 / bf16 weights are converted to float32 as a tower is built; the token embedding
// stays in the file's dtype and only the rows a batch uses are converted.
//
// Not thread-safe: one tower instance is used by one thread at a time.

#include "core/model/weights_p.h"

#include <memory>

namespace cospace::detail {

// The weights under OpenAI's names (recipes from canonicalClipNames), materialised on request.
class ClipWeights
{
public:
    ClipWeights(WeightFile file, ClipTensorLayout layout);
    // float32, contiguous: a view of the file when it already is, else converted into the arena.
    torch::Tensor get(const QString &name) const;
    // The tensor as the file holds it (single-part, untransposed recipes only).
    torch::Tensor raw(const QString &name) const;
    bool has(const QString &name) const { return m_layout.tensors.count(name) > 0; }
    const WeightFile &file() const { return m_file; }
    const ClipTensorLayout &layout() const { return m_layout; }

private:
    WeightFile m_file;
    ClipTensorLayout m_layout;
    mutable TensorArena m_arena;
};

class ClipVisionTower
{
public:
    virtual ~ClipVisionTower() = default;
    // [B, 3, S, S] normalised float32 -> [B, embedDim] (not normalised).
    virtual torch::Tensor forward(const torch::Tensor &images) const = 0;
};

class ClipTextTower
{
public:
    virtual ~ClipTextTower() = default;
    // [B, context] int64 token ids (SOT ... EOT, padding) -> [B, embedDim] (not normalised).
    virtual torch::Tensor forward(const torch::Tensor &ids) const = 0;
};

// `compute` kBFloat16 runs a ViT's linear layers and patch embedding as bf16 products (float32
// results); a ResNet tower computes in float32 whatever is asked.
std::unique_ptr<ClipVisionTower> buildVisionTower(const ClipConfig &config, const ClipWeights &weights,
                                                  torch::ScalarType compute = torch::kFloat);
std::unique_ptr<ClipTextTower> buildTextTower(const ClipConfig &config, const ClipWeights &weights);

}  // namespace cospace::detail
