// canonicalClipNames(): the file's tensor names onto OpenAI's (clipconfig.h).

#include "core/model/clipconfig.h"

#include <QRegularExpression>

#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

QString firstFew(const QStringList &names, int n = 4)
{
    QStringList shown = names.mid(0, n);
    QString s = shown.join(u", "_qs);
    if (names.size() > n)
        s += u" and %1 more"_qs.arg(names.size() - n);
    return s;
}

// Keys that mark an architecture Cospace does not implement, with what it is. Checked in order;
// the first whose pattern some key matches names the model.
struct Hint {
    const char *pattern;
    const char *what;
};
constexpr Hint kHints[] = {
    {R"(^visual\.trunk\.)", "an OpenCLIP image tower from timm (visual.trunk.*), as SigLIP, ConvNeXt and ViT-SO400M models have"},
    {R"(^text\.transformer\.(embeddings|encoder)\.)", "an OpenCLIP text tower from Hugging Face transformers (text.transformer.*), e.g. XLM-RoBERTa"},
    {R"(^text\.(token_embedding|transformer\.resblocks)\.)", "OpenCLIP's CustomTextCLIP (text.*), as the SigLIP and multilingual models use"},
    {R"(^text_decoder\.|^visual\.attn_pool\.|^text\.cls_emb)", "CoCa (a captioning decoder: text_decoder.*, visual.attn_pool.*)"},
    {R"(^visual\.(rope|blocks\.\d+\.attn\.(q_proj|rope))|^visual\.patch_embed\.)", "EVA-CLIP (visual.blocks.*, visual.patch_embed.*, rotary embeddings)"},
    {R"(^image_encoder\.|^text_encoder\.)", "MobileCLIP or BLIP (image_encoder.* / text_encoder.*)"},
    {R"(^visual\.(image_encoder|model)\.)", "an OpenCLIP wrapper around another image tower"},
};

bool anyMatches(const QStringList &names, const QRegularExpression &re)
{
    for (const QString &n : names)
        if (re.match(n).hasMatch())
            return true;
    return false;
}

QString unsupportedHint(const QStringList &names)
{
    if (anyMatches(names, QRegularExpression(u"^(vision_model|text_model)\\.head\\."_qs)))
        return u"SigLIP (vision_model.head.*: attention-pooling heads, sigmoid loss)"_qs;
    for (const Hint &h : kHints) {
        if (anyMatches(names, QRegularExpression(QString::fromLatin1(h.pattern))))
            return QString::fromLatin1(h.what);
    }
    return {};
}

bool isIgnored(const QString &name)
{
    static const QRegularExpression re(
        u"(^|\\.)attn_mask$|\\.num_batches_tracked$|^(input_resolution|context_length|vocab_size)$|"
        "position_ids$|^logit_bias$"_qs);
    return re.match(name).hasMatch();
}

// HF CLIPModel name -> OpenAI name (q/k/v handled by the caller).
QString hfToOpenAi(const QString &name)
{
    static const std::pair<QRegularExpression, QString> rules[] = {
        {QRegularExpression(u"^vision_model\\.embeddings\\.patch_embedding\\.weight$"_qs), u"visual.conv1.weight"_qs},
        {QRegularExpression(u"^vision_model\\.embeddings\\.class_embedding$"_qs), u"visual.class_embedding"_qs},
        {QRegularExpression(u"^vision_model\\.embeddings\\.position_embedding\\.weight$"_qs), u"visual.positional_embedding"_qs},
        {QRegularExpression(u"^vision_model\\.pre_layrnorm\\."_qs), u"visual.ln_pre."_qs},
        {QRegularExpression(u"^vision_model\\.post_layernorm\\."_qs), u"visual.ln_post."_qs},
        {QRegularExpression(u"^vision_model\\.encoder\\.layers\\."_qs), u"visual.transformer.resblocks."_qs},
        {QRegularExpression(u"^text_model\\.embeddings\\.token_embedding\\.weight$"_qs), u"token_embedding.weight"_qs},
        {QRegularExpression(u"^text_model\\.embeddings\\.position_embedding\\.weight$"_qs), u"positional_embedding"_qs},
        {QRegularExpression(u"^text_model\\.final_layer_norm\\."_qs), u"ln_final."_qs},
        {QRegularExpression(u"^text_model\\.encoder\\.layers\\."_qs), u"transformer.resblocks."_qs},
        {QRegularExpression(u"\\.self_attn\\.out_proj\\."_qs), u".attn.out_proj."_qs},
        {QRegularExpression(u"\\.layer_norm1\\."_qs), u".ln_1."_qs},
        {QRegularExpression(u"\\.layer_norm2\\."_qs), u".ln_2."_qs},
        {QRegularExpression(u"\\.mlp\\.fc1\\."_qs), u".mlp.c_fc."_qs},
        {QRegularExpression(u"\\.mlp\\.fc2\\."_qs), u".mlp.c_proj."_qs},
    };
    QString n = name;
    for (const auto &[re, to] : rules)
        n.replace(re, to);
    return n;
}

void addHf(ClipTensorLayout &layout, const QString &file, const TensorInfoMap &tensors)
{
    static const QRegularExpression qkv(u"^(.*)\\.self_attn\\.([qkv])_proj\\.(weight|bias)$"_qs);
    for (const auto &[name, info] : tensors) {
        if (isIgnored(name)) {
            layout.ignored << name;
            continue;
        }
        if (name == u"visual_projection.weight" || name == u"text_projection.weight") {
            if (info.shape.size() != 2)
                fail(u"%1: tensor \"%2\" has shape %3; a projection is 2-D"_qs.arg(file, name, shapeText(info.shape)));
            TensorRecipe r{{name}, true, {info.dtype, {info.shape[1], info.shape[0]}}};
            layout.tensors[name.startsWith(u'v') ? u"visual.proj"_qs : u"text_projection"_qs] = r;
            continue;
        }
        const QRegularExpressionMatch m = qkv.match(name);
        if (m.hasMatch()) {
            if (m.captured(2) != u"q")
                continue;   // gathered with q
            const QString stem = m.captured(1) + u".self_attn."_qs, kind = m.captured(3);
            TensorRecipe r;
            r.info = info;
            for (const char *p : {"q", "k", "v"}) {
                const QString part = stem + QLatin1String(p) + u"_proj."_qs + kind;
                const auto it = tensors.find(part);
                if (it == tensors.end())
                    fail(u"%1: tensor \"%2\" is missing (the other attention projections are there)"_qs.arg(file, part));
                if (it->second.shape != info.shape || it->second.shape.empty())
                    fail(u"%1: tensor \"%2\" has shape %3, unlike its q projection %4"_qs.arg(file, part,
                             shapeText(it->second.shape), shapeText(info.shape)));
                r.parts << part;
            }
            r.info.shape[0] *= 3;
            layout.tensors[hfToOpenAi(m.captured(1)) + u".attn.in_proj_"_qs + kind] = r;
            continue;
        }
        layout.tensors[hfToOpenAi(name)] = TensorRecipe{{name}, false, info};
    }
}

}  // namespace

ClipTensorLayout canonicalClipNames(const QString &file, const TensorInfoMap &input)
{
    // Training checkpoints (DistributedDataParallel) prefix every name with "module.".
    TensorInfoMap stripped;
    bool allModule = !input.empty();
    for (const auto &[name, info] : input)
        allModule = allModule && name.startsWith(u"module.");
    for (const auto &[name, info] : input)
        stripped[allModule ? name.mid(7) : name] = info;
    QStringList names;
    for (const auto &[name, info] : stripped)
        names << name;
    if (const QString hint = unsupportedHint(names); !hint.isEmpty())
        fail(u"%1: this looks like %2, an architecture Cospace does not implement natively; export it with "
             "packaging/export/export_clip.py and open the bundle instead"_qs.arg(file, hint));
    ClipTensorLayout layout;
    const bool hf = stripped.count(u"vision_model.embeddings.patch_embedding.weight"_qs)
                 || stripped.count(u"text_model.embeddings.token_embedding.weight"_qs);
    if (hf) {
        layout.naming = u"huggingface"_qs;
        addHf(layout, file, stripped);
    } else {
        layout.naming = u"openai"_qs;
        for (const auto &[name, info] : stripped) {
            if (isIgnored(name))
                layout.ignored << name;
            else
                layout.tensors[name] = TensorRecipe{{allModule ? u"module."_qs + name : name}, false, info};
        }
    }
    const bool vision = layout.tensors.count(u"visual.conv1.weight"_qs) || layout.tensors.count(u"visual.proj"_qs)
                     || layout.tensors.count(u"visual.attnpool.positional_embedding"_qs);
    if (!vision || !layout.tensors.count(u"token_embedding.weight"_qs))
        fail(u"%1: not a CLIP model Cospace recognises: it has no %2 (its tensors: %3)"_qs.arg(file,
                 vision ? u"token_embedding.weight (text tower)"_qs : u"visual.conv1.weight (image tower)"_qs,
                 firstFew(names)));
    return layout;
}

}  // namespace cospace
