#include "core/search/quantizedscan.h"

#include "core/search/topk_p.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace cospace {

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
    const Int8DotFn dot = int8Dot();

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
    return drainBestFirst(best);
}

}  // namespace cospace
