#pragma once
// Exact-quality cosine top-k over many vectors, faster than a float scan: every row is stored a
// second time as int8 codes with a per-row scale (a quarter of the bytes), one query scans the codes
// on all compute threads, keeps the best `candidates` per thread by the approximate score, and
// re-ranks the union with the float rows. With candidates >= 10 k the top k equals the exact top k
// unless approximate scores misorder items across the candidate cut-off; bench/search measures the
// recall@10 against exact (1.0 on 1M random 512-d vectors).
//
// Quantisation: code = round(127 * x / max|x_row|), scale = max|x_row| / 127; the query is coded
// the same way, so an approximate dot product is scale_q * scale_row * sum(code_q * code_row),
// summed exactly in int32. The scan uses AVX2 when the CPU has it (checked at run time).
//
// Thread safety: search() is const and may run from several threads at once (each call uses the
// OpenMP thread count in effect).

#include "core/base/matrix.h"

#include <cstdint>
#include <span>
#include <vector>

namespace cospace {

struct ScoredRow {
    int row = -1;
    float score = 0;
};

class QuantizedScan
{
public:
    // Takes the vectors (row-major, any length; cosines assume unit rows).
    explicit QuantizedScan(Matrix vectors);

    int size() const { return m_vectors.rows; }
    int dim() const { return m_vectors.cols; }
    const Matrix &vectors() const { return m_vectors; }

    // The k best rows by exact inner product, best first (ties: lower row first).
    std::vector<ScoredRow> search(std::span<const float> query, int k, int candidates = 0) const;

private:
    Matrix m_vectors;
    int m_stride = 0;                   // code bytes per row (dim rounded up to 32)
    std::vector<std::int8_t> m_codes;   // rows * stride
    std::vector<float> m_scales;        // per row
};

// int8 codes and scale for one vector, into `codes` (size >= values.size(), rest left as is).
float quantizeRow(std::span<const float> values, std::int8_t *codes);

}  // namespace cospace
