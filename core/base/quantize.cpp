#include "core/base/quantize.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

namespace cospace {

namespace {

std::int32_t dotScalar(const std::int8_t *a, const std::int8_t *b, int n)
{
    std::int32_t sum = 0;
    for (int i = 0; i < n; ++i)
        sum += std::int32_t(a[i]) * std::int32_t(b[i]);
    return sum;
}

// n is a multiple of 32. Codes lie in [-127, 127], so pairwise int16 products summed in int32
// (madd) cannot overflow for any dimension below 2^31 / (2 * 127^2).
__attribute__((target("avx2"))) std::int32_t dotAvx2(const std::int8_t *a, const std::int8_t *b, int n)
{
    __m256i acc = _mm256_setzero_si256();
    for (int i = 0; i < n; i += 32) {
        const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(a + i));
        const __m256i vb = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + i));
        const __m256i lo = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(va)),
                                             _mm256_cvtepi8_epi16(_mm256_castsi256_si128(vb)));
        const __m256i hi = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(va, 1)),
                                             _mm256_cvtepi8_epi16(_mm256_extracti128_si256(vb, 1)));
        acc = _mm256_add_epi32(acc, _mm256_add_epi32(lo, hi));
    }
    const __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    const __m128i s2 = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    const __m128i s3 = _mm_add_epi32(s2, _mm_shuffle_epi32(s2, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s3);
}

}  // namespace

Int8DotFn int8Dot()
{
    return __builtin_cpu_supports("avx2") ? dotAvx2 : dotScalar;
}

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
