#include "core/model/sharedspaceconfig.h"

#include "core/base/limits.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void invalid(const QString &message) { throw std::runtime_error(message.toStdString()); }

// Reads json[key] into *out when present; a value of the wrong type is an error, not a default.
void readInt(const QJsonObject &json, const char *key, const QString &prefix, int *out)
{
    const QJsonValue v = json.value(QLatin1String(key));
    if (v.isUndefined())
        return;
    if (!v.isDouble() || v.toDouble() != double(v.toInteger()))
        invalid(u"%1%2 must be a whole number"_qs.arg(prefix, QLatin1String(key)));
    *out = int(v.toInteger());
}

void readDouble(const QJsonObject &json, const char *key, const QString &prefix, double *out)
{
    const QJsonValue v = json.value(QLatin1String(key));
    if (v.isUndefined())
        return;
    if (!v.isDouble())
        invalid(u"%1%2 must be a number"_qs.arg(prefix, QLatin1String(key)));
    *out = v.toDouble();
}

void readBool(const QJsonObject &json, const char *key, const QString &prefix, bool *out)
{
    const QJsonValue v = json.value(QLatin1String(key));
    if (v.isUndefined())
        return;
    if (!v.isBool())
        invalid(u"%1%2 must be true or false"_qs.arg(prefix, QLatin1String(key)));
    *out = v.toBool();
}

void readString(const QJsonObject &json, const char *key, const QString &prefix, QString *out)
{
    const QJsonValue v = json.value(QLatin1String(key));
    if (v.isUndefined())
        return;
    if (!v.isString())
        invalid(u"%1%2 must be a string"_qs.arg(prefix, QLatin1String(key)));
    *out = v.toString();
}

void readIntList(const QJsonObject &json, const char *key, const QString &prefix, std::vector<int> *out)
{
    const QJsonValue v = json.value(QLatin1String(key));
    if (v.isUndefined())
        return;
    if (!v.isArray())
        invalid(u"%1%2 must be an array of whole numbers"_qs.arg(prefix, QLatin1String(key)));
    out->clear();
    for (const QJsonValue &x : v.toArray()) {
        if (!x.isDouble())
            invalid(u"%1%2 must be an array of whole numbers"_qs.arg(prefix, QLatin1String(key)));
        out->push_back(int(x.toInteger()));
    }
}

QJsonArray toArray(const std::vector<int> &values)
{
    QJsonArray a;
    for (int v : values)
        a.append(v);
    return a;
}

void require(bool ok, const QString &message)
{
    if (!ok)
        invalid(message);
}

}  // namespace

QString lossKindName(LossKind kind) { return kLossKinds.name(kind); }

SharedSpaceConfig SharedSpaceConfig::fromJson(const QJsonObject &json)
{
    SharedSpaceConfig c;
    const QJsonObject image = json.value(u"image"_qs).toObject();
    readInt(image, "size", u"image."_qs, &c.image.size);
    readIntList(image, "widths", u"image."_qs, &c.image.widths);
    readIntList(image, "blocks", u"image."_qs, &c.image.blocks);
    readString(image, "norm", u"image."_qs, &c.image.norm);
    readInt(image, "stem_stride", u"image."_qs, &c.image.stemStride);

    const QJsonObject text = json.value(u"text"_qs).toObject();
    readInt(text, "width", u"text."_qs, &c.text.width);
    readInt(text, "layers", u"text."_qs, &c.text.layers);
    readInt(text, "heads", u"text."_qs, &c.text.heads);
    readInt(text, "context", u"text."_qs, &c.text.context);
    readString(text, "pool", u"text."_qs, &c.text.pool);
    readString(text, "tokenizer", u"text."_qs, &c.text.tokenizer);
    readInt(text, "vocab_size", u"text."_qs, &c.text.vocabSize);

    readInt(json, "embed_dim", QString(), &c.embedDim);
    QString loss = lossKindName(c.loss);
    readString(json, "loss", QString(), &loss);
    if (const std::optional<LossKind> kind = kLossKinds.parse(loss); kind && loss == kLossKinds.name(*kind))
        c.loss = *kind;
    else
        invalid(u"loss must be %1 (got \"%2\")"_qs.arg(kLossKinds.choices(), loss));

    const QJsonObject train = json.value(u"train"_qs).toObject();
    const QString t = u"train."_qs;
    readInt(train, "epochs", t, &c.train.epochs);
    readInt(train, "batch_size", t, &c.train.batchSize);
    readDouble(train, "lr", t, &c.train.lr);
    readDouble(train, "weight_decay", t, &c.train.weightDecay);
    readInt(train, "warmup_steps", t, &c.train.warmupSteps);
    readDouble(train, "grad_clip", t, &c.train.gradClip);
    int seed = int(c.train.seed);
    readInt(train, "seed", t, &seed);
    c.train.seed = quint64(seed);
    readDouble(train, "val_fraction", t, &c.train.valFraction);
    readInt(train, "workers", t, &c.train.workers);
    readInt(train, "probe_size", t, &c.train.probeSize);
    readDouble(train, "margin", t, &c.train.margin);
    readBool(train, "composition_probe", t, &c.train.compositionProbe);
    readBool(train, "swap_negatives", t, &c.train.swapNegatives);
    const QJsonObject aug = train.value(u"augment"_qs).toObject();
    const QString a = u"train.augment."_qs;
    const QJsonValue scale = aug.value(u"crop_scale"_qs);
    if (!scale.isUndefined()) {
        const QJsonArray s = scale.toArray();
        require(s.size() == 2 && s[0].isDouble() && s[1].isDouble(), a + u"crop_scale must be [min, max]"_qs);
        c.train.augment.cropScaleMin = s[0].toDouble();
        c.train.augment.cropScaleMax = s[1].toDouble();
    }
    readDouble(aug, "color_jitter", a, &c.train.augment.colorJitter);
    readDouble(aug, "grayscale", a, &c.train.augment.grayscale);
    readDouble(aug, "blur", a, &c.train.augment.blur);
    readBool(aug, "hflip", a, &c.train.augment.hflip);
    readDouble(aug, "pad", a, &c.train.augment.pad);
    readDouble(aug, "outline", a, &c.train.augment.outline);
    readDouble(aug, "posterize", a, &c.train.augment.posterize);
    c.validate();
    return c;
}

SharedSpaceConfig SharedSpaceConfig::fromFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        invalid(u"%1: cannot read: %2"_qs.arg(path, file.errorString()));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.read(1 << 20), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        invalid(u"%1: not a JSON object (%2)"_qs.arg(path, error.errorString()));
    try {
        return fromJson(doc.object());
    } catch (const std::runtime_error &e) {
        invalid(u"%1: %2"_qs.arg(path, QString::fromUtf8(e.what())));
    }
}

QJsonObject SharedSpaceConfig::toJson() const
{
    const AugmentConfig &g = train.augment;
    return {
        {u"image"_qs, QJsonObject{{u"size"_qs, image.size}, {u"widths"_qs, toArray(image.widths)},
                                  {u"blocks"_qs, toArray(image.blocks)}, {u"norm"_qs, image.norm},
                                  {u"stem_stride"_qs, image.stemStride}}},
        {u"text"_qs, QJsonObject{{u"width"_qs, text.width}, {u"layers"_qs, text.layers}, {u"heads"_qs, text.heads},
                                 {u"context"_qs, text.context}, {u"pool"_qs, text.pool},
                                 {u"tokenizer"_qs, text.tokenizer}, {u"vocab_size"_qs, text.vocabSize}}},
        {u"embed_dim"_qs, embedDim},
        {u"loss"_qs, lossKindName(loss)},
        {u"train"_qs, QJsonObject{
            {u"epochs"_qs, train.epochs}, {u"batch_size"_qs, train.batchSize}, {u"lr"_qs, train.lr},
            {u"weight_decay"_qs, train.weightDecay}, {u"warmup_steps"_qs, train.warmupSteps},
            {u"grad_clip"_qs, train.gradClip}, {u"seed"_qs, qint64(train.seed)},
            {u"val_fraction"_qs, train.valFraction}, {u"workers"_qs, train.workers},
            {u"probe_size"_qs, train.probeSize}, {u"margin"_qs, train.margin},
            {u"composition_probe"_qs, train.compositionProbe}, {u"swap_negatives"_qs, train.swapNegatives},
            {u"augment"_qs, QJsonObject{{u"crop_scale"_qs, QJsonArray{g.cropScaleMin, g.cropScaleMax}},
                                        {u"color_jitter"_qs, g.colorJitter}, {u"grayscale"_qs, g.grayscale},
                                        {u"blur"_qs, g.blur}, {u"hflip"_qs, g.hflip}, {u"pad"_qs, g.pad},
                                        {u"outline"_qs, g.outline}, {u"posterize"_qs, g.posterize}}}}},
    };
}

void SharedSpaceConfig::validate() const
{
    require(image.size >= 16 && image.size <= 512, u"image.size must be between 16 and 512"_qs);
    require(!image.widths.empty() && image.widths.size() <= 6, u"image.widths must list 1 to 6 stage widths"_qs);
    require(image.blocks.size() == image.widths.size(), u"image.blocks must have one entry per image.widths entry"_qs);
    for (int w : image.widths)
        require(w >= 4 && w <= 2048, u"image.widths entries must be between 4 and 2048"_qs);
    for (int b : image.blocks)
        require(b >= 0 && b <= 16, u"image.blocks entries must be between 0 and 16"_qs);
    require(image.norm == u"batch" || image.norm == u"group", u"image.norm must be batch or group"_qs);
    require(image.stemStride == 1 || image.stemStride == 2, u"image.stem_stride must be 1 or 2"_qs);
    if (image.norm == u"group")
        for (int w : image.widths)
            require(w % 8 == 0, u"image.widths must be multiples of 8 with group norm"_qs);
    require(text.width >= 8 && text.width <= 2048, u"text.width must be between 8 and 2048"_qs);
    require(text.heads >= 1 && text.width % text.heads == 0, u"text.heads must divide text.width"_qs);
    require(text.layers >= 0 && text.layers <= 24, u"text.layers must be between 0 and 24"_qs);
    require(text.context >= 4 && text.context <= 512, u"text.context must be between 4 and 512"_qs);
    require(text.pool == u"mean" || text.pool == u"first", u"text.pool must be mean or first"_qs);
    require(text.tokenizer == u"bpe" || text.tokenizer == u"word", u"text.tokenizer must be bpe or word"_qs);
    require(text.vocabSize >= 64 && text.vocabSize <= 200000, u"text.vocab_size must be between 64 and 200000"_qs);
    require(embedDim >= 2 && embedDim <= 4096, u"embed_dim must be between 2 and 4096"_qs);
    require(train.epochs >= 1 && train.epochs <= 100000, u"train.epochs must be at least 1"_qs);
    require(train.batchSize >= 2 && train.batchSize <= 65536, u"train.batch_size must be at least 2"_qs);
    require(train.lr > 0 && train.lr < 10, u"train.lr must be positive"_qs);
    require(train.weightDecay >= 0, u"train.weight_decay must not be negative"_qs);
    require(train.warmupSteps >= 0, u"train.warmup_steps must not be negative"_qs);
    require(train.gradClip >= 0, u"train.grad_clip must not be negative (0 disables clipping)"_qs);
    require(train.valFraction >= 0 && train.valFraction < 1, u"train.val_fraction must be in [0, 1)"_qs);
    require(train.workers >= 1 && train.workers <= 64, u"train.workers must be between 1 and 64"_qs);
    require(train.probeSize >= 0 && train.probeSize <= 512, u"train.probe_size must be between 0 and 512"_qs);
    require(train.margin >= 0, u"train.margin must not be negative"_qs);
    const AugmentConfig &g = train.augment;
    require(g.cropScaleMin > 0 && g.cropScaleMin <= g.cropScaleMax && g.cropScaleMax <= 1,
            u"train.augment.crop_scale must satisfy 0 < min <= max <= 1"_qs);
    require(g.colorJitter >= 0 && g.colorJitter < 1, u"train.augment.color_jitter must be in [0, 1)"_qs);
    require(g.grayscale >= 0 && g.grayscale <= 1 && g.blur >= 0 && g.blur <= 1,
            u"train.augment.grayscale and blur are probabilities in [0, 1]"_qs);
    for (const double p : {g.pad, g.outline, g.posterize})
        require(p >= 0 && p <= 1, u"train.augment.pad, outline and posterize are probabilities in [0, 1]"_qs);
}

std::int64_t SharedSpaceConfig::parameterCount(int vocabSize) const
{
    using I = std::int64_t;
    const I norm = 2;   // batch and group norm: a gain and a bias per channel
    I n = 9 * 3 * I(image.widths.at(0)) + norm * image.widths[0];   // stem
    I in = image.widths[0];
    for (std::size_t s = 0; s < image.widths.size(); ++s) {
        const I out = image.widths[s];
        for (int b = 0; b < std::max(1, image.blocks.at(s)); ++b) {
            n += 9 * in * out + norm * out + 9 * out * out + norm * out;
            if ((s > 0 && b == 0) || in != out)
                n += in * out + norm * out;   // 1x1 shortcut
            in = out;
        }
    }
    n += in * embedDim + embedDim;   // image head
    const I w = text.width;
    n += I(vocabSize) * w + I(text.context) * w;           // token embedding, positions
    n += I(text.layers) * (12 * w * w + 13 * w);           // attention (4 W x W + biases), MLP (2 x 4 W x W + biases), 2 norms
    n += 2 * w + w * embedDim + embedDim;                  // final norm, text head
    n += 2;                                                // logit scale and bias (frozen unless SigLIP)
    return n;
}

void SharedSpaceConfig::checkSizeLimit(int vocabSize) const
{
    const std::int64_t parameters = parameterCount(vocabSize);
    if (const QString problem = modelSizeProblem(parameters * 4); !problem.isEmpty())   // float32 weights
        invalid(u"the config describes a network of %1 million parameters: %2"_qs.arg(double(parameters) / 1e6, 0, 'f', 1)
                    .arg(problem));
}

SharedSpaceConfig SharedSpaceConfig::preset(const QString &name)
{
    SharedSpaceConfig c;
    if (name == u"tiny") {
        c.image = {32, {16, 32, 64}, {1, 1, 1}, u"batch"_qs, 1};
        c.text.width = 64;
        c.text.layers = 1;
        c.text.heads = 2;
        c.text.context = 24;
        c.text.vocabSize = 400;
        c.embedDim = 64;
        c.train.epochs = 5;
        c.train.batchSize = 64;
        c.train.warmupSteps = 10;
        c.train.probeSize = 64;
    } else if (name != u"default") {
        invalid(u"unknown preset \"%1\" (tiny or default)"_qs.arg(name));
    }
    c.validate();
    return c;
}

}  // namespace cospace
