#pragma once
// Private (includes Torch): the contrastive losses on tensors; see losses.h for the definitions.

#include "core/model/sharedspaceconfig.h"

#include <torch/torch.h>

namespace cospace::detail {

// images, texts: [B, D] L2-normalised; imageIds, captionIds: [B] int64.
// logScale: [1] (log s or log t); bias: [1] (SigLIP).
torch::Tensor contrastiveLoss(LossKind kind, const torch::Tensor &images, const torch::Tensor &texts,
                              const torch::Tensor &imageIds, const torch::Tensor &captionIds,
                              const torch::Tensor &logScale, const torch::Tensor &bias, double margin);

}  // namespace cospace::detail
