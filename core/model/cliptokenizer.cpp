#include "core/model/cliptokenizer_p.h"

#include "core/base/limits.h"

#include <QChar>
#include <QFile>

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace cospace {

namespace {

struct HtmlEntity { const char *name; const char *utf8; };
struct NumericFix { char32_t code; const char *utf8; };
#include "core/model/htmlentities_p.inc"

std::u32string toU32(const QString &s)
{
    const QList<uint> ucs4 = s.toUcs4();
    return std::u32string(ucs4.begin(), ucs4.end());
}

QString fromU32(const std::u32string &s)
{
    return QString::fromUcs4(s.data(), qsizetype(s.size()));
}

std::u32string utf8ToU32(const char *utf8) { return toU32(QString::fromUtf8(utf8)); }

// Python's str.isspace(): White_Space plus the information separators U+001C..U+001F.
bool isPySpace(char32_t c) { return QChar::isSpace(c) || (c >= 0x1C && c <= 0x1F); }
// regex's \s (Unicode White_Space); QChar::isSpace covers exactly that set.
bool isReSpace(char32_t c) { return QChar::isSpace(c); }
bool isLetter(char32_t c) { return QChar::isLetter(c); }
bool isNumber(char32_t c) { return QChar::isNumber(c); }

std::u32string pyStrip(const std::u32string &s)
{
    std::size_t b = 0, e = s.size();
    while (b < e && isPySpace(s[b]))
        ++b;
    while (e > b && isPySpace(s[e - 1]))
        --e;
    return s.substr(b, e - b);
}

// ---- html.unescape -------------------------------------------------------------------------

struct EntityTables {
    std::unordered_map<std::string, std::u32string> named;
    std::unordered_map<char32_t, std::u32string> numericFix;
    std::unordered_set<char32_t> dropped;
    EntityTables()
    {
        for (const HtmlEntity &e : kHtmlEntities)
            named.emplace(e.name, utf8ToU32(e.utf8));
        for (const NumericFix &f : kInvalidCharrefs)
            numericFix.emplace(f.code, utf8ToU32(f.utf8));
        for (char32_t c : kInvalidCodepoints)
            dropped.insert(c);
    }
};

const EntityTables &entityTables()
{
    static const EntityTables tables;
    return tables;
}

bool isAsciiDigit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool isHexDigit(char32_t c)
{
    return isAsciiDigit(c) || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}
int hexValue(char32_t c) { return isAsciiDigit(c) ? int(c - U'0') : int((c | 0x20) - U'a' + 10); }

std::u32string numericReplacement(unsigned long long num)
{
    const EntityTables &t = entityTables();
    if (num <= 0xFFFFFFFFull) {
        if (auto it = t.numericFix.find(char32_t(num)); it != t.numericFix.end())
            return it->second;
    }
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF)
        return std::u32string(1, U'\uFFFD');
    if (t.dropped.count(char32_t(num)))
        return {};
    return std::u32string(1, char32_t(num));
}

// Tries the charref pattern of CPython's html module at s[pos] == '&'. Returns the number of code
// points consumed (0: no match) and the replacement.
std::size_t matchCharref(const std::u32string &s, std::size_t pos, std::u32string *replacement)
{
    std::size_t i = pos + 1;
    const std::size_t n = s.size();
    if (i < n && s[i] == U'#') {
        const bool hex = i + 1 < n && (s[i + 1] == U'x' || s[i + 1] == U'X');
        std::size_t j = i + 1;
        unsigned long long num = 0;
        const unsigned long long cap = 0x7FFFFFFFull;   // anything above 0x10FFFF maps to U+FFFD
        if (j < n && isAsciiDigit(s[j])) {   // '#[0-9]+;?' is tried before the hex form
            for (; j < n && isAsciiDigit(s[j]); ++j)
                num = std::min(cap, num * 10 + (s[j] - U'0'));
        } else if (hex && j + 1 < n && isHexDigit(s[j + 1])) {
            for (++j; j < n && isHexDigit(s[j]); ++j)
                num = std::min(cap, num * 16 + unsigned(hexValue(s[j])));
        } else {
            return 0;
        }
        if (j < n && s[j] == U';')
            ++j;
        *replacement = numericReplacement(num);
        return j - pos;
    }
    // Named: '[^\t\n\f <&#;]{1,32};?', then the longest known prefix.
    std::size_t j = i;
    auto nameChar = [](char32_t c) {
        return c != U'\t' && c != U'\n' && c != U'\f' && c != U' ' && c != U'<' && c != U'&' && c != U'#'
               && c != U';';
    };
    while (j < n && j - i < 32 && nameChar(s[j]))
        ++j;
    if (j == i)
        return 0;
    if (j < n && s[j] == U';')
        ++j;
    const std::u32string name = s.substr(i, j - i);
    const auto &named = entityTables().named;
    auto lookup = [&named](const std::u32string &key, std::u32string *value) {
        std::string ascii;
        for (char32_t c : key) {
            if (c > 0x7F)
                return false;
            ascii += char(c);
        }
        const auto it = named.find(ascii);
        if (it == named.end())
            return false;
        *value = it->second;
        return true;
    };
    std::u32string value;
    if (lookup(name, &value)) {
        *replacement = value;
    } else {
        bool found = false;
        for (std::size_t x = name.size() - 1; x > 1 && !found; --x) {
            if (lookup(name.substr(0, x), &value)) {
                *replacement = value + name.substr(x);
                found = true;
            }
        }
        if (!found)
            *replacement = U"&" + name;
    }
    return j - pos;
}

std::u32string htmlUnescapeU32(const std::u32string &s)
{
    if (s.find(U'&') == std::u32string::npos)
        return s;
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        std::u32string rep;
        const std::size_t used = s[i] == U'&' ? matchCharref(s, i, &rep) : 0;
        if (used) {
            out += rep;
            i += used;
        } else {
            out += s[i++];
        }
    }
    return out;
}

// ---- str.lower ----------------------------------------------------------------------------

bool isCased(char32_t c)
{
    return QChar::isLower(c) || QChar::isUpper(c) || QChar::isTitleCase(c);
}

// Unicode Case_Ignorable: Mn, Me, Cf, Lm, Sk and the Word_Break MidLetter/MidNumLet/Single_Quote
// characters.
bool isCaseIgnorable(char32_t c)
{
    switch (QChar::category(c)) {
    case QChar::Mark_NonSpacing:
    case QChar::Mark_Enclosing:
    case QChar::Other_Format:
    case QChar::Letter_Modifier:
    case QChar::Symbol_Modifier:
        return true;
    default:
        break;
    }
    static constexpr char32_t kMid[] = {0x27, 0x2E, 0x3A, 0xB7, 0x387, 0x5F4, 0x2018, 0x2019,
                                        0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A};
    return std::find(std::begin(kMid), std::end(kMid), c) != std::end(kMid);
}

// CPython's handle_capital_sigma(): sigma at the end of a cased word lowers to final sigma.
bool isFinalSigma(const std::u32string &s, std::size_t i)
{
    std::size_t j = i;
    while (j > 0 && isCaseIgnorable(s[j - 1]))
        --j;
    if (j == 0 || !isCased(s[j - 1]))
        return false;
    std::size_t k = i + 1;
    while (k < s.size() && isCaseIgnorable(s[k]))
        ++k;
    return k == s.size() || !isCased(s[k]);
}

std::u32string pyLower(const std::u32string &s)
{
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char32_t c = s[i];
        if (c == 0x130) {          // the one unconditional one-to-many lower-case mapping
            out += U'i';
            out += char32_t(0x307);
        } else if (c == 0x3A3) {
            out += isFinalSigma(s, i) ? char32_t(0x3C2) : char32_t(0x3C3);
        } else {
            out += QChar::toLower(c);
        }
    }
    return out;
}

std::u32string cleanU32(const QString &text)
{
    // basic_clean: fix_text (NFC here), html.unescape twice, strip.
    std::u32string s = toU32(text.normalized(QString::NormalizationForm_C));
    s = pyStrip(htmlUnescapeU32(htmlUnescapeU32(s)));
    // whitespace_clean: re.sub(r'\s+', ' '), strip.
    std::u32string collapsed;
    collapsed.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        if (isReSpace(s[i])) {
            collapsed += U' ';
            while (i < s.size() && isReSpace(s[i]))
                ++i;
        } else {
            collapsed += s[i++];
        }
    }
    return pyLower(pyStrip(collapsed));
}

// ---- the pre-split pattern ------------------------------------------------------------------
// <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (IGNORECASE; the text is already lower-case, but simple case folding still lets "ſ" match "s").

struct Piece {
    std::size_t begin, length;
    int special;   // 0 or the special token id
};

bool startsWith(const std::u32string &s, std::size_t pos, std::u32string_view what)
{
    if (s.size() - pos < what.size())
        return false;
    for (std::size_t k = 0; k < what.size(); ++k) {
        char32_t c = s[pos + k];
        if (c == 0x17F)   // LATIN SMALL LETTER LONG S folds to 's'
            c = U's';
        if (c != what[k])
            return false;
    }
    return true;
}

std::vector<Piece> preSplit(const std::u32string &s)
{
    static constexpr std::u32string_view kContractions[] = {U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};
    std::vector<Piece> pieces;
    for (std::size_t i = 0; i < s.size();) {
        if (startsWith(s, i, U"<|startoftext|>")) {
            pieces.push_back({i, 15, ClipTokenizer::kStartOfText});
            i += 15;
            continue;
        }
        if (startsWith(s, i, U"<|endoftext|>")) {
            pieces.push_back({i, 13, ClipTokenizer::kEndOfText});
            i += 13;
            continue;
        }
        bool matched = false;
        for (std::u32string_view c : kContractions) {
            if (startsWith(s, i, c)) {
                pieces.push_back({i, c.size(), 0});
                i += c.size();
                matched = true;
                break;
            }
        }
        if (matched)
            continue;
        std::size_t j = i;
        if (isLetter(s[i])) {
            while (j < s.size() && isLetter(s[j]))
                ++j;
        } else if (isNumber(s[i])) {
            j = i + 1;
        } else if (!isReSpace(s[i])) {
            while (j < s.size() && !isReSpace(s[j]) && !isLetter(s[j]) && !isNumber(s[j]))
                ++j;
        } else {
            ++i;   // findall skips what no alternative matches
            continue;
        }
        pieces.push_back({i, j - i, 0});
        i = j;
    }
    return pieces;
}

}  // namespace

// ---- the tokenizer --------------------------------------------------------------------------

namespace {

QByteArray readGzip(const QString &path)
{
    gzFile f = gzopen(QFile::encodeName(path).constData(), "rb");
    if (!f)
        throw std::runtime_error(u"%1: cannot open the tokenizer vocabulary"_qs.arg(path).toStdString());
    QByteArray data;
    char buffer[1 << 16];
    int n = 0;
    while ((n = gzread(f, buffer, sizeof buffer)) > 0)
        data.append(buffer, n);
    int code = Z_OK;
    const char *message = gzerror(f, &code);
    const QString reason = QString::fromUtf8(message ? message : "");
    gzclose(f);
    if (n < 0 || (code != Z_OK && code != Z_STREAM_END))
        throw std::runtime_error(
            u"%1: the tokenizer vocabulary is damaged (%2)"_qs.arg(path, reason).toStdString());
    return data;
}

}  // namespace

// bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the rest map to U+0100 upwards.
std::vector<int> detail::clipByteOrder(char32_t *unicodeOf)
{
    std::vector<int> bs;
    for (int b = '!'; b <= '~'; ++b)
        bs.push_back(b);
    for (int b = 0xA1; b <= 0xAC; ++b)
        bs.push_back(b);
    for (int b = 0xAE; b <= 0xFF; ++b)
        bs.push_back(b);
    for (int b : bs)
        unicodeOf[b] = char32_t(b);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
        if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
            bs.push_back(b);
            unicodeOf[b] = char32_t(256 + n++);
        }
    }
    return bs;
}

void detail::appendUtf8(std::string &out, char32_t c)
{
    if (c < 0x80) {
        out += char(c);
    } else if (c < 0x800) {
        out += char(0xC0 | (c >> 6));
        out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += char(0xE0 | (c >> 12));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    } else {
        out += char(0xF0 | (c >> 18));
        out += char(0x80 | ((c >> 12) & 0x3F));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    }
}

ClipTokenizer::ClipTokenizer(const QString &vocabFile)
    : d(std::make_unique<Private>())
{
    // Only lines 1..kMergeCount are merges (simple_tokenizer reads merges[1:49152-256-2+1]); the
    // file holds far more, so walk lines lazily instead of splitting all of them.
    const QByteArray text = readGzip(vocabFile);
    std::string_view rest(text.constData(), std::size_t(text.size()));
    auto nextLine = [&rest]() {
        const std::size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        return line;
    };
    nextLine();   // the version header
    char32_t unicodeOf[256];
    const std::vector<int> order = detail::clipByteOrder(unicodeOf);
    std::vector<std::string> vocab;
    vocab.reserve(512 + kMergeCount + 2);
    for (int b : order) {
        std::string s;
        detail::appendUtf8(s, unicodeOf[b]);
        vocab.push_back(s);
    }
    for (int i = 0; i < 256; ++i)
        vocab.push_back(vocab[i] + "</w>");
    std::vector<std::pair<std::string, std::string>> pairs;
    pairs.reserve(kMergeCount);
    for (int i = 1; i <= kMergeCount; ++i) {
        if (rest.empty())
            throw std::runtime_error(u"%1: not a CLIP BPE merge list (%2 merges, expected %3)"_qs.arg(vocabFile)
                                         .arg(i - 1).arg(kMergeCount).toStdString());
        std::string_view line = nextLine();
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.remove_suffix(1);
        const std::size_t space = line.find(' ');
        if (space == std::string_view::npos || space == 0 || line.find(' ', space + 1) != std::string_view::npos)
            throw std::runtime_error(u"%1:%2: not a BPE merge (\"left right\")"_qs.arg(vocabFile).arg(i + 1).toStdString());
        pairs.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
        vocab.push_back(pairs.back().first + pairs.back().second);
    }
    for (std::size_t i = 512; i < vocab.size(); ++i) {
        const std::string &v = vocab[i];
        if (v.size() <= 4 || v.compare(v.size() - 4, 4, "</w>") != 0)
            continue;
        const std::string stem = v.substr(0, v.size() - 4);
        if (std::all_of(stem.begin(), stem.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
            d->wholeWords << QString::fromLatin1(stem);
    }
    vocab.push_back("<|startoftext|>");
    vocab.push_back("<|endoftext|>");
    std::unordered_map<std::string, int> encoder;   // like dict(zip(vocab, range)): the last id wins
    encoder.reserve(vocab.size());
    for (int i = 0; i < int(vocab.size()); ++i)
        encoder[vocab[i]] = i;
    for (int i = 0; i < 256; ++i) {
        d->byteId[order[i]] = i;
        d->byteEndId[order[i]] = i + 256;
    }
    d->merges.reserve(pairs.size());
    for (int rank = 0; rank < int(pairs.size()); ++rank) {
        const auto a = encoder.find(pairs[rank].first), b = encoder.find(pairs[rank].second);
        if (a == encoder.end() || b == encoder.end())
            continue;   // a merge of pieces that never occur can never apply
        d->merges.emplace(Private::key(a->second, b->second),
                          std::pair{rank, encoder.at(pairs[rank].first + pairs[rank].second)});
    }
    d->vocabSize = int(vocab.size());
}

ClipTokenizer::ClipTokenizer(std::unique_ptr<Private> p) : d(std::move(p)) {}

ClipTokenizer::~ClipTokenizer() = default;

int ClipTokenizer::vocabSize() const { return d->vocabSize; }
int ClipTokenizer::startOfText() const { return d->startId; }
int ClipTokenizer::endOfText() const { return d->endId; }
const QStringList &ClipTokenizer::wholeWords() const { return d->wholeWords; }

std::vector<int> ClipTokenizer::Private::bpe(const std::string &bytes) const
{
    {
        std::lock_guard lock(cacheMutex);
        if (auto it = cache.find(bytes); it != cache.end())
            return it->second;
    }
    std::vector<int> word(bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i)
        word[i] = byteId[std::uint8_t(bytes[i])];
    word.back() = byteEndId[std::uint8_t(bytes.back())];   // the last symbol carries the end-of-word marker "</w>"
    std::vector<int> next;
    while (word.size() > 1) {
        int bestRank = INT_MAX, bestLeft = -1, bestRight = -1, bestId = -1;
        for (std::size_t i = 0; i + 1 < word.size(); ++i) {
            const auto it = merges.find(key(word[i], word[i + 1]));
            if (it != merges.end() && it->second.first < bestRank) {
                bestRank = it->second.first;
                bestId = it->second.second;
                bestLeft = word[i];
                bestRight = word[i + 1];
            }
        }
        if (bestId < 0)
            break;
        next.clear();
        for (std::size_t i = 0; i < word.size();) {
            if (i + 1 < word.size() && word[i] == bestLeft && word[i + 1] == bestRight) {
                next.push_back(bestId);
                i += 2;
            } else {
                next.push_back(word[i++]);
            }
        }
        word.swap(next);
    }
    std::lock_guard lock(cacheMutex);
    if (cache.size() > 1'000'000)   // bound memory on endless streams of novel words
        cache.clear();
    cache.emplace(bytes, word);
    return word;
}

QString ClipTokenizer::htmlUnescape(const QString &text) { return fromU32(htmlUnescapeU32(toU32(text))); }

QString ClipTokenizer::cleanText(const QString &text) { return fromU32(cleanU32(text)); }

std::vector<int> ClipTokenizer::encode(const QString &text) const
{
    // BPE is superlinear in the length of one unbroken word: read no more than the caption limit.
    QString bounded = text;
    truncateText(bounded, limits().maxCaptionChars);
    const std::u32string s = cleanU32(bounded);
    std::vector<int> ids;
    std::string bytes;
    for (const Piece &p : preSplit(s)) {
        if (p.special) {
            ids.push_back(p.special == kStartOfText ? d->startId : d->endId);
            continue;
        }
        bytes.clear();
        for (std::size_t k = 0; k < p.length; ++k)
            detail::appendUtf8(bytes, s[p.begin + k]);
        const std::vector<int> word = d->bpe(bytes);
        ids.insert(ids.end(), word.begin(), word.end());
    }
    return ids;
}

std::vector<std::int64_t> ClipTokenizer::tokenize(const QString &text, int contextLength, bool truncate) const
{
    const std::vector<int> ids = encode(text);
    std::vector<std::int64_t> out(std::size_t(std::max(contextLength, 2)), 0);
    const std::size_t n = ids.size() + 2;
    if (n > out.size() && !truncate)
        throw std::runtime_error(u"text is too long for the context length %1: %2"_qs.arg(contextLength).arg(text)
                                     .toStdString());
    out[0] = d->startId;
    const std::size_t copy = std::min(ids.size(), out.size() - 1);
    std::copy(ids.begin(), ids.begin() + std::ptrdiff_t(copy), out.begin() + 1);
    // clip.tokenize(truncate=True): tokens[:context]; tokens[-1] = eot.
    out[std::min(n, out.size()) - 1] = d->endId;
    return out;
}

}  // namespace cospace
