#include "core/train/losses.h"

#include "core/train/losses_p.h"

#include <stdexcept>

namespace cospace {

namespace detail {

torch::Tensor contrastiveLoss(LossKind kind, const torch::Tensor &images, const torch::Tensor &texts,
                              const torch::Tensor &imageIds, const torch::Tensor &captionIds,
                              const torch::Tensor &logScale, const torch::Tensor &bias, double margin,
                              const torch::Tensor &extraTexts, const torch::Tensor &extraValid)
{
    const bool extra = extraTexts.defined() && extraTexts.size(0) > 0;
    const torch::Tensor extraSim = extra ? images.matmul(extraTexts.t()) : torch::Tensor();   // [B, B2]
    const torch::Tensor extraMasked = extra ? extraValid.logical_not() : torch::Tensor();
    const int64_t b = images.size(0);
    const torch::Tensor sim = images.matmul(texts.t());                        // [B, B]
    const torch::Tensor eye = torch::eye(b, torch::kBool);
    const torch::Tensor duplicate = (imageIds.unsqueeze(1).eq(imageIds.unsqueeze(0))
                                     | captionIds.unsqueeze(1).eq(captionIds.unsqueeze(0)))
                                    & eye.logical_not();
    switch (kind) {
    case LossKind::InfoNce: {
        const torch::Tensor logits = (sim * logScale.exp()).masked_fill(duplicate, -1e9);
        const torch::Tensor target = torch::arange(b, torch::kInt64);
        const torch::Tensor imageToText =
            extra ? torch::cat({logits, (extraSim * logScale.exp()).masked_fill(extraMasked, -1e9)}, 1) : logits;
        return 0.5 * (torch::nn::functional::cross_entropy(imageToText, target)
                      + torch::nn::functional::cross_entropy(logits.t(), target));
    }
    case LossKind::SigLip: {
        const torch::Tensor logits = sim * logScale.exp() + bias;
        const torch::Tensor z = eye.to(torch::kFloat) * 2 - 1;
        const torch::Tensor weight = duplicate.logical_not().to(torch::kFloat);
        torch::Tensor sum = (torch::nn::functional::logsigmoid(z * logits) * weight).sum();
        if (extra)
            sum = sum + (torch::nn::functional::logsigmoid(-(extraSim * logScale.exp() + bias))
                         * extraValid.to(torch::kFloat)).sum();
        return -sum / double(b);
    }
    case LossKind::Triplet: {
        const torch::Tensor positive = sim.diagonal();
        const torch::Tensor ignore = duplicate | eye;
        torch::Tensor costCaption = (margin + sim - positive.unsqueeze(1)).clamp_min(0).masked_fill(ignore, 0);
        if (extra)
            costCaption = torch::cat(
                {costCaption, (margin + extraSim - positive.unsqueeze(1)).clamp_min(0).masked_fill(extraMasked, 0)}, 1);
        const torch::Tensor costImage = (margin + sim - positive.unsqueeze(0)).clamp_min(0).masked_fill(ignore, 0);
        return std::get<0>(costCaption.max(1)).mean() + std::get<0>(costImage.max(0)).mean();
    }
    }
    return {};
}

}  // namespace detail

namespace {
torch::Tensor toTensor(const Matrix &m)
{
    return torch::from_blob(const_cast<float *>(m.data.data()), {m.rows, m.cols}).clone();
}
torch::Tensor toIds(const std::vector<long> &ids)
{
    torch::Tensor t = torch::empty({qsizetype(ids.size())}, torch::kInt64);
    for (std::size_t i = 0; i < ids.size(); ++i)
        t[qsizetype(i)] = int64_t(ids[i]);
    return t;
}
}  // namespace

LossCheck evaluateLoss(const Matrix &images, const Matrix &texts, const std::vector<long> &imageIds,
                       const std::vector<long> &captionIds, const LossParams &params,
                       const Matrix &extraTexts, const std::vector<char> &extraValid)
{
    torch::Tensor img = toTensor(images).requires_grad_(true);
    torch::Tensor txt = toTensor(texts).requires_grad_(true);
    const torch::Tensor logScale = torch::full({1}, params.logScale);
    const torch::Tensor bias = torch::full({1}, params.bias);
    torch::Tensor extra, valid;
    if (extraTexts.rows > 0) {
        if (extraValid.size() != std::size_t(images.rows) * std::size_t(extraTexts.rows))
            throw std::invalid_argument("evaluateLoss: extraValid must have rows x extra rows entries");
        extra = toTensor(extraTexts);
        valid = torch::empty({images.rows, extraTexts.rows}, torch::kBool);
        for (std::size_t i = 0; i < extraValid.size(); ++i)
            valid.view({-1})[qsizetype(i)] = extraValid[i] != 0;
    }
    const torch::Tensor loss = detail::contrastiveLoss(params.kind, img, txt, toIds(imageIds), toIds(captionIds),
                                                       logScale, bias, params.margin, extra, valid);
    loss.backward();
    LossCheck check;
    check.loss = loss.item<double>();
    check.imageGradNorm = img.grad().norm().item<double>();
    check.textGradNorm = txt.grad().norm().item<double>();
    check.finite = std::isfinite(check.loss) && img.grad().isfinite().all().item<bool>()
                   && txt.grad().isfinite().all().item<bool>();
    return check;
}

}  // namespace cospace
