// cospace-cli demo emoji|openmoji|twemoji|shapes DIR

#include "clicommon.h"

#include "core/data/emojidemo.h"
#include "core/data/shapesdemo.h"

namespace cospace::cli {

int runDemo(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Write a demo dataset folder (images/ + captions.tsv + licences).\n"
        "  emoji     Noto emoji PNGs (npm: emoji-datasource-google) with OpenMoji captions\n"
        "  openmoji  OpenMoji SVGs (npm: openmoji) rendered to PNG, the same captions\n"
        "  twemoji   Twemoji PNGs (npm: emoji-datasource-twitter), the same captions\n"
        "  shapes    generated offline: 1-3 coloured shapes with compositional captions"_qs);
    parser.addPositionalArgument(u"kind"_qs, u"emoji, openmoji, twemoji or shapes"_qs);
    parser.addPositionalArgument(u"dir"_qs, u"output folder (created if missing)"_qs);
    const QCommandLineOption count(u"count"_qs, u"shapes: number of images (default 1000)"_qs, u"N"_qs, u"1000"_qs);
    const QCommandLineOption seed(u"seed"_qs, u"shapes: random seed (default 1)"_qs, u"S"_qs, u"1"_qs);
    const QCommandLineOption size(u"size"_qs, u"image side in pixels (default 64)"_qs, u"PX"_qs, u"64"_qs);
    const QCommandLineOption cache(u"cache"_qs, u"emoji styles: npm tarball cache folder"_qs, u"DIR"_qs);
    const QCommandLineOption json(u"json"_qs, u"print a JSON summary"_qs);
    parser.addOptions({count, seed, size, cache, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 2) {
        err(u"usage: cospace-cli demo emoji|openmoji|twemoji|shapes DIR"_qs);
        return kUsage;
    }
    bool okCount = false, okSeed = false, okSize = false;
    const int n = parser.value(count).toInt(&okCount);
    const qulonglong s = parser.value(seed).toULongLong(&okSeed);
    const int px = parser.value(size).toInt(&okSize);
    if (!okCount || !okSeed || !okSize || n < 1 || px < 16) {
        err(u"--count, --seed and --size take positive whole numbers (size >= 16)"_qs);
        return kUsage;
    }

    const QString kind = pos[0];
    const QString dir = pos[1];
    JobControl job(terminalProgress(u"demo "_qs + kind));
    CancelOnSignal cancelOnCtrlC(&job);
    QJsonObject summary{{u"kind"_qs, kind}, {u"dir"_qs, dir}};
    if (kind == u"shapes") {
        const ShapesResult r = generateShapesDataset(dir, {n, s, px, 3}, &job);
        summary.insert(u"images"_qs, r.images);
        summary.insert(u"captions"_qs, r.captions);
    } else if (kind == u"emoji" || kind == u"openmoji" || kind == u"twemoji") {
        EmojiDemoOptions options;
        options.cacheDir = parser.value(cache);
        options.imageSize = px;
        const EmojiStyle style = kind == u"emoji"      ? EmojiStyle::Google
                                 : kind == u"twemoji" ? EmojiStyle::Twitter
                                                      : EmojiStyle::OpenMoji;
        const EmojiDemoResult r = writeEmojiDemo(dir, style, options, &job);
        summary.insert(u"images"_qs, r.images);
        summary.insert(u"captions"_qs, r.captions);
        summary.insert(u"unmatched"_qs, r.unmatched);
    } else {
        err(u"unknown demo '%1' (emoji, openmoji, twemoji or shapes)"_qs.arg(kind));
        return kUsage;
    }
    endProgressLine();
    if (parser.isSet(json))
        printJson(summary);
    else
        out(u"%1: %2 images, %3 captions in %4"_qs.arg(kind)
                .arg(summary.value(u"images"_qs).toInt())
                .arg(summary.value(u"captions"_qs).toInt())
                .arg(dir));
    return kOk;
}

}  // namespace cospace::cli
