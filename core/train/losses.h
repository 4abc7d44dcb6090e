#pragma once
// The contrastive losses of the trainer, evaluated on plain matrices (for tests and tools).
// The trainer calls the same code on Torch tensors (losses_p.h).
//
// Rows i of `images` and `texts` form the positive pairs of a batch. imageIds / captionIds name
// each row's image and caption; two rows sharing an image or a caption text are NOT negatives
// of each other (they are masked out), only the diagonal is positive.
//   InfoNCE  symmetric cross-entropy of s * I T^T, s = exp(logScale) (CLIP)
//   SigLIP   -1/B sum_ij log sigmoid(z_ij (t * I T^T + b)), t = exp(logScale), z = +1 on the diagonal
//   Triplet  VSE++ max of hinges: mean over the batch of the hardest negative caption and the
//            hardest negative image, each [margin - s_ii + s_ij]_+
// Extra negative captions (swapped captions as hard negatives, NegCLIP: Yuksekgonul et al. 2023) join
// the image->text side only: more columns in the InfoNCE softmax of each image, more z = -1 terms in
// SigLIP (still divided by B), more candidates for the hardest negative caption in the triplet loss.
// A mask says which image may take which extra caption (a swap can be some image's true caption).

#include "core/base/matrix.h"
#include "core/model/sharedspaceconfig.h"

#include <vector>

namespace cospace {

struct LossParams {
    LossKind kind = LossKind::InfoNce;
    double logScale = 2.659260036932778;   // log(1/0.07), CLIP's initial temperature
    double bias = -10.0;                   // SigLIP only
    double margin = 0.2;                   // triplet only
};

struct LossCheck {
    double loss = 0;
    double imageGradNorm = 0;   // || d loss / d images ||_F
    double textGradNorm = 0;
    bool finite = false;        // loss and every gradient entry finite
};

// extraTexts: B2 extra negative captions (0 rows: none); extraValid: B x B2, row-major, non-zero where
// image i may take extra caption j as a negative.
LossCheck evaluateLoss(const Matrix &images, const Matrix &texts, const std::vector<long> &imageIds,
                       const std::vector<long> &captionIds, const LossParams &params,
                       const Matrix &extraTexts = {}, const std::vector<char> &extraValid = {});

}  // namespace cospace
