#pragma once
// Private (includes OpenCV): the training-time image augmentation. Every random choice comes from
// the generator the caller passes, so a view is a function of (seed, epoch, position) and a
// resumed run replays it exactly.

#include "core/model/sharedspaceconfig.h"

#include <opencv2/core.hpp>

#include <random>

namespace cospace::detail {

// A uniform double in [0, 1) from the top 53 bits of one draw.
double uniform(std::mt19937_64 &rng);

// Random resized crop to size x size, colour jitter, grey, blur, the style bridges (posterize,
// outline, pad) and, if allowed, a horizontal flip. Bridges that are off draw no random numbers,
// so older configs replay exactly. `src` is 8-bit RGB and is not modified.
cv::Mat augment(const cv::Mat &src, int size, const AugmentConfig &config, std::mt19937_64 &rng);

}  // namespace cospace::detail
