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

}  // namespace cospace
