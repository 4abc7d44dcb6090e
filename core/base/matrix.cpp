#include "core/base/matrix.h"

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
    int firstZero = -1;
    for (int i = 0; i < m.rows; ++i)
        if (!normalizeRow({m.row(i), std::size_t(m.cols)}) && firstZero < 0)
            firstZero = i;
    return firstZero;
}

Matrix normalizedRows(Matrix m)
{
    normalizeRows(m);
    return m;
}

Matrix gatherRows(const float *rows, int cols, std::span<const int> which)
{
    Matrix out(int(which.size()), cols);
    for (std::size_t i = 0; i < which.size(); ++i)
        std::copy_n(rows + std::size_t(which[i]) * std::size_t(cols), cols, out.row(int(i)));
    return out;
}

}  // namespace cospace
