#pragma once
// Test support: one field of the process-wide input limits (core/limits.h) set for a scope, the
// previous limits put back when the scope ends.

#include "core/base/limits.h"

#include <cstdint>

namespace cospace::testing {

class ScopedLimit
{
public:
    ScopedLimit(std::int64_t Limits::*field, std::int64_t value) : m_old(limits())
    {
        Limits changed = m_old;
        changed.*field = value;
        setLimits(changed);
    }
    ~ScopedLimit() { setLimits(m_old); }
    ScopedLimit(const ScopedLimit &) = delete;
    ScopedLimit &operator=(const ScopedLimit &) = delete;

private:
    Limits m_old;
};

}  // namespace cospace::testing
