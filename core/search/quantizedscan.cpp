#include "core/search/quantizedscan.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <queue>
#include <stdexcept>

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

using DotFn = std::int32_t (*)(const std::int8_t *, const std::int8_t *, int);

DotFn pickDot()
{
    return __builtin_cpu_supports("avx2") ? dotAvx2 : dotScalar;
}

// Worse first, so a std::priority_queue of these keeps the best on its inside and the worst on top.
struct WorseFirst {
    bool operator()(const ScoredRow &a, const ScoredRow &b) const
    {
        return a.score != b.score ? a.score > b.score : a.row < b.row;
    }
};
using TopHeap = std::priority_queue<ScoredRow, std::vector<ScoredRow>, WorseFirst>;

void offer(TopHeap &heap, std::size_t limit, ScoredRow candidate)
{
    if (heap.size() < limit) {
        heap.push(candidate);
    } else if (WorseFirst{}(candidate, heap.top())) {
        heap.pop();
        heap.push(candidate);
    }
}

}  // namespace

QuantizedScan::QuantizedScan(Matrix vectors) : m_owned(std::move(vectors))
{
    const int n = m_owned.rows;
    m_view.rows = n;
    m_view.dim = m_owned.cols;
    m_view.stride = codeStride(m_owned.cols);
    m_codes.assign(std::size_t(n) * std::size_t(m_view.stride), 0);
    m_scales.resize(std::size_t(n));
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; ++i)
        m_scales[std::size_t(i)] = quantizeRow(m_owned.rowSpan(i), m_codes.data() + std::size_t(i) * std::size_t(m_view.stride));
    m_view.vectors = m_owned.data.data();
    m_view.codes = m_codes.data();
    m_view.scales = m_scales.data();
}

QuantizedScan::QuantizedScan(QuantizedRows rows) : m_view(std::move(rows))
{
    if (m_view.rows < 0 || m_view.dim <= 0 || m_view.stride != codeStride(m_view.dim)
        || (m_view.rows > 0 && (!m_view.vectors || !m_view.codes || !m_view.scales)))
        throw std::invalid_argument("QuantizedScan: rows, codes and scales do not describe one matrix");
}

std::vector<ScoredRow> QuantizedScan::search(std::span<const float> query, int k, int candidates) const
{
    const int n = m_view.rows;
    const std::size_t stride = std::size_t(m_view.stride);
    k = std::clamp(k, 0, n);
    if (k == 0 || int(query.size()) != m_view.dim)
        return {};
    const std::size_t keep = std::size_t(std::min(n, std::max({candidates, 10 * k, 100})));
    std::vector<std::int8_t> q(stride, 0);
    const float qScale = quantizeRow(query, q.data());
    const DotFn dot = pickDot();

    // Approximate pass: each thread scans a contiguous block of rows into its own heap.
    std::vector<std::vector<ScoredRow>> perThread{std::size_t(omp_get_max_threads())};
#pragma omp parallel
    {
        TopHeap heap;
        const std::int8_t *codes = m_view.codes;
#pragma omp for schedule(static) nowait
        for (int i = 0; i < n; ++i) {
            const float s = qScale * m_view.scales[std::size_t(i)] *
                            float(dot(q.data(), codes + std::size_t(i) * stride, m_view.stride));
            offer(heap, keep, {i, s});
        }
        std::vector<ScoredRow> &mine = perThread[std::size_t(omp_get_thread_num())];
        for (; !heap.empty(); heap.pop())
            mine.push_back(heap.top());
    }
    // Exact pass over the candidates.
    TopHeap best;
    for (const std::vector<ScoredRow> &rows : perThread)
        for (const ScoredRow &c : rows) {
            const float *x = m_view.vectors + std::size_t(c.row) * std::size_t(m_view.dim);
            const float exact = std::inner_product(query.begin(), query.end(), x, 0.f);
            offer(best, std::size_t(k), {c.row, exact});
        }
    std::vector<ScoredRow> out(best.size());
    for (std::size_t i = out.size(); i-- > 0; best.pop())
        out[i] = best.top();
    return out;
}

}  // namespace cospace
