// cospace-cli encode --model MODEL (--text T | --image FILE) [--json]: one normalised embedding.

#include "clicommon.h"

#include "core/embeddingmodel.h"
#include "core/imagedecode.h"

#include <QJsonArray>

namespace cospace::cli {

int runEncode(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Print the L2-normalised embedding of one caption or one image."_qs);
    const QCommandLineOption model(u"model"_qs, u"a bundle folder, a checkpoint file or \"default\""_qs, u"MODEL"_qs);
    const QCommandLineOption text(u"text"_qs, u"the caption to encode"_qs, u"TEXT"_qs);
    const QCommandLineOption image(u"image"_qs, u"the image file to encode"_qs, u"FILE"_qs);
    const QCommandLineOption json(u"json"_qs, u"print {\"embedding\": [...]}"_qs);
    parser.addOptions({model, text, image, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (!parser.isSet(model) || parser.isSet(text) == parser.isSet(image) || !parser.positionalArguments().isEmpty()) {
        err(u"usage: cospace-cli encode --model MODEL (--text TEXT | --image FILE) [--json]"_qs);
        return kUsage;
    }
    const std::unique_ptr<EmbeddingModel> m = loadModel(parser.value(model));
    Matrix e;
    if (parser.isSet(text)) {
        e = m->encodeTexts({parser.value(text)});
    } else {
        DecodeOptions options;
        options.minShortSide = 2 * m->imageSize();   // as the embedding pipeline decodes
        const DecodedImage img = decodeImageFile(parser.value(image), options);
        if (!img.ok()) {
            err(u"cospace-cli encode: %1: %2"_qs.arg(parser.value(image), img.reason));
            return kFailed;
        }
        e = m->encodeImages({img.image});
    }
    if (parser.isSet(json)) {
        QJsonArray values;
        for (int j = 0; j < e.cols; ++j)
            values.append(double(e.at(0, j)));
        printJson({{u"embedding"_qs, values}});
    } else {
        QStringList values;
        for (int j = 0; j < e.cols; ++j)
            values << QString::number(e.at(0, j), 'g', 8);
        out(values.join(u' '));
    }
    return kOk;
}

}  // namespace cospace::cli
