#include "core/base/quantize.h"

#include <algorithm>
#include <cmath>

namespace cospace {

float quantizeRow(std::span<const float> values, std::int8_t *codes)
{
    float maxAbs = 0;
    for (const float v : values)
        maxAbs = std::max(maxAbs, std::fabs(v));
    if (!(maxAbs > 0) || !std::isfinite(maxAbs)) {
        std::fill(codes, codes + values.size(), std::int8_t(0));
        return 0;
    }
    const float inv = 127.f / maxAbs;
    for (std::size_t i = 0; i < values.size(); ++i)
        codes[i] = std::int8_t(std::lround(std::clamp(values[i] * inv, -127.f, 127.f)));
    return maxAbs / 127.f;
}

}  // namespace cospace
