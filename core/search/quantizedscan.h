#pragma once
// Exact-quality cosine top-k over many vectors, faster than a float scan: every row is stored a
// second time as int8 codes with a per-row scale (a quarter of the bytes), one query scans the codes
// on all compute threads, keeps the best `candidates` per thread by the approximate score, and
// re-ranks the union with the float rows. With candidates >= 10 k the top k equals the exact top k
// unless approximate scores misorder items across the candidate cut-off; bench/search measures the
// recall@10 against exact (1.0 on 1M random 512-d vectors).
//
// Quantisation (base/quantize.h): code = round(127 * x / max|x_row|), scale = max|x_row| / 127; the
// query is coded the same way, so an approximate dot product is scale_q * scale_row * sum(code_q * code_row),
// summed exactly in int32. The scan uses AVX2 when the CPU has it (checked at run time).
//
// Thread safety: search() is const and may run from several threads at once (each call uses the
// OpenMP thread count in effect).

#include "core/base/matrix.h"
#include "core/base/quantize.h"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace cospace {

struct ScoredRow {
    int row = -1;
    float score = 0;
};

// Borrowed rows, codes and scales laid out as QuantizedScan keeps its own (codes padded to
// codeStride(dim)), e.g. a store's mapped snapshot; `keepAlive` owns the memory they point into.
struct QuantizedRows {
    int rows = 0;
    int dim = 0;
    int stride = 0;
    const float *vectors = nullptr;       // rows * dim
    const std::int8_t *codes = nullptr;   // rows * stride
    const float *scales = nullptr;        // rows
    std::shared_ptr<const void> keepAlive;
};

class QuantizedScan
{
public:
    // Takes the vectors (row-major, any length; cosines assume unit rows) and codes them.
    explicit QuantizedScan(Matrix vectors);
    // Scans rows coded elsewhere (no copy, no coding). Throws std::invalid_argument on a bad layout.
    explicit QuantizedScan(QuantizedRows rows);
    QuantizedScan(const QuantizedScan &) = delete;   // the view points into the members
    QuantizedScan &operator=(const QuantizedScan &) = delete;

    int size() const { return m_view.rows; }
    int dim() const { return m_view.dim; }
    const float *row(int i) const { return m_view.vectors + std::size_t(i) * std::size_t(m_view.dim); }

    // The k best rows by exact inner product, best first (ties: lower row first).
    std::vector<ScoredRow> search(std::span<const float> query, int k, int candidates = 0) const;

private:
    Matrix m_owned;                     // when constructed from a Matrix
    std::vector<std::int8_t> m_codes;   // rows * stride, when coded here
    std::vector<float> m_scales;
    QuantizedRows m_view;               // what search() reads: the above or borrowed memory
};

}  // namespace cospace
