#pragma once
// Private (includes Torch): the networks of Cospace's own shared-space model.
//   ImageTower  residual CNN (stem, stages of basic blocks, global average pool) + linear head
//   TextTower   token + learned position embeddings, Transformer encoder with padding mask,
//               final LayerNorm, mean or first-token pooling, linear head
// Both return L2-normalised [B, D] embeddings. bench/trainer/twin.py mirrors this exactly in
// PyTorch (same parameter count) for the side-by-side speed benchmark.

#include "core/model/sharedspaceconfig.h"

#include <torch/torch.h>

namespace cospace::detail {

struct ResidualBlockImpl : torch::nn::Module {
    ResidualBlockImpl(int in, int out, int stride, const QString &norm);
    torch::Tensor forward(const torch::Tensor &x);

    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
    torch::nn::AnyModule norm1, norm2, shortcutNorm;
    bool hasShortcut = false;
};
TORCH_MODULE(ResidualBlock);

struct ImageTowerImpl : torch::nn::Module {
    ImageTowerImpl(const ImageEncoderConfig &config, int embedDim);
    torch::Tensor forward(const torch::Tensor &images);   // [B, 3, S, S] normalised -> [B, D]

    torch::nn::Conv2d stem{nullptr};
    torch::nn::AnyModule stemNorm;
    torch::nn::Sequential stages;
    torch::nn::Linear head{nullptr};
};
TORCH_MODULE(ImageTower);

struct TextTowerImpl : torch::nn::Module {
    TextTowerImpl(const TextEncoderConfig &config, int vocabSize, int embedDim);
    torch::Tensor forward(const torch::Tensor &tokens);   // [B, L] int64 (0 = padding) -> [B, D]

    torch::nn::Embedding tokenEmbedding{nullptr};
    torch::Tensor positions;                              // [context, width]
    torch::nn::TransformerEncoder encoder{nullptr};
    torch::nn::LayerNorm finalNorm{nullptr};
    torch::nn::Linear head{nullptr};
    bool meanPool = true;
    int layers = 0;
};
TORCH_MODULE(TextTower);

struct SharedSpaceNetImpl : torch::nn::Module {
    SharedSpaceNetImpl(const SharedSpaceConfig &config, int vocabSize);

    ImageTower image{nullptr};
    TextTower text{nullptr};
    torch::Tensor logitScale;   // log of the inverse temperature (InfoNCE), or log t (SigLIP)
    torch::Tensor logitBias;    // SigLIP bias b
};
TORCH_MODULE(SharedSpaceNet);

}  // namespace cospace::detail
