#pragma once
// Pieces shared by the cache files Cospace keeps beside a store (store/vectorsnapshot.h,
// search/ivfindex.h): a 4096-byte header naming the store, checked by FNV-1a, then sections
// aligned to 64 bytes.

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cospace {

inline constexpr std::uint64_t kCacheHeaderBytes = 4096;
inline constexpr std::uint64_t kCacheSectionAlign = 64;

// FNV-1a (64-bit) of n bytes: the header checksum.
inline std::uint64_t fnv1a(const void *data, std::size_t n)
{
    std::uint64_t h = 1469598103934665603ull;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= static_cast<const unsigned char *>(data)[i];
        h *= 1099511628211ull;
    }
    return h;
}

// `offset` rounded up to the next section boundary.
constexpr std::uint64_t alignedSection(std::uint64_t offset)
{
    return (offset + kCacheSectionAlign - 1) / kCacheSectionAlign * kCacheSectionAlign;
}

// The store id as the header's 48-byte field: Latin-1, cut to 47 bytes, zero-padded.
inline void copyStoreId(const QString &storeId, char (&out)[48])
{
    std::memset(out, 0, sizeof out);
    const QByteArray id = storeId.toLatin1().left(qsizetype(sizeof out) - 1);
    std::memcpy(out, id.constData(), std::size_t(id.size()));
}

}  // namespace cospace
