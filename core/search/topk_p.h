#pragma once
// The bounded best-k heap the int8 scans (quantizedscan.cpp, ivfindex.cpp) keep per thread.

#include "core/search/quantizedscan.h"

#include <cstddef>
#include <queue>
#include <vector>

namespace cospace {

// Worse first, so a std::priority_queue of these keeps the best on its inside and the worst on top.
struct WorseFirst {
    bool operator()(const ScoredRow &a, const ScoredRow &b) const
    {
        return a.score != b.score ? a.score > b.score : a.row < b.row;
    }
};
using TopHeap = std::priority_queue<ScoredRow, std::vector<ScoredRow>, WorseFirst>;

inline void offer(TopHeap &heap, std::size_t limit, ScoredRow candidate)
{
    if (heap.size() < limit) {
        heap.push(candidate);
    } else if (WorseFirst{}(candidate, heap.top())) {
        heap.pop();
        heap.push(candidate);
    }
}

// The heap's rows, best first; empties it.
inline std::vector<ScoredRow> drainBestFirst(TopHeap &heap)
{
    std::vector<ScoredRow> out(heap.size());
    for (std::size_t i = out.size(); i-- > 0; heap.pop())
        out[i] = heap.top();
    return out;
}

}  // namespace cospace
