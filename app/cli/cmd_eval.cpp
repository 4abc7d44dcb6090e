// cospace-cli eval --model MODEL --pairs PAIRS.tsv [--rerank none|csls|qbnorm [--bank PAIRS2]] [--json]

#include "clicommon.h"

#include "core/model/embeddingmodel.h"
#include "core/eval/evaluation.h"

#include <optional>

namespace cospace::cli {

int runEval(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Evaluate a model on paired data: Recall@1/5/10 both ways, median/mean rank, RSUM, alignment,\n"
        "uniformity and modality gap. MODEL is a checkpoint file, a model bundle folder or \"default\"."_qs);
    const QCommandLineOption model(u"model"_qs, u"CLIP weights file or folder, bundle folder, checkpoint or default"_qs, u"MODEL"_qs);
    const QCommandLineOption pairsOption(u"pairs"_qs, u"image<TAB>caption file, paths relative to its folder"_qs, u"PAIRS.tsv"_qs);
    const QCommandLineOption json(u"json"_qs, u"print one JSON object"_qs);
    const QCommandLineOption rerank(u"rerank"_qs, u"hubness correction of the rankings: none, csls or qbnorm (default none)"_qs,
                                    u"METHOD"_qs, u"none"_qs);
    const QCommandLineOption bank(u"bank"_qs, u"with --rerank: the query bank's pairs (e.g. the training pairs); "
                                              "default: the evaluated pairs' own queries"_qs, u"PAIRS"_qs);
    parser.addOptions({model, pairsOption, json, rerank, bank});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (!parser.isSet(model) || !parser.isSet(pairsOption)) {
        err(u"usage: cospace-cli eval --model MODEL --pairs PAIRS.tsv [--rerank none|csls|qbnorm [--bank PAIRS]] [--json]"_qs);
        return kUsage;
    }
    RerankParams rerankParams;
    if (const auto method = parseChoice(parser, rerank, kRerankNames))
        rerankParams.method = *method;
    else
        return kUsage;
    std::optional<CaptionFile> bankPairs;
    if (parser.isSet(bank))
        bankPairs = readCaptionFile(parser.value(bank));
    const CaptionFile pairs = readCaptionFile(parser.value(pairsOption));
    if (pairs.rows.isEmpty()) {
        for (const ParseIssue &issue : pairs.issues)
            err(issue.toString());
        err(u"%1: no usable pairs"_qs.arg(parser.value(pairsOption)));
        return kFailed;
    }
    std::unique_ptr<EmbeddingModel> m = loadModel(parser.value(model));
    JobControl job(terminalProgress(u"eval"_qs));
    CancelOnSignal cancelOnCtrlC(&job);
    const EvaluationResult r = evaluatePairs(*m, pairs, rerankParams, bankPairs ? &*bankPairs : nullptr, &job);
    endProgressLine();
    for (const ParseIssue &issue : r.skipped)
        err(u"skipped: "_qs + issue.toString());
    if (parser.isSet(json)) {
        printJson(r.metrics.toJson());
        return kOk;
    }
    const RetrievalMetrics &x = r.metrics;
    out(u"%1 on %2: %3 images, %4 captions"_qs.arg(m->name(), parser.value(pairsOption)).arg(x.nImages).arg(x.nCaptions));
    if (rerankParams.method != Rerank::None)
        out(u"re-ranked with %1 (query bank: %2)"_qs.arg(kRerankNames.name(rerankParams.method),
                                                          parser.isSet(bank) ? parser.value(bank) : u"the evaluated queries"_qs));
    out(u"            R@1     R@5     R@10    median  mean"_qs);
    for (const auto &[label, s] : {std::pair{u"image->text"_qs, x.i2t}, std::pair{u"text->image"_qs, x.t2i}})
        out(u"%1  %2  %3  %4  %5  %6"_qs.arg(label, -11).arg(s.r1, 6, 'f', 3).arg(s.r5, 6, 'f', 3)
                .arg(s.r10, 6, 'f', 3).arg(s.medianRank, 6, 'f', 1).arg(s.meanRank, 7, 'f', 1));
    out(u"RSUM %1   alignment %2   uniformity %3   modality gap %4   cos matched %5 / random %6"_qs
            .arg(x.rsum, 0, 'f', 1).arg(x.alignment, 0, 'f', 3).arg(x.uniformity, 0, 'f', 3)
            .arg(x.modalityGap, 0, 'f', 3).arg(x.cosMatched, 0, 'f', 3).arg(x.cosRandom, 0, 'f', 3));
    return kOk;
}

}  // namespace cospace::cli
