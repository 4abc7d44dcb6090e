#pragma once
// OpenAI CLIP's byte-level BPE tokenizer (clip/simple_tokenizer.py), reimplemented in C++ so that a
// caption gives exactly the token ids the exported text tower was trained with.
//
// Pipeline, as in the original: Unicode NFC (stands in for ftfy.fix_text, which Debian does not
// package: ftfy would additionally fold e.g. curly apostrophes, full-width letters and ligatures,
// see tests/data/clip/clip_tokenizer_cases.json), HTML-unescape twice (the full HTML5 entity list,
// as Python's html.unescape), whitespace runs to one space, strip, lower-case (Python str.lower,
// including the Greek final sigma), the pre-split pattern (special tokens, 's 't 're 've 'm 'll 'd,
// letter runs, single digits, runs of other non-space), bytes -> unicode table, merges by rank.
//
// Thread-safety: const methods may be called from several threads (the per-word cache is locked).
// Errors: the constructor throws std::runtime_error naming the file when the vocabulary cannot be
// read or is not a CLIP merge list.

#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

namespace cospace {

class ClipTokenizer
{
public:
    static constexpr int kStartOfText = 49406;   // <|startoftext|>
    static constexpr int kEndOfText = 49407;     // <|endoftext|>
    static constexpr int kContextLength = 77;    // CLIP's text context
    static constexpr int kMergeCount = 49152 - 256 - 2;   // merges simple_tokenizer reads

    // `vocabFile`: bpe_simple_vocab_16e6.txt.gz (gzip, or the same text uncompressed).
    explicit ClipTokenizer(const QString &vocabFile);
    // Hugging Face's CLIPTokenizer files: vocab.json (token -> id) and merges.txt ("#version"
    // line, then one merge per line). Ids, <|startoftext|> and <|endoftext|> come from vocab.json.
    static std::unique_ptr<ClipTokenizer> fromHuggingFace(const QString &vocabJson, const QString &mergesTxt);
    ~ClipTokenizer();
    ClipTokenizer(const ClipTokenizer &) = delete;
    ClipTokenizer &operator=(const ClipTokenizer &) = delete;

    int vocabSize() const;   // 49408 for CLIP's vocabulary
    int startOfText() const;  // kStartOfText for OpenAI's vocabulary
    int endOfText() const;    // kEndOfText for OpenAI's vocabulary
    // The vocabulary's whole-word entries ("heart</w>") made of ASCII letters only, without the
    // "</w>", in merge order (roughly most frequent first): a ready list of frequent English words.
    const QStringList &wholeWords() const;

    // BPE ids of `text`, without <|startoftext|> / <|endoftext|> (simple_tokenizer's encode()).
    // Reads at most limits().maxCaptionChars characters of `text` (core/limits.h).
    std::vector<int> encode(const QString &text) const;

    // clip.tokenize(): SOT, the ids, EOT, zero padding to `contextLength`. Too long a text is cut
    // to `contextLength` with EOT kept as the last id when `truncate`; otherwise it throws.
    std::vector<std::int64_t> tokenize(const QString &text, int contextLength = kContextLength,
                                       bool truncate = true) const;

    // The cleaning steps before the pre-split, exposed for tests and for the docs.
    static QString cleanText(const QString &text);
    static QString htmlUnescape(const QString &text);

private:
    struct Private;
    explicit ClipTokenizer(std::unique_ptr<Private> d);
    std::unique_ptr<Private> d;
};

}  // namespace cospace
