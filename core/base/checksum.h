#pragma once

#include <cstddef>
#include <cstdint>

namespace cospace {

// FNV-1a (64-bit) of n bytes: the checksum of the cache files' headers (store/vectorsnapshot.h,
// search/ivfindex.h).
inline std::uint64_t fnv1a(const void *data, std::size_t n)
{
    std::uint64_t h = 1469598103934665603ull;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= static_cast<const unsigned char *>(data)[i];
        h *= 1099511628211ull;
    }
    return h;
}

}  // namespace cospace
