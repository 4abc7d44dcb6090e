// cospace-cli classify PATH... --model MODEL [--store DB] --classes FILE [--templates FILE] [--json]

#include "analysiscli.h"
#include "clicommon.h"
#include "storecli.h"

#include "core/analysis/zeroshot.h"

namespace cospace::cli {

int runClassify(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Zero-shot classification: each class name is put into every template (\"a photo of a {}.\"), the\n"
        "text embeddings are averaged per class, and each image gets the closest class with its probability.\n"
        "When every image's folder is named like a class (case-insensitive), accuracy, per-class figures and\n"
        "the confusion matrix (rows: folder, columns: predicted) are reported too."_qs);
    parser.addPositionalArgument(u"PATH"_qs, u"image folders or files"_qs, u"PATH..."_qs);
    const QCommandLineOption model(u"model"_qs, u"checkpoint, bundle folder or default"_qs, u"MODEL"_qs);
    const QCommandLineOption store = storeOption();
    const QCommandLineOption classes(u"classes"_qs, u"class names, one per line"_qs, u"FILE"_qs);
    const QCommandLineOption templates(u"templates"_qs, u"prompt templates with {} for the class, one per line "
                                                        "(default: the built-in set)"_qs, u"FILE"_qs);
    const QCommandLineOption json(u"json"_qs, u"print {\"items\", \"accuracy\", \"per_class\", \"confusion\"}"_qs);
    parser.addOptions({model, store, classes, templates, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (parser.positionalArguments().isEmpty() || !parser.isSet(model) || !parser.isSet(classes)) {
        err(u"usage: cospace-cli classify PATH... --model MODEL [--store DB] --classes FILE [--templates FILE] [--json]"_qs);
        return kUsage;
    }
    const QStringList names = readTextLines(parser.value(classes));
    const QStringList forms = parser.isSet(templates) ? readTextLines(parser.value(templates)) : defaultZeroShotTemplates();
    AnalysisInput input = loadAnalysisInput(parser.positionalArguments(), parser.value(model), storePath(parser, store),
                                            u"classify"_qs);
    const Matrix classVectors = classEmbeddings(*input.model, names, forms);
    const ZeroShotResult r = classify(input.images.vectors, input.images.paths, names, classVectors);
    if (parser.isSet(json)) {
        printJson(r.toJson());
        return kOk;
    }
    for (qsizetype i = 0; i < r.items.size(); ++i)
        out(u"%1  %2  %3"_qs.arg(names[r.items[i].predicted], -16).arg(r.items[i].probability, 5, 'f', 3).arg(r.paths[i]));
    out(u"%1 images, %2 classes x %3 templates"_qs.arg(r.items.size()).arg(names.size()).arg(forms.size()));
    if (!r.accuracy) {
        out(u"accuracy: not computed (not every image's folder is named like a class)"_qs);
        return kOk;
    }
    out(u"accuracy %1 (chance %2)"_qs.arg(*r.accuracy, 0, 'f', 3).arg(1.0 / names.size(), 0, 'f', 3));
    for (qsizetype c = 0; c < names.size(); ++c) {
        QStringList row;
        for (int n : r.confusion[c])
            row << QString::number(n).rightJustified(5);
        out(u"%1 %2"_qs.arg(names[c], -16).arg(row.join(QString())));
    }
    return kOk;
}

}  // namespace cospace::cli
