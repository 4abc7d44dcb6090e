// OpenCLIP and Hugging Face config files on top of the shapes (clipconfig.h). Every field that
// changes the architecture is either read or, when it asks for something Cospace does not
// implement, refused by name; fields that only matter for training are ignored.

#include "core/model/clipconfig_p.h"

#include <QJsonArray>

#include <cmath>
#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

constexpr int kMaxSize = 1 << 16;   // widths, sizes; a hostile config cannot ask for more
constexpr int kMaxLayers = 256;

// Reads a positive whole number into *out when the key is present.
void readInt(const QString &file, const QJsonObject &o, const char *key, const QString &where, int *out, int max = kMaxSize)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return;
    const double d = v.toDouble(-1);
    if (!v.isDouble() || d < 1 || d > max || std::floor(d) != d)
        fail(u"%1: %2%3 must be a whole number from 1 to %4"_qs.arg(file, where, QLatin1String(key)).arg(max));
    *out = int(d);
}

// image_size may be 224 or [224, 224]; Cospace's towers are square.
void readSquare(const QString &file, const QJsonObject &o, const char *key, const QString &where, int *out)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isArray()) {
        const QJsonArray a = v.toArray();
        if (a.size() != 2 || a[0] != a[1])
            fail(u"%1: %2%3 must be square (Cospace implements square inputs)"_qs.arg(file, where, QLatin1String(key)));
        QJsonObject one{{QLatin1String(key), a[0]}};
        readInt(file, one, key, where, out);
        return;
    }
    readInt(file, o, key, where, out);
}

void readTriple(const QString &file, const QJsonValue &v, const QString &what, std::array<float, 3> *out, bool positive)
{
    if (v.isUndefined() || v.isNull())
        return;
    const QJsonArray a = v.toArray();
    bool ok = a.size() == 3;
    std::array<float, 3> t{};
    for (int i = 0; ok && i < 3; ++i) {
        t[std::size_t(i)] = float(a[i].toDouble(std::nan("")));
        ok = a[i].isDouble() && std::isfinite(t[std::size_t(i)]) && (!positive || t[std::size_t(i)] > 0);
    }
    if (!ok)
        fail(u"%1: %2 must be a list of 3 %3numbers"_qs.arg(file, what, positive ? u"positive "_qs : QString()));
    *out = t;
}

// A field whose non-default value asks for an architecture variant Cospace does not implement.
void refuse(const QString &file, const QJsonObject &o, const QString &where, const char *key,
            const std::function<bool(const QJsonValue &)> &isDefault)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull() || isDefault(v))
        return;
    fail(u"%1: %2%3 = %4 asks for a variant Cospace does not implement natively; export the model with "
         "packaging/export/export_clip.py and open the bundle instead"_qs.arg(file, where, QLatin1String(key),
              QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1)));
}

const auto isFalse = [](const QJsonValue &v) { return v.isBool() && !v.toBool(); };
const auto isEmpty = [](const QJsonValue &v) { return (v.isObject() && v.toObject().isEmpty()) || (v.isString() && v.toString().isEmpty()); };
auto isString(const char *want)
{
    return [want](const QJsonValue &v) { return v.toString() == QLatin1String(want); };
}

Activation hfActivation(const QString &file, const QString &where, const QString &act)
{
    if (act == u"quick_gelu")
        return Activation::QuickGelu;
    if (act == u"gelu")
        return Activation::Gelu;
    if (act == u"gelu_new" || act == u"gelu_pytorch_tanh" || act == u"gelu_fast")
        return Activation::GeluTanh;
    fail(u"%1: %2hidden_act \"%3\" is not one Cospace implements (quick_gelu, gelu, gelu_new)"_qs.arg(file, where, act));
}

}  // namespace

void applyOpenClipConfig(const QString &file, const QJsonObject &root, ClipConfig &c)
{
    const bool wrapped = root.contains(u"model_cfg"_qs);
    const QJsonObject m = wrapped ? root.value(u"model_cfg"_qs).toObject() : root;
    const QString mw = wrapped ? u"model_cfg."_qs : QString();
    readInt(file, m, "embed_dim", mw, &c.embedDim);
    if (m.contains(u"quick_gelu"_qs))
        c.vision.activation = c.text.activation = m.value(u"quick_gelu"_qs).toBool() ? Activation::QuickGelu : Activation::Gelu;
    refuse(file, m, mw, "custom_text", isFalse);

    const QJsonObject v = m.value(u"vision_cfg"_qs).toObject();
    const QString vw = mw + u"vision_cfg."_qs;
    for (const char *k : {"timm_model_name", "hf_model_name"})
        refuse(file, v, vw, k, isEmpty);
    for (const char *k : {"attentional_pool", "no_ln_pre", "final_ln_after_pool", "global_average_pool", "input_patchnorm"})
        refuse(file, v, vw, k, isFalse);
    refuse(file, v, vw, "pool_type", isString("tok"));
    refuse(file, v, vw, "ls_init_value", [](const QJsonValue &) { return false; });
    for (const char *k : {"act_kwargs", "norm_kwargs"})
        refuse(file, v, vw, k, isEmpty);
    const QJsonValue layers = v.value(u"layers"_qs);
    if (layers.isArray()) {
        const QJsonArray a = layers.toArray();
        if (a.size() != 4)
            fail(u"%1: %2layers must be 4 numbers for a ResNet tower"_qs.arg(file, vw));
        if (c.vision.kind != ClipVisionConfig::ResNet)
            fail(u"%1: %2layers describes a ResNet, but the weights hold a ViT image tower"_qs.arg(file, vw));
        for (int i = 0; i < 4; ++i) {
            QJsonObject one{{u"layers"_qs, a[i]}};
            readInt(file, one, "layers", vw, &c.vision.stages[std::size_t(i)], kMaxLayers);
        }
    } else if (!layers.isUndefined()) {
        if (c.vision.kind != ClipVisionConfig::ViT)
            fail(u"%1: %2layers describes a ViT, but the weights hold a ResNet image tower"_qs.arg(file, vw));
        readInt(file, v, "layers", vw, &c.vision.layers, kMaxLayers);
    }
    readInt(file, v, "width", vw, &c.vision.width);
    readSquare(file, v, "image_size", vw, &c.vision.imageSize);
    readInt(file, v, "patch_size", vw, &c.vision.patchSize);
    int headWidth = 64;
    readInt(file, v, "head_width", vw, &headWidth);
    c.vision.heads = std::max(1, (c.vision.kind == ClipVisionConfig::ResNet ? c.vision.width * 32 : c.vision.width) / headWidth);
    if (v.contains(u"mlp_ratio"_qs))
        c.vision.mlpWidth = int(double(c.vision.width) * v.value(u"mlp_ratio"_qs).toDouble(4.0));
    readTriple(file, v.value(u"image_mean"_qs), vw + u"image_mean"_qs, &c.preprocess.mean, false);
    readTriple(file, v.value(u"image_std"_qs), vw + u"image_std"_qs, &c.preprocess.std, true);
    c.preprocess.size = c.vision.imageSize;

    const QJsonObject t = m.value(u"text_cfg"_qs).toObject();
    const QString tw = mw + u"text_cfg."_qs;
    for (const char *k : {"hf_model_name", "hf_tokenizer_name", "hf_proj_type", "hf_pooler_type"})
        refuse(file, t, tw, k, isEmpty);
    for (const char *k : {"embed_cls", "no_causal_mask", "proj_bias", "final_ln_after_pool"})
        refuse(file, t, tw, k, isFalse);
    refuse(file, t, tw, "pool_type", isString("argmax"));
    refuse(file, t, tw, "proj_type", isString("linear"));
    refuse(file, t, tw, "ls_init_value", [](const QJsonValue &) { return false; });
    for (const char *k : {"act_kwargs", "norm_kwargs"})
        refuse(file, t, tw, k, isEmpty);
    readInt(file, t, "context_length", tw, &c.text.contextLength, 4096);
    readInt(file, t, "vocab_size", tw, &c.text.vocabSize, 1 << 22);
    readInt(file, t, "width", tw, &c.text.width);
    readInt(file, t, "heads", tw, &c.text.heads);
    readInt(file, t, "layers", tw, &c.text.layers, kMaxLayers);
    if (t.contains(u"mlp_ratio"_qs))
        c.text.mlpWidth = int(double(c.text.width) * t.value(u"mlp_ratio"_qs).toDouble(4.0));

    const QJsonObject p = root.value(u"preprocess_cfg"_qs).toObject();
    refuse(file, p, u"preprocess_cfg."_qs, "interpolation", isString("bicubic"));
    refuse(file, p, u"preprocess_cfg."_qs, "resize_mode", isString("shortest"));
    readTriple(file, p.value(u"mean"_qs), u"preprocess_cfg.mean"_qs, &c.preprocess.mean, false);
    readTriple(file, p.value(u"std"_qs), u"preprocess_cfg.std"_qs, &c.preprocess.std, true);
    readSquare(file, p, "size", u"preprocess_cfg."_qs, &c.preprocess.size);
}

void applyHuggingFaceConfig(const QString &file, const QJsonObject &root, ClipConfig &c)
{
    const QString type = root.value(u"model_type"_qs).toString(u"clip"_qs);
    if (type != u"clip")
        fail(u"%1: model_type \"%2\" is not a CLIP model Cospace implements natively (it runs \"clip\"); export it with "
             "packaging/export/export_clip.py and open the bundle instead"_qs.arg(file, type.left(40)));
    readInt(file, root, "projection_dim", QString(), &c.embedDim);
    const auto tower = [&](const char *key, const char *legacy) {
        QJsonObject o = root.value(QLatin1String(key)).toObject();
        return o.isEmpty() ? root.value(QLatin1String(legacy)).toObject() : o;
    };
    const QJsonObject v = tower("vision_config", "vision_config_dict");
    const QString vw = u"vision_config."_qs;
    readInt(file, v, "hidden_size", vw, &c.vision.width);
    readInt(file, v, "intermediate_size", vw, &c.vision.mlpWidth);
    readInt(file, v, "num_attention_heads", vw, &c.vision.heads);
    readInt(file, v, "num_hidden_layers", vw, &c.vision.layers, kMaxLayers);
    readInt(file, v, "image_size", vw, &c.vision.imageSize);
    readInt(file, v, "patch_size", vw, &c.vision.patchSize);
    c.vision.activation = hfActivation(file, vw, v.value(u"hidden_act"_qs).toString(u"quick_gelu"_qs));
    c.vision.layerNormEps = v.value(u"layer_norm_eps"_qs).toDouble(1e-5);
    c.preprocess.size = c.vision.imageSize;

    const QJsonObject t = tower("text_config", "text_config_dict");
    const QString tw = u"text_config."_qs;
    readInt(file, t, "hidden_size", tw, &c.text.width);
    readInt(file, t, "intermediate_size", tw, &c.text.mlpWidth);
    readInt(file, t, "num_attention_heads", tw, &c.text.heads);
    readInt(file, t, "num_hidden_layers", tw, &c.text.layers, kMaxLayers);
    readInt(file, t, "max_position_embeddings", tw, &c.text.contextLength, 4096);
    readInt(file, t, "vocab_size", tw, &c.text.vocabSize, 1 << 22);
    c.text.activation = hfActivation(file, tw, t.value(u"hidden_act"_qs).toString(u"quick_gelu"_qs));
    c.text.layerNormEps = t.value(u"layer_norm_eps"_qs).toDouble(1e-5);
    for (double eps : {c.vision.layerNormEps, c.text.layerNormEps})
        if (!(eps > 0 && eps < 1))
            fail(u"%1: layer_norm_eps must be between 0 and 1"_qs.arg(file));
}

void applyHfPreprocessor(const QString &file, const QJsonObject &root, ClipConfig &c)
{
    // transformers' CLIPImageProcessor: resize the shortest edge, centre crop, rescale 1/255, normalise.
    const auto sizeOf = [&](const char *key, const char *inner) {
        const QJsonValue v = root.value(QLatin1String(key));
        if (v.isObject()) {
            const QJsonObject o = v.toObject();
            if (o.contains(QLatin1String(inner)))
                return o.value(QLatin1String(inner)).toInt(-1);
            if (o.contains(u"height"_qs) && o.value(u"height"_qs) == o.value(u"width"_qs))
                return o.value(u"height"_qs).toInt(-1);
            return -1;
        }
        return v.isUndefined() ? 0 : v.toInt(-1);
    };
    const int shortest = sizeOf("size", "shortest_edge"), crop = sizeOf("crop_size", "height");
    if (shortest < 0 || crop < 0 || shortest > kMaxSize || crop > kMaxSize)
        fail(u"%1: size and crop_size must be whole numbers (a square crop)"_qs.arg(file));
    if (shortest && crop && shortest != crop)
        fail(u"%1: resizing to %2 px and cropping to %3 px is a preprocessing Cospace does not implement (it resizes "
             "the shortest side to the crop size)"_qs.arg(file).arg(shortest).arg(crop));
    if (crop || shortest)
        c.preprocess.size = crop ? crop : shortest;
    refuse(file, root, QString(), "resample", [](const QJsonValue &v) { return v.toInt() == 3; });   // PIL BICUBIC
    for (const char *k : {"do_resize", "do_center_crop", "do_normalize"})
        refuse(file, root, QString(), k, [](const QJsonValue &v) { return v.toBool(); });
    readTriple(file, root.value(u"image_mean"_qs), u"image_mean"_qs, &c.preprocess.mean, false);
    readTriple(file, root.value(u"image_std"_qs), u"image_std"_qs, &c.preprocess.std, true);
}

}  // namespace cospace
