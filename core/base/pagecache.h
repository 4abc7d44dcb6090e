#pragma once
// Asking the kernel for many scattered rows of a memory-mapped file at once: with MADV_WILLNEED on
// every row first, the disk serves the reads in parallel instead of one page fault after another
// (a 10M-vector snapshot does not fit the page cache; see CODING_GUIDELINES.md). Harmless on memory
// that is not a file mapping.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace cospace {

// Requests rows `rows[0..count)` of `base` (row-major, `rowBytes` bytes a row).
template <typename RowIndex>
void willNeedRows(const void *base, std::size_t rowBytes, const RowIndex *rows, std::size_t count)
{
    static const std::uintptr_t page = std::uintptr_t(sysconf(_SC_PAGESIZE));
    for (std::size_t i = 0; i < count; ++i) {
        const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(base) + std::uintptr_t(rows[i]) * rowBytes;
        const std::uintptr_t first = begin & ~(page - 1);
        madvise(reinterpret_cast<void *>(first), begin + rowBytes - first, MADV_WILLNEED);
    }
}

}  // namespace cospace
