// TextTokenizer: byte 0 picks the mode.
//   even: train on the input's lines (kind and vocabulary size from byte 0), then encode every
//         line, decode, encodePadded, and check that toJson -> fromJson encodes the same.
//   odd:  fromJson of the input as a saved tokenizer (the checkpoint's copy), then encode it.
// Contract (texttokenizer.h): std::runtime_error for malformed JSON; ids always in the vocabulary.
#include "core/model/texttokenizer.h"
#include "fuzzutil.h"

#include <QJsonDocument>

#include <stdexcept>

using namespace cospace;

namespace {

void checkIds(const TextTokenizer &t, const std::vector<int> &ids)
{
    for (int id : ids)
        FUZZ_CHECK(id >= 0 && id < t.vocabSize());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const QByteArray rest = fuzz::bytes(data + 1, size - 1);
    const QString text = QString::fromUtf8(rest);
    if (data[0] & 1) {
        const QJsonDocument doc = QJsonDocument::fromJson(rest);
        if (!doc.isObject())
            return 0;
        TextTokenizer t;
        try {
            t = TextTokenizer::fromJson(doc.object());
        } catch (const std::runtime_error &) {
            return 0;
        }
        checkIds(t, t.encode(text));
        checkIds(t, t.encode(u"a red cat, left of 2 dogs"_qs));
        (void)t.decode(t.encode(text));
        return 0;
    }
    const QString kind = data[0] & 2 ? u"word"_qs : u"bpe"_qs;
    const int vocabSize = 4 + (data[0] >> 2) * 8;   // 4 .. 508, the specials included
    const QStringList corpus = text.split(u'\n');
    const TextTokenizer t = TextTokenizer::train(corpus, vocabSize, kind);
    FUZZ_CHECK(t.vocabSize() <= std::max(vocabSize, int(TextTokenizer::SpecialCount)));
    const TextTokenizer copy = TextTokenizer::fromJson(t.toJson());
    for (const QString &line : corpus) {
        const std::vector<int> ids = t.encode(line);
        checkIds(t, ids);
        FUZZ_CHECK(copy.encode(line) == ids);
        (void)t.decode(ids);
        const int context = 2 + data[0] % 16;   // a model context holds at least <start> and <end>
        const std::vector<int> padded = t.encodePadded(line, context);
        FUZZ_CHECK(padded.size() == std::size_t(context));
        checkIds(t, padded);
    }
    return 0;
}
