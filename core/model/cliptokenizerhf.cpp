// ClipTokenizer::fromHuggingFace: the same BPE read from transformers' vocab.json + merges.txt.

#include "core/model/cliptokenizer_p.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

QByteArray readAll(const QString &path, qint64 limit)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        fail(u"%1: cannot read the tokenizer: %2"_qs.arg(path, f.errorString()));
    if (f.size() > limit)
        fail(u"%1: %2 bytes is too large for a tokenizer file"_qs.arg(path).arg(f.size()));
    return f.readAll();
}

}  // namespace

std::unique_ptr<ClipTokenizer> ClipTokenizer::fromHuggingFace(const QString &vocabJson, const QString &mergesTxt)
{
    constexpr qint64 kLimit = 64 * 1024 * 1024;
    QJsonParseError error;
    const QJsonObject vocab = QJsonDocument::fromJson(readAll(vocabJson, kLimit), &error).object();
    if (error.error != QJsonParseError::NoError || vocab.isEmpty())
        fail(u"%1: not a tokenizer vocabulary (a JSON object of token -> id): %2"_qs.arg(vocabJson, error.errorString()));
    auto d = std::make_unique<Private>();
    std::unordered_map<std::string, int> ids;
    ids.reserve(std::size_t(vocab.size()));
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        const int id = it.value().toInt(-1);
        if (!it.value().isDouble() || id < 0 || id >= (1 << 24))
            fail(u"%1: token \"%2\" has no valid id"_qs.arg(vocabJson, it.key().left(40)));
        ids[it.key().toStdString()] = id;
        d->vocabSize = std::max(d->vocabSize, id + 1);
    }
    const auto idOf = [&](const std::string &token, const char *what) {
        const auto it = ids.find(token);
        if (it == ids.end())
            fail(u"%1: the vocabulary has no %2 token \"%3\"; not a CLIP tokenizer"_qs.arg(vocabJson,
                     QLatin1String(what), QString::fromStdString(token)));
        return it->second;
    };
    char32_t unicodeOf[256];
    detail::clipByteOrder(unicodeOf);
    for (int b = 0; b < 256; ++b) {
        std::string s;
        detail::appendUtf8(s, unicodeOf[b]);
        d->byteId[b] = idOf(s, "byte");
        d->byteEndId[b] = idOf(s + "</w>", "end-of-word byte");
    }
    d->startId = idOf("<|startoftext|>", "start");
    d->endId = idOf("<|endoftext|>", "end");
    const QByteArray merges = readAll(mergesTxt, kLimit);
    int rank = 0, lineNo = 0;
    for (const QByteArray &raw : merges.split('\n')) {
        ++lineNo;
        const QByteArray line = raw.trimmed();
        if (line.isEmpty() || (lineNo == 1 && line.startsWith("#version")))
            continue;
        const QList<QByteArray> pair = line.split(' ');
        if (pair.size() != 2 || pair[0].isEmpty() || pair[1].isEmpty())
            fail(u"%1:%2: not a BPE merge (\"left right\")"_qs.arg(mergesTxt).arg(lineNo));
        // As the OpenAI reader: a merge whose parts or result are not tokens can never apply.
        const auto a = ids.find(pair[0].toStdString()), b = ids.find(pair[1].toStdString()),
                   ab = ids.find(QByteArray(pair[0] + pair[1]).toStdString());
        if (a != ids.end() && b != ids.end() && ab != ids.end()) {
            d->merges.emplace(Private::key(a->second, b->second), std::pair{rank, ab->second});
            const QByteArray word = pair[0] + pair[1];   // as the OpenAI reader: whole words in merge order
            if (word.endsWith("</w>") && word.size() > 4
                && std::all_of(word.cbegin(), word.cend() - 4, [](char c) { return c >= 'a' && c <= 'z'; }))
                d->wholeWords << QString::fromLatin1(word.chopped(4));
        }
        ++rank;
    }
    if (d->merges.empty())
        fail(u"%1: holds no BPE merges"_qs.arg(mergesTxt));
    return std::unique_ptr<ClipTokenizer>(new ClipTokenizer(std::move(d)));
}

}  // namespace cospace
