#include "core/base/matrix.h"

#include "core/base/ompthreads.h"

#include <algorithm>
#include <cmath>

namespace cospace {

bool normalizeRow(std::span<float> row)
{
    double sq = 0;
    for (const float v : row)
        sq += double(v) * v;
    if (!(sq > 0) || !std::isfinite(sq)) {
        std::fill(row.begin(), row.end(), 0.f);
        return false;
    }
    const double inv = 1.0 / std::sqrt(sq);
    for (float &v : row)
        v = float(v * inv);
    return true;
}

int normalizeRows(Matrix &m)
{
    // Rows are independent: in parallel, the same result as one after another.
    const int firstZero = firstIndexWhere(m.rows, 10000, [&m](int i) { return !normalizeRow({m.row(i), std::size_t(m.cols)}); });
    return firstZero < m.rows ? firstZero : -1;
}

Matrix normalizedRows(Matrix m)
{
    normalizeRows(m);
    return m;
}

Matrix MatrixView::copy() const
{
    Matrix out;
    out.data.assign(values, values + std::size_t(rows) * std::size_t(cols));   // one pass, no zero fill first
    out.rows = rows;
    out.cols = cols;
    return out;
}

Matrix gatherRows(const float *rows, int cols, std::span<const int> which)
{
    Matrix out(int(which.size()), cols);
    // Parallel: a million 512-d rows out of a mapped snapshot are 2 GB of page faults and copying.
    const std::ptrdiff_t n = std::ptrdiff_t(which.size());
#pragma omp parallel for schedule(static) if (n > 10000)
    for (std::ptrdiff_t i = 0; i < n; ++i)
        std::copy_n(rows + std::size_t(which[std::size_t(i)]) * std::size_t(cols), cols, out.row(int(i)));
    return out;
}

}  // namespace cospace
