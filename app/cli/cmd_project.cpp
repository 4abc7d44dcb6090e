// cospace-cli project (--vectors X.npy | --store DB --model MODEL) --method pca|tsne|umap --out Y.npy [--seed S]
//                    [--timing]
// cospace-cli project --store DB --model MODEL --method axes --x "A|B" [--y "C|D"] --out Y.npy

#include "clicommon.h"

#include "core/model/embeddingmodel.h"
#include "core/store/embeddingstore.h"
#include "core/store/storedmodel.h"
#include "core/base/npy.h"
#include "core/projection/projection.h"
#include "core/projection/semanticaxes.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QSaveFile>

namespace cospace::cli {

namespace {
void writeItemLabels(const QString &path, const QList<StoredItem> &items)
{
    QSaveFile file(path);
    QByteArray tsv = "modality\tpath\tcaption\n";
    for (const StoredItem &item : items) {
        QString caption = item.caption;
        caption.replace(u'\t', u' ').replace(u'\n', u' ');
        tsv += modalityName(item.modality).toUtf8() + '\t' + item.path.toUtf8() + '\t' + caption.toUtf8() + '\n';
    }
    if (!file.open(QIODevice::WriteOnly) || file.write(tsv) != tsv.size() || !file.commit())
        throw std::runtime_error(u"%1: cannot write: %2"_qs.arg(path, file.errorString()).toStdString());
}

QString labelsPath(const QString &npy)
{
    return QFileInfo(npy).path() + u"/"_qs + QFileInfo(npy).completeBaseName() + u".tsv"_qs;
}

// --method axes: every stored vector of the model placed by its scores on the prompt axes.
int projectOnAxes(const QString &storeFile, const QString &modelSpec, const QString &x, const QString &y,
                  const QString &outFile)
{
    AxesSpec spec;
    try {
        spec.x = parseAxisPair(x);
        if (!y.isEmpty())
            spec.y = parseAxisPair(y);
    } catch (const std::invalid_argument &e) {
        err(QString::fromUtf8(e.what()));
        return kUsage;
    }
    QElapsedTimer total;
    total.start();
    const std::unique_ptr<EmbeddingModel> model = loadModel(modelSpec);
    const EmbeddingStore db(storeFile);
    StoredSet set = db.load(resolveStoredModel(db, modelSpec, model.get()).id);
    const Matrix layout = placeOnAxes(set.vectors, axisPoles(*model, spec));
    writeItemLabels(labelsPath(outFile), set.items);
    writeNpy(outFile, layout);
    out(u"axes: %1 x %2 -> %3 in %4 s (x: %5, y: %6)"_qs.arg(set.vectors.rows).arg(set.vectors.cols).arg(outFile)
            .arg(total.nsecsElapsed() / 1e9, 0, 'f', 2).arg(spec.x.label(), spec.y ? spec.y->label() : u"PCA of the rest"_qs));
    return kOk;
}
}  // namespace

int runProject(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Project N x D vectors (float32/float64 .npy) to an N x 2 float32 .npy layout.\n"
        "  pca   principal components (randomized SVD for large inputs)\n"
        "  tsne  t-SNE (Barnes-Hut; FFT interpolation from 10000 rows), cosine, perplexity 30, early\n"
        "        exaggeration 12 for 250 of 750 iterations\n"
        "  umap  UMAP, cosine, n_neighbors 15, min_dist 0.1\n"
        "  axes  semantic axes from prompt pairs (--store/--model): x = cos(v, A) - cos(v, B) for --x \"A|B\",\n"
        "        y likewise for --y \"C|D\", or the first principal component of the rest without --y\n"
        "Threads come from the global --threads flag (cospace-cli --threads N project ...); layouts are\n"
        "repeatable for a given thread count (see core/projection/projection.h)."_qs);
    const QCommandLineOption vectors(u"vectors"_qs, u"input N x D .npy"_qs, u"X.npy"_qs);
    const QCommandLineOption method(u"method"_qs, u"pca, tsne or umap (default umap)"_qs, u"METHOD"_qs, u"umap"_qs);
    const QCommandLineOption outOpt(u"out"_qs, u"output N x 2 float32 .npy"_qs, u"Y.npy"_qs);
    const QCommandLineOption seed(u"seed"_qs, u"random seed (default 1)"_qs, u"S"_qs, u"1"_qs);
    const QCommandLineOption threadsOpt(u"threads"_qs, u"compute threads (same as the global flag)"_qs, u"N"_qs);
    const QCommandLineOption iterations(u"iterations"_qs, u"t-SNE iterations / UMAP epochs (default: method's)"_qs, u"N"_qs);
    const QCommandLineOption store(u"store"_qs, u"project the stored vectors of --model instead of --vectors"_qs, u"DB"_qs);
    const QCommandLineOption model(u"model"_qs, u"model whose stored vectors to project (with --store)"_qs, u"MODEL"_qs);
    const QCommandLineOption gradient(u"tsne-gradient"_qs, u"t-SNE repulsion: auto, bh (Barnes-Hut) or fft"_qs, u"KIND"_qs, u"auto"_qs);
    const QCommandLineOption axisX(u"x"_qs, u"axes: the x axis as two prompts, \"night|day\""_qs, u"A|B"_qs);
    const QCommandLineOption axisY(u"y"_qs, u"axes: the y axis as two prompts (default: PCA of the rest)"_qs, u"C|D"_qs);
    const QCommandLineOption timing = stageTimingOption();
    parser.addOptions({vectors, method, outOpt, seed, threadsOpt, iterations, gradient, store, model, axisX, axisY, timing});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    const bool fromStore = parser.isSet(store) || parser.isSet(model);
    if (fromStore ? !(parser.isSet(store) && parser.isSet(model) && !parser.isSet(vectors))
                  : !parser.isSet(vectors) || !parser.isSet(outOpt)) {
        err(u"usage: cospace-cli project (--vectors X.npy | --store DB --model MODEL) --method pca|tsne|umap "
            "--out Y.npy [--seed S] [--timing]"_qs);
        return kUsage;
    }
    if (!parser.isSet(outOpt)) {
        err(u"--out Y.npy is required"_qs);
        return kUsage;
    }
    const QString m = parser.value(method);
    if (m.compare(u"axes"_qs, Qt::CaseInsensitive) == 0) {
        if (!parser.isSet(store) || !parser.isSet(model) || !parser.isSet(axisX)) {
            err(u"usage: cospace-cli project --store DB --model MODEL --method axes --x \"A|B\" [--y \"C|D\"] --out Y.npy"_qs);
            return kUsage;
        }
        return projectOnAxes(parser.value(store), parser.value(model), parser.value(axisX), parser.value(axisY),
                             parser.value(outOpt));
    }
    ProjectionOptions options;
    if (const std::optional<ProjectionMethod> parsed = kProjectionMethods.parse(m)) {
        options.method = *parsed;
    } else {
        err(u"unknown --method '%1' (%2)"_qs.arg(m, kProjectionMethods.choices({u"axes"_qs})));
        return kUsage;
    }
    bool ok = true;
    options.seed = parser.value(seed).toULongLong(&ok);
    if (!ok) { err(u"--seed takes a whole number"_qs); return kUsage; }
    options.threads = 0;   // 0 = the global --threads setting (the OpenMP default it sets)
    if (parser.isSet(threadsOpt)) {
        options.threads = parser.value(threadsOpt).toInt(&ok);
        if (!ok || options.threads < 0) { err(u"--threads takes a whole number"_qs); return kUsage; }
    }
    const QString g = parser.value(gradient);
    using G = ProjectionOptions::TsneGradient;
    if (g == u"bh") options.tsneGradient = G::BarnesHut;
    else if (g == u"fft") options.tsneGradient = G::Fft;
    else if (g != u"auto") { err(u"--tsne-gradient takes auto, bh or fft"_qs); return kUsage; }
    if (parser.isSet(iterations)) {
        const int n = parser.value(iterations).toInt(&ok);
        if (!ok || n < 1) { err(u"--iterations takes a positive whole number"_qs); return kUsage; }
        options.tsneIterations = n;
        options.umapEpochs = n;
    }

    QElapsedTimer total;
    total.start();
    Matrix x;
    if (fromStore) {
        // The stored vectors of one model, images then captions in store order; the row labels go to
        // Y.tsv beside Y.npy so each layout row can be traced back to its item.
        const EmbeddingStore db(parser.value(store));
        StoredSet set = db.load(resolveStoredModel(db, parser.value(model)).id);
        x = std::move(set.vectors);
        writeItemLabels(labelsPath(parser.value(outOpt)), set.items);
    } else {
        x = readNpy(parser.value(vectors));
    }
    const double readSeconds = total.nsecsElapsed() / 1e9;
    StageTiming stages(u"project"_qs, parser.isSet(timing));
    JobControl job(stages.wrap(terminalProgress(u"project "_qs + m)));
    CancelOnSignal cancelOnCtrlC(&job);
    QElapsedTimer compute;
    compute.start();
    double knnRecall = -1;
    const int rows = x.rows, cols = x.cols;
    const Matrix y = project(std::move(x), options, &job, &knnRecall);   // normalised in place: 2 GB less at 1M x 512
    const double computeSeconds = compute.nsecsElapsed() / 1e9;
    stages.close();
    endProgressLine();
    writeNpy(parser.value(outOpt), y);
    out(u"%1: %2 x %3 -> %4 in %5 s (read %6 s, projection %7 s)"_qs.arg(m).arg(rows).arg(cols)
            .arg(parser.value(outOpt)).arg(total.nsecsElapsed() / 1e9, 0, 'f', 2)
            .arg(readSeconds, 0, 'f', 2).arg(computeSeconds, 0, 'f', 2));
    if (knnRecall >= 0 && rows > kUmapExactKnnLimit)
        out(u"nearest neighbours: recall@%1 %2 against brute force on 256 sampled rows"_qs
                .arg(knnNeighbours(options, rows)).arg(knnRecall, 0, 'f', 4));
    return kOk;
}

}  // namespace cospace::cli
