// The native CLIP towers (clipnet_p.h). Tensors are batch-first ([B, L, W]); nn.MultiheadAttention's
// arithmetic (q scaled by head_dim^-1/2 after the projection) is reproduced exactly.

#include "core/model/clipnet_p.h"

#include <cmath>

namespace cospace::detail {

namespace {

struct Linear {
    torch::Tensor w, b;   // w [out, in], in the compute dtype (float32 or bfloat16)
    torch::Tensor operator()(const torch::Tensor &x) const
    {
        if (x.scalar_type() == w.scalar_type())
            return torch::linear(x, w, b);
        // A bf16 product with a float32 result: norms, attention and the residual stream stay float32.
        return torch::linear(x.to(w.scalar_type()), w, b).to(x.scalar_type());
    }
    Linear as(torch::ScalarType t) const { return {w.to(t), b.defined() ? b.to(t) : b}; }
};

struct LayerNorm {
    torch::Tensor w, b;
    double eps = 1e-5;
    torch::Tensor operator()(const torch::Tensor &x) const { return torch::layer_norm(x, {w.size(0)}, w, b, eps); }
};

// `x` is a fresh activation the caller does not keep: updated in place where that saves a pass.
torch::Tensor activate(torch::Tensor x, Activation a)
{
    switch (a) {
    case Activation::QuickGelu: return x.mul_(x.mul(1.702).sigmoid_());   // OpenAI's QuickGELU
    case Activation::Gelu: return torch::gelu(x);                          // exact (erf)
    case Activation::GeluTanh: return torch::gelu(x, "tanh");
    }
    return x;
}

// q [B, Lq, W], k/v [B, L, W] (already projected) -> [B, Lq, W] before the output projection.
torch::Tensor attend(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v, int heads,
                     const torch::Tensor &mask)
{
    const std::int64_t b = q.size(0), lq = q.size(1), l = k.size(1), w = q.size(2), hd = w / heads;
    const auto split = [&](const torch::Tensor &t, std::int64_t len) {
        return t.reshape({b, len, heads, hd}).transpose(1, 2);   // [B, H, L, hd]
    };
    torch::Tensor scores = torch::matmul(split(q, lq), split(k, l).transpose(-2, -1)).mul_(1.0 / std::sqrt(double(hd)));
    if (mask.defined())
        scores.add_(mask);
    const torch::Tensor out = torch::matmul(torch::softmax(scores, -1), split(v, l));
    return out.transpose(1, 2).reshape({b, lq, w});
}

struct Block {
    LayerNorm ln1, ln2;
    Linear in, out, fc, proj;

    torch::Tensor forward(torch::Tensor x, int heads, Activation act, const torch::Tensor &mask) const
    {
        // x is the transformer's own activation (never a weight or an input view): residuals add in place.
        const torch::Tensor qkv = in(ln1(x));
        const auto parts = qkv.chunk(3, -1);
        x.add_(out(attend(parts[0], parts[1], parts[2], heads, mask)));
        return x.add_(proj(activate(fc(ln2(x)), act)));
    }
};

struct Transformer {
    std::vector<Block> blocks;
    int heads = 1;
    Activation act = Activation::QuickGelu;

    torch::Tensor forward(torch::Tensor x, const torch::Tensor &mask = {}) const
    {
        for (const Block &b : blocks)
            x = b.forward(x, heads, act, mask);
        return x;
    }
};

LayerNorm layerNorm(const ClipWeights &w, const QString &p, double eps)
{
    return {w.get(p + u"weight"_qs), w.get(p + u"bias"_qs), eps};
}

Linear linear(const ClipWeights &w, const QString &p)
{
    return {w.get(p + u"weight"_qs), w.get(p + u"bias"_qs)};
}

Transformer transformer(const ClipWeights &w, const QString &prefix, int layers, int heads, Activation act, double eps,
                        torch::ScalarType compute = torch::kFloat)
{
    Transformer t;
    t.heads = heads;
    t.act = act;
    for (int i = 0; i < layers; ++i) {
        const QString p = prefix + QString::number(i) + u'.';
        const Linear in{w.get(p + u"attn.in_proj_weight"_qs), w.get(p + u"attn.in_proj_bias"_qs)};
        t.blocks.push_back({layerNorm(w, p + u"ln_1."_qs, eps), layerNorm(w, p + u"ln_2."_qs, eps), in.as(compute),
                            linear(w, p + u"attn.out_proj."_qs).as(compute), linear(w, p + u"mlp.c_fc."_qs).as(compute),
                            linear(w, p + u"mlp.c_proj."_qs).as(compute)});
    }
    return t;
}

// [B, C, S, S] -> [B, g*g, C*p*p], g = S / p: the patches a stride-p convolution sees, each
// flattened as (channel, row, column) like the rows of its [W, C, p, p] kernel.
torch::Tensor patches(const torch::Tensor &images, std::int64_t p)
{
    const std::int64_t b = images.size(0), c = images.size(1), g = images.size(2) / p;
    return images.narrow(2, 0, g * p).narrow(3, 0, g * p).reshape({b, c, g, p, g, p})
        .permute({0, 2, 4, 1, 3, 5}).reshape({b, g * g, c * p * p});
}

class VisionTransformer final : public ClipVisionTower
{
public:
    VisionTransformer(const ClipConfig &c, const ClipWeights &w, torch::ScalarType compute)
        : m_patch(c.vision.patchSize), m_conv(w.get(u"visual.conv1.weight"_qs)),
          m_class(w.get(u"visual.class_embedding"_qs)), m_position(w.get(u"visual.positional_embedding"_qs)),
          m_lnPre(layerNorm(w, u"visual.ln_pre."_qs, c.vision.layerNormEps)),
          m_blocks(transformer(w, u"visual.transformer.resblocks."_qs, c.vision.layers, c.vision.heads,
                               c.vision.activation, c.vision.layerNormEps, compute)),
          m_lnPost(layerNorm(w, u"visual.ln_post."_qs, c.vision.layerNormEps)), m_proj(w.get(u"visual.proj"_qs))
    {
        if (compute != torch::kFloat)   // the patch convolution as one product over flattened patches
            m_patchLinear = Linear{m_conv.reshape({m_conv.size(0), -1}), {}}.as(compute);
    }

    torch::Tensor forward(const torch::Tensor &images) const override
    {
        torch::Tensor x;                                                    // -> [B, g*g, W]
        if (m_patchLinear.w.defined())
            x = m_patchLinear(patches(images, m_patch));
        else
            x = torch::conv2d(images, m_conv, {}, m_patch).flatten(2).transpose(1, 2);
        x = torch::cat({m_class.view({1, 1, -1}).expand({x.size(0), 1, x.size(2)}), x}, 1) + m_position;
        x = m_blocks.forward(m_lnPre(x));
        return torch::matmul(m_lnPost(x.select(1, 0)), m_proj);
    }

private:
    std::int64_t m_patch;
    torch::Tensor m_conv, m_class, m_position;
    Linear m_patchLinear;   // bf16 compute only
    LayerNorm m_lnPre;
    Transformer m_blocks;
    LayerNorm m_lnPost;
    torch::Tensor m_proj;
};

// A convolution followed by an eval-mode BatchNorm, folded into one convolution with a bias.
struct ConvBn {
    torch::Tensor w, b;
    std::int64_t padding = 0;

    static ConvBn fold(const ClipWeights &ws, const QString &conv, const QString &bn, std::int64_t padding)
    {
        constexpr double kEps = 1e-5;   // nn.BatchNorm2d's default, as OpenAI's ResNet uses
        const torch::Tensor scale = ws.get(bn + u"weight"_qs) / torch::sqrt(ws.get(bn + u"running_var"_qs) + kEps);
        return {ws.get(conv) * scale.view({-1, 1, 1, 1}),
                ws.get(bn + u"bias"_qs) - ws.get(bn + u"running_mean"_qs) * scale, padding};
    }
    torch::Tensor operator()(const torch::Tensor &x) const { return torch::conv2d(x, w, b, 1, padding); }
};

struct Bottleneck {
    ConvBn c1, c2, c3, down;
    bool hasDown = false;
    int stride = 1;

    torch::Tensor forward(const torch::Tensor &x) const
    {
        torch::Tensor out = torch::relu(c2(torch::relu(c1(x))));
        if (stride > 1)
            out = torch::avg_pool2d(out, stride);
        out = c3(out);
        torch::Tensor identity = x;
        if (hasDown)
            identity = down(stride > 1 ? torch::avg_pool2d(x, stride) : x);
        return torch::relu(out + identity);
    }
};

class ModifiedResNet final : public ClipVisionTower
{
public:
    ModifiedResNet(const ClipConfig &c, const ClipWeights &w) : m_heads(c.vision.heads)
    {
        for (int i = 0; i < 3; ++i)
            m_stem[std::size_t(i)] = ConvBn::fold(w, u"visual.conv%1.weight"_qs.arg(i + 1), u"visual.bn%1."_qs.arg(i + 1), 1);
        std::int64_t in = c.vision.width;
        for (int s = 0; s < 4; ++s) {
            const std::int64_t planes = std::int64_t(c.vision.width) << s;
            for (int b = 0; b < c.vision.stages[std::size_t(s)]; ++b) {
                const QString p = u"visual.layer%1.%2."_qs.arg(s + 1).arg(b);
                Bottleneck block;
                block.stride = b == 0 && s > 0 ? 2 : 1;
                block.c1 = ConvBn::fold(w, p + u"conv1.weight"_qs, p + u"bn1."_qs, 0);
                block.c2 = ConvBn::fold(w, p + u"conv2.weight"_qs, p + u"bn2."_qs, 1);
                block.c3 = ConvBn::fold(w, p + u"conv3.weight"_qs, p + u"bn3."_qs, 0);
                block.hasDown = b == 0 && (s > 0 || in != planes * 4);
                if (block.hasDown)
                    block.down = ConvBn::fold(w, p + u"downsample.0.weight"_qs, p + u"downsample.1."_qs, 0);
                m_blocks.push_back(block);
                in = planes * 4;
            }
        }
        m_position = w.get(u"visual.attnpool.positional_embedding"_qs);
        m_q = linear(w, u"visual.attnpool.q_proj."_qs);
        m_k = linear(w, u"visual.attnpool.k_proj."_qs);
        m_v = linear(w, u"visual.attnpool.v_proj."_qs);
        m_c = linear(w, u"visual.attnpool.c_proj."_qs);
    }

    torch::Tensor forward(const torch::Tensor &images) const override
    {
        torch::Tensor x = images;
        for (std::size_t i = 0; i < 3; ++i)   // stem: stride 2 on the first convolution
            x = torch::relu(i == 0 ? torch::conv2d(x, m_stem[i].w, m_stem[i].b, 2, 1) : m_stem[i](x));
        x = torch::avg_pool2d(x, 2);
        for (const Bottleneck &b : m_blocks)
            x = b.forward(x);
        // Attention pooling: the mean of the grid is the query, over itself and the grid.
        x = x.flatten(2).transpose(1, 2);                                 // [B, HW, C]
        x = torch::cat({x.mean(1, true), x}, 1) + m_position;            // [B, HW+1, C]
        const torch::Tensor pooled = attend(m_q(x.narrow(1, 0, 1)), m_k(x), m_v(x), m_heads, {});
        return m_c(pooled.squeeze(1));
    }

private:
    int m_heads;
    std::array<ConvBn, 3> m_stem;
    std::vector<Bottleneck> m_blocks;
    torch::Tensor m_position;
    Linear m_q, m_k, m_v, m_c;
};

class TextTransformer final : public ClipTextTower
{
public:
    TextTransformer(const ClipConfig &c, const ClipWeights &w)
        : m_tokens(w.raw(u"token_embedding.weight"_qs)), m_position(w.get(u"positional_embedding"_qs)),
          m_blocks(transformer(w, u"transformer.resblocks."_qs, c.text.layers, c.text.heads, c.text.activation,
                               c.text.layerNormEps)),
          m_lnFinal(layerNorm(w, u"ln_final."_qs, c.text.layerNormEps)), m_proj(w.get(u"text_projection"_qs))
    {
    }

    torch::Tensor forward(const torch::Tensor &ids) const override
    {
        // Pooling reads the end-of-text position only, and attention is causal: positions after
        // the longest caption's EOT cannot change any result, so they are not computed.
        const torch::Tensor eot = ids.argmax(-1);
        const std::int64_t b = ids.size(0), len = eot.max().item<std::int64_t>() + 1;
        const torch::Tensor used = ids.narrow(1, 0, len).contiguous();
        torch::Tensor x = m_tokens.index_select(0, used.view({-1})).to(torch::kFloat).view({b, len, -1});
        x = x + m_position.narrow(0, 0, len);
        const torch::Tensor mask = torch::full({len, len}, -std::numeric_limits<float>::infinity()).triu_(1);
        x = m_lnFinal(m_blocks.forward(x, mask));
        return torch::matmul(x.index({torch::arange(b), eot}), m_proj);
    }

private:
    torch::Tensor m_tokens;   // file dtype: only the rows in use are converted
    torch::Tensor m_position;
    Transformer m_blocks;
    LayerNorm m_lnFinal;
    torch::Tensor m_proj;
};

}  // namespace

ClipWeights::ClipWeights(WeightFile file, ClipTensorLayout layout) : m_file(std::move(file)), m_layout(std::move(layout)) {}

torch::Tensor ClipWeights::get(const QString &name) const
{
    const TensorRecipe &r = m_layout.tensors.at(name);
    for (const QString &p : r.parts)
        prefault(m_file.tensors.at(p));
    if (r.parts.size() == 1 && !r.transpose) {
        const torch::Tensor &t = m_file.tensors.at(r.parts[0]);
        if (t.scalar_type() == torch::kFloat && t.is_contiguous())
            return t;   // the file's bytes, no copy
    }
    torch::Tensor out = m_arena.empty(r.info.shape);
    if (r.parts.size() == 1) {
        const torch::Tensor &t = m_file.tensors.at(r.parts[0]);
        out.copy_(r.transpose ? t.t() : t);   // converts fp16 / bf16 / fp64 to float32
        return out;
    }
    std::int64_t row = 0;   // HF q, k, v -> in_proj, along dim 0
    for (const QString &p : r.parts) {
        const torch::Tensor &t = m_file.tensors.at(p);
        out.narrow(0, row, t.size(0)).copy_(t);
        row += t.size(0);
    }
    return out;
}

torch::Tensor ClipWeights::raw(const QString &name) const
{
    const TensorRecipe &r = m_layout.tensors.at(name);
    if (r.parts.size() != 1 || r.transpose)
        return get(name);
    return m_file.tensors.at(r.parts[0]);
}

std::unique_ptr<ClipVisionTower> buildVisionTower(const ClipConfig &config, const ClipWeights &weights,
                                                  torch::ScalarType compute)
{
    if (config.vision.kind == ClipVisionConfig::ResNet)
        return std::make_unique<ModifiedResNet>(config, weights);
    return std::make_unique<VisionTransformer>(config, weights, compute);
}

std::unique_ptr<ClipTextTower> buildTextTower(const ClipConfig &config, const ClipWeights &weights)
{
    return std::make_unique<TextTransformer>(config, weights);
}

}  // namespace cospace::detail
