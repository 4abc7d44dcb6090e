// cospace-cli tokenize --model BUNDLE: captions on stdin -> CLIP BPE ids on stdout, one line each.

#include "clicommon.h"

#include "core/clipbundle.h"
#include "core/cliptokenizer.h"

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
    parser.addOption(model);
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
    const ClipTokenizer tokenizer(readClipBundleInfo(dir).vocabPath);
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
        bool first = true;
        for (int id : tokenizer.encode(QString::fromUtf8(line))) {
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
    return kOk;
}

}  // namespace cospace::cli
