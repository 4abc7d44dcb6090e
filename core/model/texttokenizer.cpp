#include "core/model/texttokenizer.h"

#include "core/base/limits.h"

#include <QJsonArray>

#include <algorithm>
#include <climits>
#include <map>
#include <stdexcept>

namespace cospace {

namespace {

const QString kWordEnd = QStringLiteral("</w>");
const QStringList kSpecials{QStringLiteral("<pad>"), QStringLiteral("<unk>"), QStringLiteral("<start>"),
                            QStringLiteral("<end>")};
constexpr int kMaxCacheEntries = 100000;
// BPE encoding is quadratic in the length of a word: a 4000-letter run (a hash, base64, words run
// together) took 12 s, a megabyte would take hours. Real words are far shorter; a longer run is
// encoded as consecutive words of at most this many UTF-16 units (decode() shows them spaced).
constexpr qsizetype kMaxWordUnits = 64;

bool isWordChar(char32_t c)
{
    const QChar::Category cat = QChar::category(c);
    return QChar::isLetter(c) || cat == QChar::Mark_NonSpacing || cat == QChar::Mark_SpacingCombining
           || cat == QChar::Mark_Enclosing;
}

// Splits a word into its characters (code points), the last one carrying the word-end marker.
QStringList characters(const QString &word)
{
    QStringList chars;
    for (char32_t c : word.toUcs4())
        chars << QString::fromUcs4(&c, 1);
    if (!chars.isEmpty())
        chars.last() += kWordEnd;
    return chars;
}

}  // namespace

TextTokenizer::TextTokenizer() : m_pieces(kSpecials), m_cacheMutex(std::make_unique<std::mutex>())
{
    rebuildIndex();
}

TextTokenizer::TextTokenizer(const TextTokenizer &other)
    : m_kind(other.m_kind), m_pieces(other.m_pieces), m_ids(other.m_ids), m_mergeRank(other.m_mergeRank),
      m_cacheMutex(std::make_unique<std::mutex>())
{
}

TextTokenizer &TextTokenizer::operator=(const TextTokenizer &other)
{
    if (this != &other) {
        m_kind = other.m_kind;
        m_pieces = other.m_pieces;
        m_ids = other.m_ids;
        m_mergeRank = other.m_mergeRank;
        std::lock_guard lock(*m_cacheMutex);
        m_cache.clear();
    }
    return *this;
}

QStringList TextTokenizer::preTokenize(const QString &text)
{
    const QString clean = text.normalized(QString::NormalizationForm_C).toLower();
    QStringList words;
    QString current;
    for (char32_t c : clean.toUcs4()) {
        if (isWordChar(c)) {
            current += QString::fromUcs4(&c, 1);
            continue;
        }
        if (!current.isEmpty()) {
            words << current;
            current.clear();
        }
        if (!QChar::isSpace(c) && QChar::category(c) != QChar::Other_Control)
            words << QString::fromUcs4(&c, 1);   // digits and symbols stand alone
    }
    if (!current.isEmpty())
        words << current;
    return words;
}

void TextTokenizer::rebuildIndex()
{
    m_ids.clear();
    for (int i = 0; i < m_pieces.size(); ++i)
        m_ids.insert(m_pieces[i], i);
}

TextTokenizer TextTokenizer::train(const QStringList &corpus, int vocabSize, const QString &kind)
{
    if (kind != u"bpe" && kind != u"word")
        throw std::runtime_error(u"unknown tokenizer kind \"%1\" (bpe or word)"_qs.arg(kind).toStdString());
    TextTokenizer t;
    t.m_kind = kind;
    // Deterministic: std::map orders words, ties in counts break by text.
    std::map<QString, qint64> wordCounts;
    for (const QString &caption : corpus)
        for (const QString &w : preTokenize(caption))
            ++wordCounts[w];
    std::map<QString, qint64> charCounts;
    for (const auto &[w, n] : wordCounts)
        for (const QString &c : characters(w))
            charCounts[c] += n;
    // Alphabet first: every character piece seen, most frequent first.
    std::vector<std::pair<QString, qint64>> alphabet(charCounts.begin(), charCounts.end());
    std::stable_sort(alphabet.begin(), alphabet.end(), [](auto &a, auto &b) { return a.second > b.second; });
    for (const auto &[c, n] : alphabet) {
        if (t.m_pieces.size() >= vocabSize)
            break;
        t.m_pieces << c;
    }
    t.rebuildIndex();

    if (kind == u"word") {
        std::vector<std::pair<QString, qint64>> words(wordCounts.begin(), wordCounts.end());
        std::stable_sort(words.begin(), words.end(), [](auto &a, auto &b) { return a.second > b.second; });
        for (const auto &[w, n] : words) {
            if (t.m_pieces.size() >= vocabSize)
                break;
            const QString piece = w + kWordEnd;
            if (!t.m_ids.contains(piece) && n >= 2) {
                t.m_ids.insert(piece, int(t.m_pieces.size()));
                t.m_pieces << piece;
            }
        }
        return t;
    }

    // BPE: words as sequences of piece ids; merge the most frequent adjacent pair until full.
    // Ties break towards the smaller (first, second) id pair, so training is deterministic.
    struct WordSymbols { std::vector<int> symbols; qint64 count; };
    std::vector<WordSymbols> words;
    for (const auto &[w, n] : wordCounts) {
        WordSymbols ws{{}, n};
        for (const QString &c : characters(w))
            ws.symbols.push_back(t.m_ids.value(c, Unknown));
        words.push_back(std::move(ws));
    }
    auto key = [](int a, int b) { return (quint64(quint32(a)) << 32) | quint32(b); };
    while (t.m_pieces.size() < vocabSize) {
        QHash<quint64, qint64> pairs;
        for (const WordSymbols &ws : words)
            for (std::size_t i = 0; i + 1 < ws.symbols.size(); ++i)
                pairs[key(ws.symbols[i], ws.symbols[i + 1])] += ws.count;
        quint64 bestKey = 0;
        qint64 bestCount = 0;
        for (auto it = pairs.cbegin(); it != pairs.cend(); ++it)
            if (it.value() > bestCount || (it.value() == bestCount && it.key() < bestKey)) {
                bestCount = it.value();
                bestKey = it.key();
            }
        if (bestCount < 2)
            break;
        const int a = int(bestKey >> 32), b = int(bestKey & 0xffffffffu);
        const QString merged = t.m_pieces[a] + t.m_pieces[b];
        t.m_mergeRank.insert(t.m_pieces[a] + u' ' + t.m_pieces[b], int(t.m_mergeRank.size()));
        int mergedId = t.m_ids.value(merged, -1);
        if (mergedId < 0) {
            mergedId = int(t.m_pieces.size());
            t.m_ids.insert(merged, mergedId);
            t.m_pieces << merged;
        }
        for (WordSymbols &ws : words) {
            std::vector<int> &sym = ws.symbols;
            std::size_t out = 0;
            for (std::size_t i = 0; i < sym.size(); ++i) {
                if (i + 1 < sym.size() && sym[i] == a && sym[i + 1] == b) {
                    sym[out++] = mergedId;
                    ++i;
                } else {
                    sym[out++] = sym[i];
                }
            }
            sym.resize(out);
        }
    }
    return t;
}

std::vector<int> TextTokenizer::encodeWord(const QString &word) const
{
    {
        std::lock_guard lock(*m_cacheMutex);
        const auto it = m_cache.constFind(word);
        if (it != m_cache.constEnd())
            return *it;
    }
    std::vector<int> ids;
    const QString whole = word + kWordEnd;
    if (m_kind == u"word" && m_ids.contains(whole)) {
        ids.push_back(m_ids.value(whole));
    } else {
        QStringList symbols = characters(word);
        if (m_kind == u"bpe") {
            // Apply merges lowest rank first, as they were learned.
            while (symbols.size() > 1) {
                int bestRank = INT_MAX, bestAt = -1;
                for (int i = 0; i + 1 < symbols.size(); ++i) {
                    const int rank = m_mergeRank.value(symbols[i] + u' ' + symbols[i + 1], INT_MAX);
                    if (rank < bestRank) {
                        bestRank = rank;
                        bestAt = i;
                    }
                }
                if (bestAt < 0)
                    break;
                symbols[bestAt] += symbols[bestAt + 1];
                symbols.removeAt(bestAt + 1);
            }
        }
        for (const QString &s : symbols)
            ids.push_back(m_ids.value(s, Unknown));
    }
    std::lock_guard lock(*m_cacheMutex);
    if (m_cache.size() < kMaxCacheEntries)
        m_cache.insert(word, ids);
    return ids;
}

std::vector<int> TextTokenizer::encode(const QString &text) const
{
    QString bounded = text;
    truncateText(bounded, limits().maxCaptionChars);
    std::vector<int> ids;
    for (const QString &word : preTokenize(bounded)) {
        for (qsizetype from = 0; from < word.size();) {
            qsizetype n = std::min(kMaxWordUnits, word.size() - from);
            if (from + n < word.size() && word[from + n - 1].isHighSurrogate())
                --n;   // never cut a character in two
            const std::vector<int> w = encodeWord(n == word.size() ? word : word.mid(from, n));
            ids.insert(ids.end(), w.begin(), w.end());
            from += n;
        }
    }
    return ids;
}

std::vector<int> TextTokenizer::encodePadded(const QString &text, int context) const
{
    std::vector<int> ids = encode(text);
    const std::size_t room = std::size_t(std::max(0, context - 2));
    if (ids.size() > room)
        ids.resize(room);
    std::vector<int> out(std::size_t(std::max(context, 2)), Pad);
    out[0] = Start;
    std::copy(ids.begin(), ids.end(), out.begin() + 1);
    out[ids.size() + 1] = End;
    return out;
}

QString TextTokenizer::decode(const std::vector<int> &ids) const
{
    QString text;
    for (int id : ids) {
        if (id < SpecialCount || id >= m_pieces.size())
            continue;
        QString piece = m_pieces[id];
        if (piece.endsWith(kWordEnd)) {
            piece.chop(kWordEnd.size());
            text += piece + u' ';
        } else {
            text += piece;
        }
    }
    return text.trimmed();
}

QStringList TextTokenizer::wholeWords() const
{
    QStringList words;
    for (const QString &piece : m_pieces) {
        if (!piece.endsWith(kWordEnd) || piece.size() < kWordEnd.size() + 2)
            continue;
        const QString word = piece.chopped(kWordEnd.size());
        if (std::all_of(word.begin(), word.end(), [](QChar c) { return c.isLetter(); }))
            words << word;
    }
    return words;
}

QJsonObject TextTokenizer::toJson() const
{
    QJsonArray merges(QJsonArray::fromStringList({}));
    std::vector<std::pair<int, QString>> ordered;
    for (auto it = m_mergeRank.begin(); it != m_mergeRank.end(); ++it)
        ordered.emplace_back(it.value(), it.key());
    std::sort(ordered.begin(), ordered.end());
    for (const auto &[rank, pair] : ordered)
        merges.append(pair);
    return {{u"kind"_qs, m_kind}, {u"pieces"_qs, QJsonArray::fromStringList(m_pieces)}, {u"merges"_qs, merges}};
}

TextTokenizer TextTokenizer::fromJson(const QJsonObject &json)
{
    TextTokenizer t;
    t.m_kind = json.value(u"kind"_qs).toString();
    if (t.m_kind != u"bpe" && t.m_kind != u"word")
        throw std::runtime_error("tokenizer: unknown kind");
    t.m_pieces.clear();
    for (const QJsonValue &v : json.value(u"pieces"_qs).toArray())
        t.m_pieces << v.toString();
    if (t.m_pieces.size() < SpecialCount || t.m_pieces.mid(0, SpecialCount) != kSpecials)
        throw std::runtime_error("tokenizer: vocabulary is missing its special tokens");
    const QJsonArray merges = json.value(u"merges"_qs).toArray();
    for (int i = 0; i < merges.size(); ++i)
        t.m_mergeRank.insert(merges[i].toString(), i);
    t.rebuildIndex();
    return t;
}

}  // namespace cospace
