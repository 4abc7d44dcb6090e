// cospace-cli encode --model MODEL (--text T | --image FILE) [--json]: one normalised embedding.

#include "clicommon.h"

#include "core/model/embeddingmodel.h"
#include "core/data/imagedecode.h"

#include <QFile>
#include <QJsonArray>

namespace cospace::cli {

int runEncode(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Print the L2-normalised embedding of one caption or one image."_qs);
    const QCommandLineOption model(u"model"_qs, u"CLIP weights (.safetensors, .pt, .bin; an OpenCLIP or Hugging Face folder), a bundle folder, a checkpoint file or \"default\""_qs, u"MODEL"_qs);
    const QCommandLineOption text(u"text"_qs, u"the caption to encode"_qs, u"TEXT"_qs);
    const QCommandLineOption image(u"image"_qs, u"the image file to encode"_qs, u"FILE"_qs);
    const QCommandLineOption json(u"json"_qs, u"print {\"embedding\": [...]}"_qs);
    const QCommandLineOption saveInput(u"save-input"_qs,
        u"also write the preprocessed image the model sees (float32 CHW, little-endian) to FILE"_qs, u"FILE"_qs);
    const QCommandLineOption fullDecode(u"full-decode"_qs, u"decode JPEGs at full size (no DCT-domain reduction)"_qs);
    parser.addOptions({model, text, image, json, saveInput, fullDecode});
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
        options.minShortSide = parser.isSet(fullDecode) ? 0 : 2 * m->imageSize();   // as the pipeline decodes
        const DecodedImage img = decodeImageFile(parser.value(image), options);
        if (!img.ok()) {
            err(u"cospace-cli encode: %1: %2"_qs.arg(parser.value(image), img.reason));
            return kFailed;
        }
        const std::vector<float> input = m->preprocess(img.image);
        if (parser.isSet(saveInput)) {
            QFile f(parser.value(saveInput));
            if (!f.open(QIODevice::WriteOnly) || f.write(reinterpret_cast<const char *>(input.data()),
                                                         qint64(input.size() * sizeof(float))) < 0)
                throw std::runtime_error(u"%1: cannot write: %2"_qs.arg(f.fileName(), f.errorString()).toStdString());
        }
        e = m->encodePreprocessed(input, 1);
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
