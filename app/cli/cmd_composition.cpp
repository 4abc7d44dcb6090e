// cospace-cli composition --model MODEL --pairs PAIRS [--examples N] [--json]

#include "clicommon.h"

#include "core/eval/composition.h"
#include "core/model/embeddingmodel.h"

namespace cospace::cli {

namespace {

void printTable(const CompositionResult &r, const QString &model, const QString &pairs, int examples)
{
    out(u"%1 on %2: %3 captions probed, %4 unswappable"_qs.arg(model, pairs).arg(r.captions).arg(r.unswappable));
    out(u"kind        n      accuracy  95% interval      text cosine"_qs);
    for (int k = 0; k < kSwapKindCount; ++k) {
        const KindSummary &s = r.kinds[std::size_t(k)];
        if (s.n == 0) {
            out(u"%1  %2  -"_qs.arg(swapKindName(SwapKind(k)), -10).arg(0, 5));
            continue;
        }
        out(u"%1  %2  %3     [%4, %5]    %6"_qs.arg(swapKindName(SwapKind(k)), -10).arg(s.n, 5)
                .arg(s.accuracy, 0, 'f', 3).arg(s.ci95.lo, 0, 'f', 3).arg(s.ci95.hi, 0, 'f', 3)
                .arg(s.textCosine, 0, 'f', 3));
    }
    out(u"(accuracy: the image scores its caption above the swap; chance is 0.5; text cosine: between the"
        " caption and its swap)"_qs);
    const std::vector<CompositionTrial> worst = r.worst(examples);
    if (worst.empty())
        return;
    out(u"\nclosest to failing or failed, worst first (true / swapped score):"_qs);
    for (const CompositionTrial &t : worst)
        out(u"  %1  %2 / %3  %4: \"%5\" -> \"%6\""_qs.arg(t.correct() ? u"ok  "_qs : u"FAIL"_qs)
                .arg(t.trueScore, 0, 'f', 3).arg(t.swappedScore, 0, 'f', 3)
                .arg(swapKindName(t.kind), t.caption, t.swapped));
}

}  // namespace

int runComposition(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Does the space bind attributes? For each image-caption pair, swap the two colours, sizes or\n"
        "shapes, the relation (left of <-> right of, above <-> below) or the order of the two objects,\n"
        "and count how often the image scores its true caption above the swap (per kind, with a 95%\n"
        "Wilson interval, and the text-only control: the cosine between caption and swap). Captions of\n"
        "the shapes demo are parsed by its grammar; other text by a small rule set (two colour words,\n"
        "two size words, one relation); captions it cannot swap are counted as unswappable.\n"
        "MODEL is a checkpoint file, a model bundle folder or \"default\"."_qs);
    const QCommandLineOption model(u"model"_qs, u"checkpoint, bundle folder or default"_qs, u"MODEL"_qs);
    const QCommandLineOption pairsOption(u"pairs"_qs, u"paired captions file, paths relative to its folder"_qs,
                                         u"PAIRS"_qs);
    const QCommandLineOption examplesOption(u"examples"_qs, u"how many examples, worst first (default 20)"_qs,
                                            u"N"_qs, u"20"_qs);
    const QCommandLineOption json(u"json"_qs, u"print one JSON object"_qs);
    parser.addOptions({model, pairsOption, examplesOption, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (!parser.isSet(model) || !parser.isSet(pairsOption)) {
        err(u"usage: cospace-cli composition --model MODEL --pairs PAIRS [--examples N] [--json]"_qs);
        return kUsage;
    }
    bool ok = false;
    const int examples = parser.value(examplesOption).toInt(&ok);
    if (!ok || examples < 0) {
        err(u"--examples takes a whole number from 0"_qs);
        return kUsage;
    }
    const CaptionFile pairs = readCaptionFile(parser.value(pairsOption));
    if (pairs.rows.isEmpty()) {
        for (const ParseIssue &issue : pairs.issues)
            err(issue.toString());
        err(u"%1: no usable pairs"_qs.arg(parser.value(pairsOption)));
        return kFailed;
    }
    std::unique_ptr<EmbeddingModel> m = loadModel(parser.value(model));
    JobControl job(terminalProgress(u"composition"_qs));
    CancelOnSignal cancelOnCtrlC(&job);
    const CompositionProbe probe = probeComposition(*m, pairs, &job);
    endProgressLine();
    for (const ParseIssue &issue : probe.skipped)
        err(u"skipped: "_qs + issue.toString());
    if (probe.result.empty())
        err(u"note: none of the %1 captions could be swapped"_qs.arg(probe.result.unswappable));
    if (parser.isSet(json))
        printJson(probe.result.toJson(examples));
    else
        printTable(probe.result, m->name(), parser.value(pairsOption), examples);
    return kOk;
}

}  // namespace cospace::cli
