#include "core/projection/layoutcache.h"

#include "core/base/npy.h"
#include "core/base/paths.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace cospace {

namespace {

// Bump when a projector's output changes for the same input, or the key's recipe (2: contentDigest,
// 3: UMAP's gradient powers from PowerTable).
constexpr int kLayoutCacheVersion = 3;

QString cacheFolder(const QString &dir)
{
    const QString folder = dir.isEmpty() ? paths::cacheDir() + u"/layouts"_qs : dir;
    QDir().mkpath(folder);
    return folder;
}

// A 256-bit fingerprint of a byte stream at memory speed (SHA-1 took 2.7 s over a 1M x 512 workspace):
// four multiply-rotate chains over 64-bit words, word i feeding chain i % 4. Each step is a bijection of
// the chain's state for a given word and of the word for a given state, so changing, moving or swapping
// any value changes the digest. Fed in pieces (a table's blocks, base/rowblocks.h) it gives the digest
// of their concatenation. Not cryptographic: a cache key, hashed again with SHA-1 with the options.
class ContentDigest
{
public:
    void add(const void *data, std::size_t n)
    {
        const auto *p = static_cast<const unsigned char *>(data);
        m_total += n;
        if (m_pending > 0) {   // complete the 32-byte group a previous piece began
            const std::size_t take = std::min(n, 32 - m_pending);
            std::memcpy(m_buffer.data() + m_pending, p, take);
            m_pending += take;
            p += take;
            n -= take;
            if (m_pending < 32)
                return;
            group(m_buffer.data());
            m_pending = 0;
        }
        std::size_t i = 0;
        for (; i + 32 <= n; i += 32)
            group(p + i);
        std::memcpy(m_buffer.data(), p + i, n - i);
        m_pending = n - i;
    }

    std::array<std::uint64_t, 4> finish()
    {
        for (std::size_t lane = 0, i = 0; i < m_pending; ++lane, i += 8) {   // the last 1..31 bytes, zero-padded
            std::uint64_t w = 0;
            std::memcpy(&w, m_buffer.data() + i, std::min<std::size_t>(8, m_pending - i));
            mix(lane, w);
        }
        for (std::uint64_t &x : m_h) {
            x ^= m_total;
            x ^= x >> 33;
            x *= 0xFF51AFD7ED558CCDull;
            x ^= x >> 33;
        }
        return m_h;
    }

private:
    void mix(std::size_t lane, std::uint64_t w) { m_h[lane] = std::rotl((m_h[lane] ^ w) * 0x9E3779B97F4A7C15ull, 31); }
    void group(const unsigned char *p)
    {
        for (std::size_t lane = 0; lane < 4; ++lane) {
            std::uint64_t w;
            std::memcpy(&w, p + 8 * lane, 8);
            mix(lane, w);
        }
    }

    std::array<std::uint64_t, 4> m_h{0x243F6A8885A308D3ull, 0x13198A2E03707344ull, 0xA4093822299F31D0ull,
                                     0x082EFA98EC4E6C89ull};
    std::array<unsigned char, 32> m_buffer{};
    std::size_t m_pending = 0;
    std::size_t m_total = 0;
};

}  // namespace

QString layoutCacheKey(const Matrix &vectors, const ProjectionOptions &options)
{
    return layoutCacheKey(RowBlocks::viewing(vectors), options);
}

QString layoutCacheKey(const RowBlocks &vectors, const ProjectionOptions &o)
{
    QCryptographicHash hash(QCryptographicHash::Sha1);
    const QString shape = u"v%1 %2x%3 m%4 s%5 p%6 ee%7/%8 it%9 lr%10 th%11 g%12 nn%13 md%14 sp%15 ep%16 neg%17 init%18"_qs
                              .arg(kLayoutCacheVersion).arg(vectors.rows()).arg(vectors.cols()).arg(int(o.method))
                              .arg(o.seed).arg(o.perplexity).arg(o.earlyExaggeration).arg(o.earlyExaggerationIterations)
                              .arg(o.tsneIterations).arg(o.learningRate).arg(o.theta).arg(int(o.tsneGradient))
                              .arg(o.nNeighbors).arg(o.minDist).arg(o.spread).arg(o.umapEpochs).arg(o.negativeSampleRate)
                              .arg(o.initial.rows);
    hash.addData(shape.toUtf8());
    const auto add = [&hash](const RowBlocks &rows) {
        ContentDigest content;
        for (const RowBlocks::Block &b : rows.blocks())
            content.add(b.rows.values, std::size_t(b.rows.rows) * std::size_t(b.rows.cols) * sizeof(float));
        const std::array<std::uint64_t, 4> digest = content.finish();
        hash.addData(QByteArrayView(reinterpret_cast<const char *>(digest.data()), qsizetype(sizeof digest)));
    };
    add(vectors);
    if (!o.initial.empty())
        add(RowBlocks::viewing(o.initial));
    return QString::fromLatin1(hash.result().toHex());
}

std::optional<Matrix> readCachedLayout(const QString &key, int rows, const QString &dir)
{
    const QString path = cacheFolder(dir) + u'/' + key + u".npy"_qs;
    if (!QFile::exists(path))
        return std::nullopt;
    try {
        Matrix layout = readNpy(path);
        if (layout.rows != rows || layout.cols != 2)
            return std::nullopt;
        for (float v : layout.data)
            if (!std::isfinite(v))
                return std::nullopt;
        return layout;
    } catch (const std::exception &) {
        return std::nullopt;   // a torn or foreign file: recompute (and overwrite it)
    }
}

bool writeCachedLayout(const QString &key, const Matrix &layout, const QString &dir)
{
    const QString path = cacheFolder(dir) + u'/' + key + u".npy"_qs;
    const QString temporary = path + u".%1.tmp"_qs.arg(quintptr(&layout), 0, 16);
    try {
        writeNpy(temporary, layout);
    } catch (const std::exception &) {
        QFile::remove(temporary);
        return false;
    }
    QFile::remove(path);
    if (!QFile::rename(temporary, path)) {
        QFile::remove(temporary);
        return false;
    }
    return true;
}

}  // namespace cospace
