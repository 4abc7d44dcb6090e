#pragma once
// Private to cliptokenizer*.cpp: the tokenizer's tables, shared by the two vocabulary readers
// (OpenAI's gzipped merge list in cliptokenizer.cpp, Hugging Face's vocab.json + merges.txt in
// cliptokenizerhf.cpp).

#include "core/model/cliptokenizer.h"

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cospace {

struct ClipTokenizer::Private {
    int byteId[256] = {};                           // byte -> id of its unicode stand-in
    int byteEndId[256] = {};                        // the same with the end-of-word marker "</w>"
    std::unordered_map<std::uint64_t, std::pair<int, int>> merges;   // (left, right) -> (rank, id)
    int vocabSize = 0;
    int startId = kStartOfText;
    int endId = kEndOfText;
    QStringList wholeWords;   // see ClipTokenizer::wholeWords()
    mutable std::mutex cacheMutex;
    mutable std::unordered_map<std::string, std::vector<int>> cache;   // word bytes -> ids

    static std::uint64_t key(int a, int b) { return (std::uint64_t(std::uint32_t(a)) << 32) | std::uint32_t(b); }
    std::vector<int> bpe(const std::string &bytes) const;
};

namespace detail {

// GPT-2's bytes_to_unicode(): fills unicodeOf[256] and returns the bytes in vocabulary order.
std::vector<int> clipByteOrder(char32_t *unicodeOf);
void appendUtf8(std::string &out, char32_t c);

}  // namespace detail
}  // namespace cospace
