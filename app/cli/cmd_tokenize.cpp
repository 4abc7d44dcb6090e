// cospace-cli tokenize --model BUNDLE: captions on stdin -> CLIP BPE ids on stdout, one line each.

#include "clicommon.h"

#include "core/model/clipbundle.h"
#include "core/model/cliptokenizer.h"

#include <QElapsedTimer>
#include <QFile>

#include <cstdio>

namespace cospace::cli {

int runTokenize(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Read captions from stdin, one per line, and print the CLIP BPE token ids of each on one line, "
        "space-separated, without <|startoftext|>, <|endoftext|> or padding."_qs);
    const QCommandLineOption model(u"model"_qs, u"a model bundle folder (cospace-model.json + vocabulary)"_qs,
                                   u"BUNDLE"_qs);
    const QCommandLineOption stats(u"stats"_qs, u"print counts and throughput (tokens/s) to stderr"_qs);
    parser.addOptions({model, stats});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (!parser.isSet(model) || !parser.positionalArguments().isEmpty()) {
        err(u"usage: cospace-cli tokenize --model BUNDLE < captions.txt"_qs);
        return kUsage;
    }
    const QString dir = parser.value(model);
    if (!looksLikeClipBundle(dir)) {
        err(u"cospace-cli tokenize: %1 is not a model bundle (only CLIP bundles have a BPE tokenizer)"_qs.arg(dir));
        return kUsage;
    }
    QElapsedTimer clock;
    clock.start();
    const ClipTokenizer tokenizer(readClipBundleInfo(dir).vocabPath);
    const qint64 loadNs = clock.nsecsElapsed();
    qint64 captions = 0, tokens = 0, tokenizeNs = 0;
    QFile in;
    if (!in.open(stdin, QIODevice::ReadOnly))
        throw std::runtime_error("cannot read stdin");
    QByteArray buffer;
    for (;;) {
        QByteArray line = in.readLine();   // empty only at the end: a blank caption still has its '\n'
        if (line.isEmpty())
            break;
        if (line.endsWith('\n'))
            line.chop(1);
        if (line.endsWith('\r'))
            line.chop(1);
        clock.restart();
        const std::vector<int> ids = tokenizer.encode(QString::fromUtf8(line));
        tokenizeNs += clock.nsecsElapsed();
        ++captions;
        tokens += qint64(ids.size());
        bool first = true;
        for (int id : ids) {
            if (!first)
                buffer += ' ';
            buffer += QByteArray::number(id);
            first = false;
        }
        buffer += '\n';
        if (buffer.size() > (1 << 16)) {
            std::fwrite(buffer.constData(), 1, std::size_t(buffer.size()), stdout);
            buffer.clear();
        }
    }
    std::fwrite(buffer.constData(), 1, std::size_t(buffer.size()), stdout);
    std::fflush(stdout);
    if (parser.isSet(stats))
        err(u"%1 captions, %2 tokens; vocabulary %3 s, tokenizing %4 s, %5 tokens/s"_qs.arg(captions).arg(tokens)
                .arg(double(loadNs) / 1e9, 0, 'f', 3).arg(double(tokenizeNs) / 1e9, 0, 'f', 3)
                .arg(tokenizeNs > 0 ? double(tokens) * 1e9 / double(tokenizeNs) : 0.0, 0, 'f', 0));
    return kOk;
}

}  // namespace cospace::cli
