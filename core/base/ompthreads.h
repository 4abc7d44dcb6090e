#pragma once

#include <omp.h>

namespace cospace {

// Sets the OpenMP thread count for a scope (FAISS sizes its pool from omp_get_max_threads()) and
// restores the caller's setting afterwards.
class OmpThreads
{
public:
    explicit OmpThreads(int n) : m_saved(omp_get_max_threads()) { omp_set_num_threads(n); }
    ~OmpThreads() { omp_set_num_threads(m_saved); }
    OmpThreads(const OmpThreads &) = delete;
    OmpThreads &operator=(const OmpThreads &) = delete;
private:
    int m_saved;
};

// The smallest i in [0, n) for which pred(i) holds, or n when none does. pred runs for every i, on all
// threads once n passes `parallelFrom` (a million rows), so any side effect it has happens for each i
// and the answer is the one a loop from 0 would give.
template <typename Index, typename Pred>
Index firstIndexWhere(Index n, Index parallelFrom, Pred pred)
{
    Index first = n;
#pragma omp parallel for schedule(static) reduction(min : first) if (n > parallelFrom)
    for (Index i = 0; i < n; ++i)
        if (pred(i) && i < first)
            first = i;
    return first;
}

}  // namespace cospace
