// cospace-cli clusters PATH... --model MODEL [--store DB] [--k auto|N] [--vocabulary FILE] [--json]

#include "analysiscli.h"
#include "clicommon.h"
#include "storecli.h"

#include "core/analysis/clusterlabels.h"

namespace cospace::cli {

int runClusters(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Clusters of images in the embedding space (spherical k-means; k by silhouette unless given), each\n"
        "labelled by the words whose text embedding is closest to the cluster's centroid, contrasted against\n"
        "the other clusters. Vocabulary: the stored captions of these images plus the model's own words\n"
        "(CLIP: the BPE vocabulary's whole words; own models: the learned tokenizer's words), or --vocabulary."_qs);
    parser.addPositionalArgument(u"PATH"_qs, u"image folders or files"_qs, u"PATH..."_qs);
    const QCommandLineOption model(u"model"_qs, u"checkpoint, bundle folder or default"_qs, u"MODEL"_qs);
    const QCommandLineOption store = storeOption();
    const QCommandLineOption k(u"k"_qs, u"number of clusters, or auto (silhouette over 2..20)"_qs, u"auto|N"_qs, u"auto"_qs);
    const QCommandLineOption vocabulary(u"vocabulary"_qs, u"words to label with, one per line (replaces the default)"_qs,
                                       u"FILE"_qs);
    const QCommandLineOption seed(u"seed"_qs, u"k-means seed (default 1)"_qs, u"S"_qs, u"1"_qs);
    const QCommandLineOption json(u"json"_qs, u"print {\"clusters\": [{id, size, label, words, members}]}"_qs);
    parser.addOptions({model, store, k, vocabulary, seed, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (parser.positionalArguments().isEmpty() || !parser.isSet(model)) {
        err(u"usage: cospace-cli clusters PATH... --model MODEL [--store DB] [--k auto|N] [--vocabulary FILE] [--json]"_qs);
        return kUsage;
    }
    ClusterParams params;
    bool ok = true;
    if (parser.value(k) != u"auto")
        params.k = parser.value(k).toInt(&ok);
    if (!ok || params.k < 0) {
        err(u"--k takes auto or a positive whole number"_qs);
        return kUsage;
    }
    params.seed = parser.value(seed).toULongLong(&ok);
    if (!ok) {
        err(u"--seed takes a whole number"_qs);
        return kUsage;
    }
    AnalysisInput input = loadAnalysisInput(parser.positionalArguments(), parser.value(model), storePath(parser, store),
                                            u"clusters"_qs);
    const QStringList words = parser.isSet(vocabulary) ? readTextLines(parser.value(vocabulary))
                                                       : labelVocabulary(*input.model, input.images.captions);
    JobControl job(terminalProgress(u"clusters"_qs));
    CancelOnSignal cancelOnCtrlC(&job);
    const Clustering clustering = clusterEmbeddings(input.images.vectors, params, &job);
    const Vocabulary vocab = encodeVocabulary(*input.model, words, &job);
    endProgressLine();
    const QList<ClusterSummary> clusters = labelClusters(clustering, vocab);
    if (parser.isSet(json)) {
        printJson(clustersJson(clusters, input.images.paths));
        return kOk;
    }
    for (const ClusterSummary &c : clusters) {
        QStringList top;
        for (const auto &[w, s] : c.words)
            top << u"%1 (%2)"_qs.arg(w).arg(s, 0, 'f', 3);
        out(u"%1  %2  %3  %4"_qs.arg(c.id, 3).arg(c.members.size(), 6).arg(c.label, -16).arg(top.join(u", "_qs)));
    }
    out(u"%1 images, k = %2%3, silhouette %4, %5 vocabulary words"_qs.arg(input.images.paths.size()).arg(clustering.k)
            .arg(params.k == 0 ? u" (auto)"_qs : QString()).arg(clustering.silhouette, 0, 'f', 3).arg(words.size()));
    return kOk;
}

}  // namespace cospace::cli
