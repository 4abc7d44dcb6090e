// The architecture a CLIP state dict implies (clipconfig.h): OpenAI's build_model() read of the
// shapes, then OpenCLIP / Hugging Face configs on top, then the check of every tensor.

#include "core/model/clipconfig_p.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include <cmath>
#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

using Shape = std::vector<std::int64_t>;

const Shape &shapeOf(const QString &file, const ClipTensorLayout &layout, const QString &name)
{
    const auto it = layout.tensors.find(name);
    if (it == layout.tensors.end())
        fail(u"%1: tensor \"%2\" is missing"_qs.arg(file, name));
    return it->second.info.shape;
}

std::int64_t dim(const QString &file, const ClipTensorLayout &layout, const QString &name, int d, int rank)
{
    const Shape &s = shapeOf(file, layout, name);
    if (int(s.size()) != rank)
        fail(u"%1: tensor \"%2\" has shape %3; expected %4 dimensions"_qs.arg(file, name, shapeText(s)).arg(rank));
    if (s[std::size_t(d)] <= 0 || s[std::size_t(d)] > (1 << 20))
        fail(u"%1: tensor \"%2\" has an implausible shape %3"_qs.arg(file, name, shapeText(s)));
    return s[std::size_t(d)];
}

// Distinct block indices under `prefix` ("visual.transformer.resblocks."): how many, and whether
// they are 0..n-1 (checkClipTensors names the gap otherwise).
int countBlocks(const ClipTensorLayout &layout, const QString &prefix)
{
    QSet<int> seen;
    const QRegularExpression re(u'^' + QRegularExpression::escape(prefix) + u"(\\d+)\\."_qs);
    for (const auto &[name, r] : layout.tensors) {
        const QRegularExpressionMatch m = re.match(name);
        if (m.hasMatch() && m.captured(1).size() < 6)
            seen.insert(m.captured(1).toInt());
    }
    return int(seen.size());
}

int gridOf(std::int64_t tokens)   // tokens = grid^2 + 1 (the class token), as build_model rounds it
{
    const int g = int(std::lround(std::sqrt(double(std::max<std::int64_t>(tokens - 1, 0)))));
    return std::int64_t(g) * g + 1 == tokens ? g : -1;
}

int headsFor(int width) { return std::max(1, width / 64); }   // build_model: width // 64

void inferFromShapes(const QString &file, const ClipTensorLayout &layout, ClipConfig &c)
{
    const auto has = [&](const char *n) { return layout.tensors.count(QString::fromLatin1(n)) > 0; };
    ClipVisionConfig &v = c.vision;
    if (countBlocks(layout, u"visual.layer1."_qs) > 0) {
        v.kind = ClipVisionConfig::ResNet;
        for (int s = 0; s < 4; ++s)
            v.stages[std::size_t(s)] = countBlocks(layout, u"visual.layer%1."_qs.arg(s + 1));
        v.width = int(dim(file, layout, u"visual.layer1.0.conv1.weight"_qs, 0, 4));
        const std::int64_t tokens = dim(file, layout, u"visual.attnpool.positional_embedding"_qs, 0, 2);
        const int grid = gridOf(tokens);
        if (grid <= 0)
            fail(u"%1: visual.attnpool.positional_embedding has %2 rows, not a square grid + 1"_qs.arg(file).arg(tokens));
        v.imageSize = grid * 32;
        v.heads = v.width * 32 / 64;
    } else {
        v.kind = ClipVisionConfig::ViT;
        v.width = int(dim(file, layout, u"visual.conv1.weight"_qs, 0, 4));
        v.patchSize = int(dim(file, layout, u"visual.conv1.weight"_qs, 3, 4));
        v.layers = countBlocks(layout, u"visual.transformer.resblocks."_qs);
        const std::int64_t tokens = dim(file, layout, u"visual.positional_embedding"_qs, 0, 2);
        const int grid = gridOf(tokens);
        if (grid <= 0)
            fail(u"%1: visual.positional_embedding has %2 rows, not a square grid + 1"_qs.arg(file).arg(tokens));
        v.imageSize = grid * v.patchSize;
        v.heads = headsFor(v.width);
        if (has("visual.transformer.resblocks.0.mlp.c_fc.weight"))
            v.mlpWidth = int(dim(file, layout, u"visual.transformer.resblocks.0.mlp.c_fc.weight"_qs, 0, 2));
        else
            v.mlpWidth = 4 * v.width;
    }
    ClipTextConfig &t = c.text;
    t.contextLength = int(dim(file, layout, u"positional_embedding"_qs, 0, 2));
    t.vocabSize = int(dim(file, layout, u"token_embedding.weight"_qs, 0, 2));
    t.width = int(dim(file, layout, u"token_embedding.weight"_qs, 1, 2));
    t.heads = headsFor(t.width);
    t.layers = countBlocks(layout, u"transformer.resblocks."_qs);
    t.mlpWidth = has("transformer.resblocks.0.mlp.c_fc.weight")
        ? int(dim(file, layout, u"transformer.resblocks.0.mlp.c_fc.weight"_qs, 0, 2)) : 4 * t.width;
    c.embedDim = int(dim(file, layout, u"text_projection"_qs, 1, 2));
    c.preprocess.size = v.imageSize;
}

}  // namespace

QString activationName(Activation a) { return kActivations.name(a); }

ClipConfig inferClipConfig(const QString &file, const ClipTensorLayout &layout, const ClipConfigSources &sources)
{
    ClipConfig c;
    inferFromShapes(file, layout, c);
    if (!sources.openClip.isEmpty()) {
        c.configFile = sources.openClipFile;
        // OpenCLIP's default is the exact GELU; only its "-quickgelu" configs (OpenAI's weights) say otherwise.
        c.vision.activation = c.text.activation = Activation::Gelu;
        applyOpenClipConfig(sources.openClipFile, sources.openClip, c);
    }
    if (!sources.huggingFace.isEmpty()) {
        c.configFile = sources.huggingFaceFile;
        applyHuggingFaceConfig(sources.huggingFaceFile, sources.huggingFace, c);
    }
    if (!sources.hfPreprocessor.isEmpty())
        applyHfPreprocessor(sources.hfPreprocessorFile, sources.hfPreprocessor, c);
    const auto positive = [&](int v, const char *what) {
        if (v <= 0 || v > (1 << 20))
            fail(u"%1: %2 is %3; it must be a positive size"_qs.arg(c.configFile.isEmpty() ? file : c.configFile,
                     QLatin1String(what)).arg(v));
    };
    positive(c.embedDim, "embed_dim");
    positive(c.vision.width, "the image tower's width");
    positive(c.vision.heads, "the image tower's head count");
    positive(c.vision.imageSize, "the image size");
    positive(c.text.width, "the text tower's width");
    positive(c.text.heads, "the text tower's head count");
    positive(c.text.contextLength, "the context length");
    const int poolWidth = c.vision.kind == ClipVisionConfig::ResNet ? c.vision.width * 32 : c.vision.width;
    if (poolWidth % c.vision.heads || c.text.width % c.text.heads)
        fail(u"%1: the head counts (%2 image, %3 text) do not divide the widths (%4, %5)"_qs
                 .arg(c.configFile.isEmpty() ? file : c.configFile).arg(c.vision.heads).arg(c.text.heads)
                 .arg(poolWidth).arg(c.text.width));
    if (c.vision.kind == ClipVisionConfig::ViT && (c.vision.imageSize % c.vision.patchSize))
        fail(u"%1: image size %2 is not a multiple of the patch size %3"_qs.arg(c.configFile.isEmpty() ? file : c.configFile)
                 .arg(c.vision.imageSize).arg(c.vision.patchSize));
    if (c.vision.kind == ClipVisionConfig::ResNet && (c.vision.imageSize % 32 || c.vision.width % 2))
        fail(u"%1: a ResNet tower needs an image size divisible by 32 and an even width"_qs
                 .arg(c.configFile.isEmpty() ? file : c.configFile));
    if (c.preprocess.size != c.vision.imageSize)
        fail(u"%1: preprocessing crops to %2 px but the image tower takes %3 px"_qs
                 .arg(sources.hfPreprocessorFile.isEmpty() ? (c.configFile.isEmpty() ? file : c.configFile)
                                                            : sources.hfPreprocessorFile)
                 .arg(c.preprocess.size).arg(c.vision.imageSize));
    return c;
}

std::map<QString, Shape> expectedClipShapes(const ClipConfig &c)
{
    std::map<QString, Shape> s;
    const auto block = [&s](const QString &p, std::int64_t w, std::int64_t m) {
        s[p + u"attn.in_proj_weight"_qs] = {3 * w, w};
        s[p + u"attn.in_proj_bias"_qs] = {3 * w};
        s[p + u"attn.out_proj.weight"_qs] = {w, w};
        s[p + u"attn.out_proj.bias"_qs] = {w};
        s[p + u"mlp.c_fc.weight"_qs] = {m, w};
        s[p + u"mlp.c_fc.bias"_qs] = {m};
        s[p + u"mlp.c_proj.weight"_qs] = {w, m};
        s[p + u"mlp.c_proj.bias"_qs] = {w};
        for (const char *ln : {"ln_1.", "ln_2."}) {
            s[p + QLatin1String(ln) + u"weight"_qs] = {w};
            s[p + QLatin1String(ln) + u"bias"_qs] = {w};
        }
    };
    const auto norm = [&s](const QString &p, std::int64_t w, bool batch) {
        s[p + u"weight"_qs] = {w};
        s[p + u"bias"_qs] = {w};
        if (batch) {
            s[p + u"running_mean"_qs] = {w};
            s[p + u"running_var"_qs] = {w};
        }
    };
    const ClipVisionConfig &v = c.vision;
    const std::int64_t e = c.embedDim;
    if (v.kind == ClipVisionConfig::ViT) {
        const std::int64_t w = v.width, g = v.imageSize / v.patchSize;
        s[u"visual.conv1.weight"_qs] = {w, 3, v.patchSize, v.patchSize};
        s[u"visual.class_embedding"_qs] = {w};
        s[u"visual.positional_embedding"_qs] = {g * g + 1, w};
        norm(u"visual.ln_pre."_qs, w, false);
        for (int i = 0; i < v.layers; ++i)
            block(u"visual.transformer.resblocks.%1."_qs.arg(i), w, v.mlpWidth);
        norm(u"visual.ln_post."_qs, w, false);
        s[u"visual.proj"_qs] = {w, e};
    } else {
        const std::int64_t w = v.width, half = w / 2, g = v.imageSize / 32, pool = w * 32;
        s[u"visual.conv1.weight"_qs] = {half, 3, 3, 3};
        s[u"visual.conv2.weight"_qs] = {half, half, 3, 3};
        s[u"visual.conv3.weight"_qs] = {w, half, 3, 3};
        norm(u"visual.bn1."_qs, half, true);
        norm(u"visual.bn2."_qs, half, true);
        norm(u"visual.bn3."_qs, w, true);
        std::int64_t in = w;
        for (int st = 0; st < 4; ++st) {
            const std::int64_t planes = w << st;
            for (int b = 0; b < v.stages[std::size_t(st)]; ++b) {
                const QString p = u"visual.layer%1.%2."_qs.arg(st + 1).arg(b);
                s[p + u"conv1.weight"_qs] = {planes, in, 1, 1};
                s[p + u"conv2.weight"_qs] = {planes, planes, 3, 3};
                s[p + u"conv3.weight"_qs] = {planes * 4, planes, 1, 1};
                norm(p + u"bn1."_qs, planes, true);
                norm(p + u"bn2."_qs, planes, true);
                norm(p + u"bn3."_qs, planes * 4, true);
                if (b == 0 && (st > 0 || in != planes * 4)) {
                    s[p + u"downsample.0.weight"_qs] = {planes * 4, in, 1, 1};
                    norm(p + u"downsample.1."_qs, planes * 4, true);
                }
                in = planes * 4;
            }
        }
        s[u"visual.attnpool.positional_embedding"_qs] = {g * g + 1, pool};
        for (const char *p : {"q_proj", "k_proj", "v_proj"}) {
            s[u"visual.attnpool.%1.weight"_qs.arg(QLatin1String(p))] = {pool, pool};
            s[u"visual.attnpool.%1.bias"_qs.arg(QLatin1String(p))] = {pool};
        }
        s[u"visual.attnpool.c_proj.weight"_qs] = {e, pool};
        s[u"visual.attnpool.c_proj.bias"_qs] = {e};
    }
    const ClipTextConfig &t = c.text;
    s[u"token_embedding.weight"_qs] = {t.vocabSize, t.width};
    s[u"positional_embedding"_qs] = {t.contextLength, t.width};
    for (int i = 0; i < t.layers; ++i)
        block(u"transformer.resblocks.%1."_qs.arg(i), t.width, t.mlpWidth);
    norm(u"ln_final."_qs, t.width, false);
    s[u"text_projection"_qs] = {t.width, e};
    return s;
}

void checkClipTensors(const QString &file, const ClipConfig &config, const ClipTensorLayout &layout)
{
    const std::map<QString, Shape> want = expectedClipShapes(config);
    QStringList missing, extra, wrong;
    const auto sourceName = [&](const QString &name) -> QString {
        const TensorRecipe &r = layout.tensors.at(name);
        return r.parts.size() == 1 && r.parts[0] != name ? u"%1 (%2)"_qs.arg(name, r.parts[0]) : name;
    };
    for (const auto &[name, shape] : want) {
        const auto it = layout.tensors.find(name);
        if (it == layout.tensors.end())
            missing << name;
        else if (it->second.info.shape != shape)
            wrong << u"%1: %2 implies %3, the file has %4"_qs.arg(sourceName(name),
                         config.configFile.isEmpty() ? u"the other shapes"_qs : config.configFile, shapeText(shape),
                         shapeText(it->second.info.shape));
    }
    for (const auto &[name, recipe] : layout.tensors) {
        if (name == u"logit_scale") {
            if (recipe.info.shape.size() > 1 || (recipe.info.shape.size() == 1 && recipe.info.shape[0] != 1))
                wrong << u"logit_scale: a scalar, the file has %1"_qs.arg(shapeText(recipe.info.shape));
            continue;
        }
        if (!want.count(name))
            extra << sourceName(name);
        else if (!isFloating(recipe.info.dtype))
            wrong << u"%1: %2 values; weights are floating point"_qs.arg(sourceName(name), dtypeName(recipe.info.dtype));
    }
    const auto few = [](const QStringList &l) -> QString {
        return l.mid(0, 4).join(u"; "_qs) + (l.size() > 4 ? u" (and %1 more)"_qs.arg(l.size() - 4) : QString());
    };
    // With a config, the architecture is what the config says: a layer count or a tower kind that
    // contradicts the file shows up as missing or extra blocks, and the message must say whose word
    // that architecture is.
    const QString arch = clipArchitectureName(config)
        + (config.configFile.isEmpty() ? QString() : u" (as %1 describes it)"_qs.arg(config.configFile));
    if (!wrong.isEmpty())
        fail(u"%1: the tensors do not fit a %2: %3"_qs.arg(file, arch, few(wrong)));
    if (!missing.isEmpty())
        fail(u"%1: %2 tensor(s) of a %3 are missing: %4"_qs.arg(file).arg(missing.size()).arg(arch, few(missing)));
    if (!extra.isEmpty())
        fail(u"%1: %2 tensor(s) that a %3 does not have: %4%5"_qs.arg(file).arg(extra.size()).arg(arch, few(extra),
                 config.configFile.isEmpty() ? u" (a variant Cospace does not implement?)"_qs
                                             : u" (the config and the weights disagree, or a variant Cospace does not implement)"_qs));
}

QString clipArchitectureName(const ClipConfig &c)
{
    const ClipVisionConfig &v = c.vision;
    if (v.kind == ClipVisionConfig::ResNet) {
        static const struct { std::array<int, 4> stages; int width; const char *name; } known[] = {
            {{3, 4, 6, 3}, 64, "RN50"}, {{3, 4, 23, 3}, 64, "RN101"}, {{4, 6, 10, 6}, 80, "RN50x4"},
            {{6, 8, 18, 8}, 96, "RN50x16"}, {{3, 15, 36, 10}, 128, "RN50x64"}};
        for (const auto &k : known)
            if (k.stages == v.stages && k.width == v.width)
                return QString::fromLatin1(k.name);
        return u"ResNet (stages %1-%2-%3-%4, width %5, %6 px)"_qs.arg(v.stages[0]).arg(v.stages[1]).arg(v.stages[2])
            .arg(v.stages[3]).arg(v.width).arg(v.imageSize);
    }
    static const struct { int width, layers; const char *size; } sizes[] = {
        {384, 12, "S"}, {512, 12, "M"}, {768, 12, "B"}, {1024, 24, "L"}, {1280, 32, "H"}, {1408, 40, "g"}, {1664, 48, "bigG"}};
    for (const auto &s : sizes) {
        if (s.width == v.width && s.layers == v.layers) {
            QString name = u"ViT-%1/%2"_qs.arg(QLatin1String(s.size)).arg(v.patchSize);
            if (v.imageSize != 224)
                name += u"@%1px"_qs.arg(v.imageSize);
            return name;
        }
    }
    return u"ViT (width %1, %2 layers, patch %3, %4 px)"_qs.arg(v.width).arg(v.layers).arg(v.patchSize).arg(v.imageSize);
}

}  // namespace cospace
