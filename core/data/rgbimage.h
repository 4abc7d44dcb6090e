#pragma once
// The decoded picture every stage after "data" works on.

#include <cstdint>
#include <vector>

namespace cospace {

// An 8-bit RGB image, row-major, 3 bytes per pixel, no padding. Decoders produce it; models
// preprocess it (resize/crop/normalise) themselves, each in its own way.
struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;   // width * height * 3
    bool isNull() const { return width <= 0 || height <= 0; }
};

}  // namespace cospace
