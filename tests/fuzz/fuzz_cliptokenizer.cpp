// ClipTokenizer with OpenAI's vocabulary (tests/data/clip, loaded once): encode and tokenize the
// input as UTF-8 (invalid bytes included). When byte 0 is 'V' the rest is instead read as a
// vocabulary file (bundles name their own).
// Contract (cliptokenizer.h): ids in [0, vocabSize); tokenize() gives exactly contextLength ids,
// SOT first and, when cut, EOT last; std::runtime_error for a bad vocabulary or too long a text
// when truncate is off.
#include "core/model/cliptokenizer.h"
#include "fuzzutil.h"

#include <memory>
#include <stdexcept>

using namespace cospace;

namespace {
std::unique_ptr<ClipTokenizer> g_tokenizer;
}

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    g_tokenizer = std::make_unique<ClipTokenizer>(QStringLiteral(COSPACE_TEST_DATA "/clip/bpe_simple_vocab_16e6.txt.gz"));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 1 && data[0] == 'V') {
        const QString path = fuzz::writeFile(u"vocab.txt"_qs, fuzz::bytes(data + 1, size - 1));
        try {
            ClipTokenizer t(path);
            (void)t.encode(u"a photo of a cat"_qs);
        } catch (const std::runtime_error &) {
        }
        return 0;
    }
    const ClipTokenizer &t = *g_tokenizer;
    const QString text = QString::fromUtf8(fuzz::bytes(data, size));
    const std::vector<int> ids = t.encode(text);
    for (int id : ids)
        FUZZ_CHECK(id >= 0 && id < t.vocabSize());
    const int context = 2 + int(size % 76);
    const std::vector<std::int64_t> tokens = t.tokenize(text, context, true);
    FUZZ_CHECK(tokens.size() == std::size_t(context));
    FUZZ_CHECK(tokens.front() == ClipTokenizer::kStartOfText);
    if (ids.size() + 2 > std::size_t(context))
        FUZZ_CHECK(tokens.back() == ClipTokenizer::kEndOfText);
    try {
        (void)t.tokenize(text, context, false);
        FUZZ_CHECK(ids.size() + 2 <= std::size_t(context));
    } catch (const std::runtime_error &) {
        FUZZ_CHECK(ids.size() + 2 > std::size_t(context));
    }
    return 0;
}
