// cospace-cli info --model MODEL [--json]: what a model is (format, architecture, sizes, dtype,
// parameters, tokenizer, preprocessing), without running it.

#include "clicommon.h"

#include "core/model/embeddingmodel.h"

#include <QJsonArray>

namespace cospace::cli {

namespace {

QString plain(const QJsonValue &v)
{
    if (v.isArray()) {
        QStringList parts;
        for (const QJsonValue &e : v.toArray())
            parts << plain(e);
        return parts.join(u", "_qs);
    }
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 10);
    if (v.isBool())
        return v.toBool() ? u"yes"_qs : u"no"_qs;
    return v.toString();
}

void printObject(const QJsonObject &o, const QString &indent)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (it.value().isObject()) {
            out(indent + it.key() + u':');
            printObject(it.value().toObject(), indent + u"  "_qs);
        } else {
            out(u"%1%2: %3"_qs.arg(indent, it.key(), plain(it.value())));
        }
    }
}

}  // namespace

int runInfo(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Describe a model without running it: the detected format, architecture, sizes, dtype, parameter "
        "count, tokenizer and preprocessing. MODEL is a CLIP weights file (.safetensors, a torch.save or "
        "TorchScript .pt / .bin), an OpenCLIP or Hugging Face folder, a bundle folder, a checkpoint or \"default\"."_qs);
    const QCommandLineOption model(u"model"_qs, u"the model to describe"_qs, u"MODEL"_qs);
    const QCommandLineOption json(u"json"_qs,
        u"print {\"format\", \"architecture\", \"embed_dim\", \"image_size\", \"vision\", \"text\", \"parameters\", "
        "\"dtype\", \"tokenizer\", \"preprocessing\", ...}"_qs);
    parser.addOptions({model, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (!parser.isSet(model) || !parser.positionalArguments().isEmpty()) {
        err(u"usage: cospace-cli info --model MODEL [--json]"_qs);
        return kUsage;
    }
    const QJsonObject d = loadModel(parser.value(model))->describe();
    if (parser.isSet(json))
        printJson(d);
    else
        printObject(d, QString());
    return kOk;
}

}  // namespace cospace::cli
