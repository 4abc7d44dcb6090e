#pragma once
// Private (includes Torch): the contrastive losses on tensors; see losses.h for the definitions.

#include "core/model/sharedspaceconfig.h"

#include <torch/torch.h>

namespace cospace::detail {

// images, texts: [B, D] L2-normalised; imageIds, captionIds: [B] int64.
// logScale: [1] (log s or log t); bias: [1] (SigLIP).
// extraTexts (optional): [B2, D] extra negative captions for the images (swapped captions, NegCLIP);
// extraValid: [B, B2] bool, whether image row i may take extra caption j as a negative. They add
// columns to the image->text side only (they are not queries).
torch::Tensor contrastiveLoss(LossKind kind, const torch::Tensor &images, const torch::Tensor &texts,
                              const torch::Tensor &imageIds, const torch::Tensor &captionIds,
                              const torch::Tensor &logScale, const torch::Tensor &bias, double margin,
                              const torch::Tensor &extraTexts = {}, const torch::Tensor &extraValid = {});

}  // namespace cospace::detail
