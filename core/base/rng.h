#pragma once

#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

namespace cospace {

// A small, fast, portable generator (splitmix64-seeded xorshift64*): the same stream on every
// platform, unlike std:: distributions, so seeded layouts are reproducible.
class Rng
{
public:
    explicit Rng(std::uint64_t seed)
    {
        std::uint64_t z = seed + 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        m_state = (z ^ (z >> 31)) | 1ull;
    }
    std::uint64_t next()
    {
        m_state ^= m_state >> 12; m_state ^= m_state << 25; m_state ^= m_state >> 27;
        return m_state * 0x2545F4914F6CDD1Dull;
    }
    int below(int n) { return int((next() >> 33) % std::uint64_t(n)); }
    double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
private:
    std::uint64_t m_state;
};

// A uniform sample of `count` distinct indices of [0, n) in the order drawn (a partial Fisher-Yates
// shuffle: the same draws from `rng` on every platform).
inline std::vector<int> sampleWithoutReplacement(int n, int count, Rng &rng)
{
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    for (int i = 0; i < count; ++i)
        std::swap(order[std::size_t(i)], order[std::size_t(i + rng.below(n - i))]);
    order.resize(std::size_t(count));
    return order;
}

}  // namespace cospace
