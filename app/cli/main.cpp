// cospace-cli: the headless front end. Argument parsing and printing only; the core does the work.

#include "clicommon.h"

#include "core/base/limits.h"
#include "core/base/runtime.h"

#include <QCoreApplication>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string_view>

using namespace cospace;
using namespace cospace::cli;

namespace {

const QList<Command> &commands()
{
    static const QList<Command> list{
        {"demo", "Write a demo dataset: emoji (Noto), openmoji (rendered SVG) or shapes (generated)", runDemo},
        {"captions", "Check a paired captions file (TSV/CSV/JSONL/COCO/Flickr) and report bad rows", runCaptions},
        {"train", "Train a shared image-text space on paired data (run folder, checkpoints, metrics)", runTrain},
        {"eval", "Evaluate a model on image<TAB>caption pairs: recall both ways, RSUM, gap", runEval},
        {"composition", "Does the space bind attributes? Swapped-caption probe per kind (colour, size, ...)",
         runComposition},
        {"tokenize", "Print the CLIP BPE token ids of captions read from stdin (needs a model bundle)", runTokenize},
        {"encode", "Print the normalised embedding of one caption or image (--json)", runEncode},
        {"info", "Describe a model: format, architecture, sizes, dtype, tokenizer, preprocessing", runInfo},
        {"project", "Project N x D vectors (.npy) to a 2-D layout: pca, tsne or umap", runProject},
        {"layout", "Write the map the GUI shows for a workspace or dataset folder (CSV or npy)", runLayout},
        {"embed", "Embed image folders and captions into the store (only new or changed files)", runEmbed},
        {"search", "Search the store: text or image query, images or captions, weighted prompts", runSearch},
        {"index", "Build or update the IVF search index of a big store (search uses it above 2M vectors)", runIndex},
        {"export", "Write a model's stored vectors as npy or TensorBoard tsv with metadata", runExport},
        {"import", "Add vectors computed elsewhere (npy or TensorBoard tsv) to the store", runImport},
        {"clusters", "Clusters of images in the embedding space, labelled with words (no language model)", runClusters},
        {"classify", "Zero-shot classification with prompt-template ensembles; accuracy for class folders", runClassify},
        {"duplicates", "Near-duplicate groups, identical files and outliers (reports only, never deletes)", runDuplicates},
    };
    return list;
}

// encode, info, tokenize and search are one-shot: a few parallel regions at most, then exit, so the
// thread-runtime settings that keep long jobs' idle pools from spinning are not worth the second
// process start tuneThreadRuntime() needs (it costs as much as loading LibTorch, most of `encode
// --text`'s time and half of a mapped million-vector search's). They also write nothing that needs
// closing (search's snapshot file is committed before it answers), so they exit without teardown.
bool oneShotCommand(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (a == "--threads" || a == "--precision" || a.substr(0, 6) == "--max-") {
            ++i;
            continue;
        }
        if (a.substr(0, 2) == "--")
            return false;   // --version and --help report the settings in effect
        return a == "encode" || a == "info" || a == "tokenize" || a == "search";
    }
    return false;
}

void printUsage()
{
    out(u"Usage: cospace-cli [--threads N] [--precision P] [--max-... N] COMMAND [options]\n\n"
        "Explore shared image-text embedding spaces from the command line.\n\nCommands:"_qs);
    for (const Command &c : commands())
        out(u"  %1  %2"_qs.arg(QString::fromLatin1(c.name).leftJustified(11), QString::fromLatin1(c.summary)));
    out(u"\nGlobal options:\n"
        "  --threads N   compute threads (default: all cores)\n"
        "  --precision P image-tower arithmetic of native CLIP ViTs: auto (bf16 where the CPU has it),\n"
        "                fp32 or bf16 (default auto; fp32 for encode)\n"
        "  --version     print the version\n"
        "  --help        this text; 'cospace-cli COMMAND --help' describes a command\n\n"
        "Limits on input (global options too; README \"Reliability\"):"_qs);
    const Limits defaults;
    for (const LimitSetting &s : limitSettings())
        out(u"  --%1 N  %2 (default %3)"_qs.arg(QLatin1String(s.key), QLatin1String(s.description))
                .arg(defaults.*s.field));
}

}  // namespace

int main(int argc, char **argv)
{
    const bool oneShot = oneShotCommand(argc, argv);
    if (!oneShot)
        tuneThreadRuntime(argv);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"cospace"_qs);
    QCoreApplication::setApplicationVersion(QString::fromLatin1(COSPACE_VERSION));

    QStringList args = app.arguments();
    args.removeFirst();
    int threads = 0;
    std::optional<ComputePrecision> precision;
    Limits limitValues = limits();
    while (!args.isEmpty() && args.first().startsWith(u"--"_qs)) {
        const QString flag = args.takeFirst();
        if (flag == u"--version") {
            out(versionString());
            out(u"runtime: OMP_WAIT_POLICY=%1 OPENBLAS_THREAD_TIMEOUT=%2"_qs.arg(qEnvironmentVariable("OMP_WAIT_POLICY"),
                                                                        qEnvironmentVariable("OPENBLAS_THREAD_TIMEOUT")));
            setComputePrecision(precision.value_or(ComputePrecision::Auto));
            out(u"image compute: %1 (bf16 in hardware: %2)"_qs.arg(kComputePrecisionNames.name(computePrecision()),
                                                                 cpuHasNativeBf16() ? u"yes"_qs : u"no"_qs));
            return kOk;
        }
        if (flag == u"--help") { printUsage(); return kOk; }
        if (flag == u"--threads" && !args.isEmpty()) {
            bool ok = false;
            threads = args.takeFirst().toInt(&ok);
            if (!ok || threads < 0) { err(u"--threads takes a whole number"_qs); return kUsage; }
            continue;
        }
        if (flag == u"--precision" && !args.isEmpty()) {
            const QString value = args.takeFirst();
            precision = kComputePrecisionNames.parse(value);
            if (!precision) {
                err(u"unknown --precision '%1' (%2)"_qs.arg(value, kComputePrecisionNames.choices()));
                return kUsage;
            }
            continue;
        }
        if (flag.startsWith(u"--max-"_qs) && !args.isEmpty()) {
            QString error;
            if (!setLimitValue(limitValues, flag.mid(2), args.takeFirst(), &error)) {
                err(error);
                return kUsage;
            }
            continue;
        }
        err(u"unknown option %1\n"_qs.arg(flag));
        printUsage();
        return kUsage;
    }
    if (args.isEmpty()) {
        printUsage();
        return kUsage;
    }
    const QString name = args.first();
    for (const Command &c : commands()) {
        if (name != QLatin1String(c.name))
            continue;
        // One caption is too little work to share: a second compute thread only adds pool wake-ups
        // (ViT-B/32 checkpoint, whole process: 0.85 s with one thread, 1.05 s with two; bench/checkpoints).
        if (threads == 0 && name == u"encode" && args.contains(u"--text"_qs))
            threads = 1;
        initComputeThreads(threads);
        // `encode` is the reference path (one embedding, compared against other tools): exact
        // float32 unless asked; bulk embedding takes the fast arithmetic the CPU has.
        setComputePrecision(precision.value_or(name == u"encode" ? ComputePrecision::Float32 : ComputePrecision::Auto));
        setLimits(limitValues);
        args[0] = u"cospace-cli "_qs + name;
        try {
            const int code = c.run(args);
            if (oneShot) {
                // Nothing of a one-shot command's is left to save; LibTorch's static teardown
                // (deregistering every operator) would add ~0.1 s to `encode --text`'s 1 s.
                std::fflush(stdout);
                std::fflush(stderr);
                std::_Exit(code);
            }
            return code;
        } catch (const JobCancelled &) {
            endProgressLine();
            err(u"cancelled"_qs);
            return kCancelled;
        } catch (const std::exception &e) {
            endProgressLine();
            err(u"cospace-cli %1: %2"_qs.arg(name, QString::fromUtf8(e.what())));
            return kFailed;
        }
    }
    err(u"unknown command '%1'\n"_qs.arg(name));
    printUsage();
    return kUsage;
}
