#include "core/base/rowblocks.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace cospace {

RowBlocks RowBlocks::owning(Matrix rows)
{
    RowBlocks t(rows.cols);
    t.append(std::move(rows));
    return t;
}

RowBlocks RowBlocks::viewing(MatrixView rows)
{
    RowBlocks t(rows.cols);
    t.append(rows, nullptr);
    return t;
}

void RowBlocks::append(MatrixView rows, std::shared_ptr<const void> owner)
{
    if (rows.rows == 0)
        return;
    if (m_rows == 0 && m_cols == 0)
        m_cols = rows.cols;
    if (rows.cols != m_cols)
        throw std::invalid_argument("row table: a block of " + std::to_string(rows.cols) + " columns after "
                                    + std::to_string(m_cols));
    m_blocks.push_back({rows, m_rows, std::move(owner)});
    m_rows += rows.rows;
}

void RowBlocks::append(Matrix rows)
{
    auto owned = std::make_shared<const Matrix>(std::move(rows));
    const MatrixView view(*owned);
    append(view, std::move(owned));
}

void RowBlocks::append(const RowBlocks &more)
{
    for (const Block &b : more.m_blocks)
        append(b.rows, b.owner);
}

const float *RowBlocks::row(int i) const
{
    // Blocks are few (images, captions, typed captions): a linear walk from the back.
    for (auto b = m_blocks.rbegin(); b != m_blocks.rend(); ++b)
        if (i >= b->first)
            return b->rows.row(i - b->first);
    return nullptr;
}

RowBlocks RowBlocks::slice(int first, int count) const
{
    if (first < 0 || count < 0 || first + count > m_rows)
        throw std::out_of_range("row table: rows " + std::to_string(first) + " + " + std::to_string(count)
                                + " of " + std::to_string(m_rows));
    RowBlocks out(m_cols);
    for (const Block &b : m_blocks) {
        const int from = std::max(first, b.first), to = std::min(first + count, b.first + b.rows.rows);
        if (from < to)
            out.append(b.rows.middleRows(from - b.first, to - from), b.owner);
    }
    return out;
}

Matrix RowBlocks::copy(int first, int count) const
{
    const RowBlocks part = slice(first, count);
    Matrix out;
    out.data.reserve(std::size_t(count) * std::size_t(m_cols));
    for (const Block &b : part.m_blocks)
        out.data.insert(out.data.end(), b.rows.values, b.rows.values + std::size_t(b.rows.rows) * std::size_t(m_cols));
    out.rows = count;
    out.cols = m_cols;
    return out;
}

MatrixView RowBlocks::view() const
{
    if (!contiguous())
        throw std::logic_error("row table: view() of " + std::to_string(m_blocks.size()) + " blocks");
    return m_blocks.empty() ? MatrixView(nullptr, 0, m_cols) : m_blocks.front().rows;
}

MatrixView RowBlocks::viewOrCopy(Matrix &storage) const
{
    if (contiguous())
        return view();
    storage = copy();
    return storage;
}

}  // namespace cospace
