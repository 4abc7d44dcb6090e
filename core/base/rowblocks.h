#pragma once
// One table of rows kept in a few contiguous blocks that others own: a map's images as one mapped
// snapshot (store/vectorsnapshot.h), its captions as another, its typed captions as a small Matrix.
// Reading them as one table needs no copy of a million rows into one Matrix (2 GB at 1M x 512, a
// second and a half of page faults and copying on every workspace open). Copies of a RowBlocks
// share the blocks; each block's owner lives as long as any table that shows it.

#include "core/base/matrix.h"

#include <memory>
#include <span>
#include <vector>

namespace cospace {

class RowBlocks
{
public:
    struct Block {
        MatrixView rows;
        int first = 0;                        // its first row in the table
        std::shared_ptr<const void> owner;    // keeps rows.values alive; null when the caller does
    };

    explicit RowBlocks(int cols = 0) : m_cols(cols) {}
    static RowBlocks owning(Matrix rows);              // one block, the table owns it
    static RowBlocks viewing(MatrixView rows);         // one block the caller keeps alive

    // Appends rows (with as many columns as the table; a table of 0 columns takes theirs). Blocks of no
    // rows are skipped. Throws std::invalid_argument on a column mismatch.
    void append(MatrixView rows, std::shared_ptr<const void> owner);
    void append(Matrix rows);
    void append(const RowBlocks &more);   // its blocks, shared

    int rows() const { return m_rows; }
    int cols() const { return m_cols; }
    bool empty() const { return m_rows == 0 || m_cols == 0; }
    std::span<const Block> blocks() const { return m_blocks; }

    const float *row(int i) const;
    std::span<const float> rowSpan(int i) const { return {row(i), std::size_t(m_cols)}; }

    // Rows [first, first + count) as a table sharing these blocks (no copy), or as one Matrix (a copy).
    RowBlocks slice(int first, int count) const;
    Matrix copy(int first, int count) const;
    Matrix copy() const { return copy(0, m_rows); }
    // The rows as one view when they lie in at most one block (no copy), else empty.
    bool contiguous() const { return m_blocks.size() <= 1; }
    MatrixView view() const;   // contiguous() only; throws std::logic_error otherwise
    // The rows as one view: in place when contiguous(), else copied into `storage` (which must outlive it).
    MatrixView viewOrCopy(Matrix &storage) const;

private:
    std::vector<Block> m_blocks;
    int m_rows = 0;
    int m_cols = 0;
};

}  // namespace cospace
