// CLIP weights run by Cospace's own towers (clipnet_p.h): the EmbeddingModel behind loadModel()
// for safetensors, torch.save and TorchScript files and OpenCLIP / Hugging Face folders.
//
// Start-up does no more than it must: the files are memory-mapped, the architecture is read from
// names and shapes, the fingerprint hashes sizes, times and the first and last bytes (not the
// whole file), and each tower and the tokenizer are built the first time they are used.

#include "core/base/runtime.h"
#include "core/model/clipsource.h"
#include "core/model/cliptokenizer.h"
#include "core/model/clipnet_p.h"
#include "core/model/modelloaders_p.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstring>
#include <future>
#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

constexpr int kTextBatch = 256;   // captions per forward pass (bounds activations for long lists)

detail::WeightFile readWeights(const ClipSource &source)
{
    detail::WeightFile all;
    for (const QString &file : source.weights) {
        detail::WeightFile w = source.format == ClipSource::Format::Safetensors ? detail::readSafetensors(file)
                                                                                : detail::readTorchArchive(file);
        if (all.path.isEmpty()) {
            all = std::move(w);
            continue;
        }
        for (auto &[name, t] : w.tensors)   // shards of one model
            if (!all.tensors.emplace(name, t).second)
                fail(u"%1: tensor \"%2\" is also in another shard"_qs.arg(file, name));
    }
    return all;
}

// Size, modification time and the first and last 64 KiB of each file (headers, zip directory):
// cheap at start-up, and any re-download or edit changes it.
QByteArray fileStamp(const QString &path)
{
    constexpr qint64 kEdge = 64 * 1024;
    const QFileInfo info(path);
    QByteArray stamp = QByteArray::number(info.size()) + ' '
                     + QByteArray::number(info.lastModified().toMSecsSinceEpoch()) + ' ';
    QFile f(path);
    if (f.open(QIODevice::ReadOnly)) {
        stamp += f.read(kEdge);
        if (f.size() > 2 * kEdge && f.seek(f.size() - kEdge))
            stamp += f.read(kEdge);
    }
    return stamp;
}

QJsonArray jsonTriple(const std::array<float, 3> &a) { return {double(a[0]), double(a[1]), double(a[2])}; }

// LibTorch reports in c10::Error with a C++ backtrace; keep its first line, name the model.
template <typename F>
auto guarded(const QString &spec, F &&f)
{
    try {
        return f();
    } catch (const c10::Error &e) {
        const QString what = QString::fromUtf8(e.what());
        fail(u"%1: %2"_qs.arg(spec, what.left(what.indexOf(u'\n') < 0 ? 300 : what.indexOf(u'\n')).left(300)));
    }
}

class NativeClipModel final : public EmbeddingModel
{
public:
    NativeClipModel(const QString &spec, ClipSource source)
        : m_spec(spec), m_source(std::move(source))
    {
        detail::WeightFile weights = readWeights(m_source);
        const QString shown = m_source.weights.size() == 1 ? m_source.weights.first() : spec;
        ClipTensorLayout layout = canonicalClipNames(shown, detail::tensorInfos(weights));
        m_config = inferClipConfig(shown, layout, m_source.configs);
        checkClipTensors(shown, m_config, layout);
        m_format = weights.format;
        for (const auto &[name, recipe] : layout.tensors) {
            m_parameters += recipe.info.shape.empty() ? 1 : *checkedNumel(recipe.info.shape, 1);
            if (!m_dtypes.contains(dtypeName(recipe.info.dtype)))
                m_dtypes << dtypeName(recipe.info.dtype);
        }
        m_naming = layout.naming;
        m_compute = computePrecision() == ComputePrecision::BFloat16 && m_config.vision.kind == ClipVisionConfig::ViT
            ? ComputePrecision::BFloat16 : ComputePrecision::Float32;
        m_weights = std::make_unique<detail::ClipWeights>(std::move(weights), std::move(layout));
        if (m_source.hfVocab.isEmpty()) {
            m_vocab = clipVocabularyPath();
            if (m_vocab.isEmpty())
                fail(u"%1: OpenAI's BPE vocabulary (bpe_simple_vocab_16e6.txt.gz) is not installed; reinstall Cospace "
                     "or set COSPACE_CLIP_VOCAB"_qs.arg(spec));
        }
        m_fingerprint = fingerprintOf();
    }

    QString name() const override
    {
        return u"%1 (%2)"_qs.arg(clipArchitectureName(m_config), QFileInfo(m_spec).fileName());
    }
    QString source() const override { return m_spec; }
    QString fingerprint() const override { return m_fingerprint; }
    int embedDim() const override { return m_config.embedDim; }
    int imageSize() const override { return m_config.vision.imageSize; }

    std::vector<float> preprocess(const RgbImage &image) const override
    {
        return clipPreprocess(image, m_config.preprocess);
    }

    Matrix encodePreprocessed(const std::vector<float> &batch, int count) override
    {
        const std::int64_t s = imageSize();
        if (count <= 0)
            return Matrix(0, embedDim());
        if (batch.size() != std::size_t(count) * std::size_t(3 * s * s))
            throw std::invalid_argument("encodePreprocessed: batch size does not match count");
        c10::InferenceMode guard;
        if (!m_vision)
            m_vision = guarded(m_spec, [&] {
                return detail::buildVisionTower(m_config, *m_weights,
                                                m_compute == ComputePrecision::BFloat16 ? torch::kBFloat16 : torch::kFloat);
            });
        const torch::Tensor input = torch::from_blob(const_cast<float *>(batch.data()), {count, 3, s, s});
        return toUnitRows(guarded(m_spec, [&] { return m_vision->forward(input); }));
    }

    Matrix encodeTexts(const QStringList &texts) override
    {
        if (texts.isEmpty())
            return Matrix(0, embedDim());
        c10::InferenceMode guard;
        if (!m_text) {
            // The tokenizer's tables (~0.1 s) are built on another thread while the tower's weights
            // are converted: the two are most of a first text query after start-up.
            std::future<std::unique_ptr<ClipTokenizer>> tokenizer;
            if (!m_tokenizer)
                tokenizer = std::async(std::launch::async, [this] { return makeTokenizer(); });
            m_text = guarded(m_spec, [&] { return detail::buildTextTower(m_config, *m_weights); });
            if (tokenizer.valid())
                m_tokenizer = tokenizer.get();
        }
        const ClipTokenizer &tok = tokenizer();
        const std::int64_t ctx = m_config.text.contextLength;
        Matrix out(int(texts.size()), embedDim());
        for (qsizetype first = 0; first < texts.size(); first += kTextBatch) {
            const std::int64_t n = std::min<qsizetype>(kTextBatch, texts.size() - first);
            std::vector<std::int64_t> ids;
            ids.reserve(std::size_t(n * ctx));
            for (qsizetype i = first; i < first + n; ++i) {
                const std::vector<std::int64_t> row = tok.tokenize(texts[i], int(ctx));
                ids.insert(ids.end(), row.begin(), row.end());
            }
            const torch::Tensor input = torch::from_blob(ids.data(), {n, ctx}, torch::kLong);
            const Matrix part = toUnitRows(guarded(m_spec, [&] { return m_text->forward(input); }));
            std::memcpy(out.row(int(first)), part.data.data(), part.data.size() * sizeof(float));
        }
        return out;
    }

    QJsonObject describe() const override
    {
        const ClipVisionConfig &v = m_config.vision;
        QJsonObject vision{{u"type"_qs, v.kind == ClipVisionConfig::ViT ? u"vit"_qs : u"resnet"_qs},
                           {u"width"_qs, v.width}, {u"heads"_qs, v.heads}, {u"image_size"_qs, v.imageSize}};
        if (v.kind == ClipVisionConfig::ViT) {
            vision[u"layers"_qs] = v.layers;
            vision[u"patch_size"_qs] = v.patchSize;
            vision[u"mlp_width"_qs] = v.mlpWidth;
            vision[u"activation"_qs] = activationName(v.activation);
        } else {
            vision[u"stages"_qs] = QJsonArray{v.stages[0], v.stages[1], v.stages[2], v.stages[3]};
        }
        const ClipTextConfig &t = m_config.text;
        const QJsonObject text{{u"width"_qs, t.width}, {u"layers"_qs, t.layers}, {u"heads"_qs, t.heads},
                               {u"mlp_width"_qs, t.mlpWidth}, {u"context_length"_qs, t.contextLength},
                               {u"vocab_size"_qs, t.vocabSize}, {u"activation"_qs, activationName(t.activation)}};
        const QJsonObject tokenizer{
            {u"type"_qs, u"clip-bpe"_qs},
            {u"files"_qs, m_source.hfVocab.isEmpty() ? QJsonArray{m_vocab} : QJsonArray{m_source.hfVocab, m_source.hfMerges}}};
        const QJsonObject preprocessing{
            {u"size"_qs, m_config.preprocess.size}, {u"resize"_qs, u"shortest"_qs}, {u"crop"_qs, u"center"_qs},
            {u"interpolation"_qs, u"bicubic"_qs}, {u"mean"_qs, jsonTriple(m_config.preprocess.mean)},
            {u"std"_qs, jsonTriple(m_config.preprocess.std)}};
        return {{u"name"_qs, name()}, {u"source"_qs, m_spec},
                {u"format"_qs, u"%1 (%2, %3 names)"_qs.arg(m_format, m_source.layout, m_naming)},
                {u"architecture"_qs, clipArchitectureName(m_config)}, {u"embed_dim"_qs, m_config.embedDim},
                {u"image_size"_qs, m_config.vision.imageSize}, {u"vision"_qs, vision}, {u"text"_qs, text},
                {u"parameters"_qs, double(m_parameters)}, {u"dtype"_qs, m_dtypes.join(u", "_qs)},
                {u"tokenizer"_qs, tokenizer}, {u"preprocessing"_qs, preprocessing},
                {u"files"_qs, QJsonArray::fromStringList(m_source.weights + m_source.configFiles)},
                {u"config"_qs, m_config.configFile}, {u"runs_code"_qs, false}, {u"fingerprint"_qs, m_fingerprint},
                {u"image_compute"_qs, kComputePrecisionNames.name(m_compute)}};
    }

private:
    static Matrix toUnitRows(const torch::Tensor &t)
    {
        // Cospace's contract: unit rows (a zero row stays zero).
        const torch::Tensor n = torch::nn::functional::normalize(t.to(torch::kFloat),
            torch::nn::functional::NormalizeFuncOptions().dim(1)).contiguous();
        Matrix m(int(n.size(0)), int(n.size(1)));
        std::memcpy(m.data.data(), n.data_ptr<float>(), m.data.size() * sizeof(float));
        return m;
    }

    std::unique_ptr<ClipTokenizer> makeTokenizer() const
    {
        std::unique_ptr<ClipTokenizer> t = m_source.hfVocab.isEmpty()
            ? std::make_unique<ClipTokenizer>(m_vocab) : ClipTokenizer::fromHuggingFace(m_source.hfVocab, m_source.hfMerges);
        if (t->vocabSize() > m_config.text.vocabSize)
            fail(u"%1: the tokenizer has %2 tokens but the text tower embeds only %3"_qs.arg(m_spec)
                     .arg(t->vocabSize()).arg(m_config.text.vocabSize));
        return t;
    }

    // Built on first use, like the towers: the model is used from one thread at a time.
    QStringList vocabularyWords() const override
    {
        return const_cast<NativeClipModel *>(this)->tokenizer().wholeWords();
    }

    const ClipTokenizer &tokenizer()
    {
        if (!m_tokenizer)
            m_tokenizer = makeTokenizer();
        return *m_tokenizer;
    }

    QString fingerprintOf() const
    {
        QCryptographicHash hash(QCryptographicHash::Sha256);
        for (const QString &f : m_source.weights + m_source.configFiles)
            hash.addData(fileStamp(f));
        // What the files imply (architecture, activation, preprocessing), not where they are nor
        // the arithmetic: bf16 and float32 image vectors of one model mix in a store (cosine >= 0.999).
        QJsonObject d = describe();
        for (const char *key : {"fingerprint", "source", "name", "files", "tokenizer", "config", "image_compute"})
            d.remove(QLatin1String(key));
        hash.addData(QJsonDocument(d).toJson(QJsonDocument::Compact));
        return u"clipw:"_qs + QString::fromLatin1(hash.result().toHex().left(16));
    }

    QString m_spec;
    ClipSource m_source;
    ClipConfig m_config;
    QString m_format, m_naming, m_vocab, m_fingerprint;
    QStringList m_dtypes;
    qint64 m_parameters = 0;
    ComputePrecision m_compute = ComputePrecision::Float32;   // of the image tower
    std::unique_ptr<detail::ClipWeights> m_weights;
    std::unique_ptr<ClipTokenizer> m_tokenizer;
    std::unique_ptr<detail::ClipVisionTower> m_vision;
    std::unique_ptr<detail::ClipTextTower> m_text;
};

}  // namespace

namespace detail {

std::unique_ptr<EmbeddingModel> loadNativeClipModel(const QString &path)
{
    return std::make_unique<NativeClipModel>(path, findClipSource(path));
}

}  // namespace detail
}  // namespace cospace
