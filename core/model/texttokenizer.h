#pragma once
// The tokenizer of Cospace's own models, learned from the training captions and saved in the
// checkpoint. Two kinds:
//   bpe   byte-pair merges over characters (CLIP-style "</w>" word ends), so any word made of
//         known characters has an encoding;
//   word  the most frequent whole words, with a character-level fallback for the rest.
// Text is NFC-normalised and lower-cased, then split Unicode-aware into runs of letters (with
// combining marks), single digits, and single other non-space characters. Characters never seen
// in training become <unk>. A run of more than 64 UTF-16 units without a break (no real word is that
// long) is encoded as several words, which keeps encoding linear in the text length.
//
// encode() is thread-safe (its word cache is guarded); train()/fromJson() build new instances.

#include <QHash>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <mutex>
#include <vector>

namespace cospace {

class TextTokenizer
{
public:
    enum Special { Pad = 0, Unknown = 1, Start = 2, End = 3, SpecialCount = 4 };

    TextTokenizer();
    TextTokenizer(const TextTokenizer &other);
    TextTokenizer &operator=(const TextTokenizer &other);

    static TextTokenizer train(const QStringList &corpus, int vocabSize, const QString &kind = QStringLiteral("bpe"));
    static TextTokenizer fromJson(const QJsonObject &json);  // throws std::runtime_error when malformed
    QJsonObject toJson() const;

    static QStringList preTokenize(const QString &text);
    // No special tokens; reads at most limits().maxCaptionChars characters of `text`.
    std::vector<int> encode(const QString &text) const;
    // <start> ids... <end>, truncated to keep <end>, padded with <pad> (0) to `context`.
    std::vector<int> encodePadded(const QString &text, int context) const;
    QString decode(const std::vector<int> &ids) const;          // words joined by single spaces

    int vocabSize() const { return int(m_pieces.size()); }
    QString kind() const { return m_kind; }
    const QStringList &pieces() const { return m_pieces; }
    // Pieces that are whole words of two or more letters ("heart</w>" -> "heart"), in piece order.
    QStringList wholeWords() const;

private:
    std::vector<int> encodeWord(const QString &word) const;
    void rebuildIndex();

    QString m_kind = QStringLiteral("bpe");
    QStringList m_pieces;                      // id -> piece ("ca", "t</w>", ...)
    QHash<QString, int> m_ids;                 // piece -> id
    QHash<QString, int> m_mergeRank;           // "a b" -> rank (bpe)
    mutable std::unique_ptr<std::mutex> m_cacheMutex;
    mutable QHash<QString, std::vector<int>> m_cache;
};

}  // namespace cospace
