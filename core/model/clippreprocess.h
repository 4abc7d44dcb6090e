#pragma once
// CLIP's image preprocessing without PIL: shortest side to S with PIL's antialiased bicubic
// resampling, centre crop S x S, RGB / 255, (x - mean) / std, channel-first floats.
//
// The resampler follows Pillow's ImagingResample (separable convolution, horizontal pass first,
// Keys cubic a = -0.5 with the support widened by the downscale factor, 22-bit fixed-point
// coefficients, 8-bit intermediate) and torchvision's size / crop arithmetic (long side truncated,
// crop offset rounded half to even), so for the same 8-bit RGB input the result equals
// torchvision's Resize(S, BICUBIC) + CenterCrop(S) on a PIL image bit for bit (tst_clipbundle
// measures max |diff| = 0 on the fixture images). End to end from a file, remaining differences
// come from the decoder: JPEG DCT-domain reduction (decodeImageFile with minShortSide) changes
// pixels by a few levels, see README "Model bundles".
//
// Pure functions, thread-safe.

#include "core/model/embeddingmodel.h"

#include <array>
#include <vector>

namespace cospace {

struct ClipImageConfig {
    int size = 224;                                                      // S
    std::array<float, 3> mean{0.48145466f, 0.4578275f, 0.40821073f};     // OpenAI CLIP
    std::array<float, 3> std{0.26862954f, 0.26130258f, 0.27577711f};
};

// Pillow's Image.resize((width, height), Image.BICUBIC) on an RGB image.
RgbImage resizeBicubicPil(const RgbImage &image, int width, int height);

// Resize(S, BICUBIC) + CenterCrop(S) as torchvision does them on a PIL image; S x S RGB out.
RgbImage clipResizeCenterCrop(const RgbImage &image, int size);

// The whole CLIP transform: 3 * S * S floats, channel-first.
std::vector<float> clipPreprocess(const RgbImage &image, const ClipImageConfig &config);

}  // namespace cospace
