#include "core/model/sharedspacemodel.h"

#include "core/model/checkpoint_p.h"
#include "core/data/imageops_p.h"
#include "core/base/limits.h"
#include "core/model/modelloaders_p.h"
#include "core/base/torchmatrix_p.h"

#include <caffe2/serialize/inline_container.h>

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace cospace {

namespace detail {

namespace {

torch::nn::AnyModule makeNorm(const QString &kind, int channels)
{
    if (kind == u"group")
        return torch::nn::AnyModule(torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, channels)));
    return torch::nn::AnyModule(torch::nn::BatchNorm2d(channels));
}

torch::nn::Conv2d conv3x3(int in, int out, int stride)
{
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

}  // namespace

ResidualBlockImpl::ResidualBlockImpl(int in, int out, int stride, const QString &norm)
{
    conv1 = register_module("conv1", conv3x3(in, out, stride));
    norm1 = makeNorm(norm, out);
    register_module("norm1", norm1.ptr());
    conv2 = register_module("conv2", conv3x3(out, out, 1));
    norm2 = makeNorm(norm, out);
    register_module("norm2", norm2.ptr());
    hasShortcut = stride != 1 || in != out;
    if (hasShortcut) {
        shortcut = register_module("shortcut",
                                   torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)));
        shortcutNorm = makeNorm(norm, out);
        register_module("shortcut_norm", shortcutNorm.ptr());
    }
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor &x)
{
    torch::Tensor y = torch::relu(norm1.forward(conv1->forward(x)));
    y = norm2.forward(conv2->forward(y));
    const torch::Tensor skip = hasShortcut ? shortcutNorm.forward(shortcut->forward(x)) : x;
    return torch::relu(y + skip);
}

ImageTowerImpl::ImageTowerImpl(const ImageEncoderConfig &config, int embedDim)
{
    stem = register_module("stem", conv3x3(3, config.widths[0], config.stemStride));
    stemNorm = makeNorm(config.norm, config.widths[0]);
    register_module("stem_norm", stemNorm.ptr());
    stages = register_module("stages", torch::nn::Sequential());
    int in = config.widths[0];
    for (std::size_t s = 0; s < config.widths.size(); ++s) {
        const int out = config.widths[s];
        const int stride = s == 0 ? 1 : 2;
        // A stage with zero blocks still changes width/resolution through one block.
        const int blocks = std::max(1, config.blocks[s]);
        for (int b = 0; b < blocks; ++b) {
            stages->push_back(ResidualBlock(in, out, b == 0 ? stride : 1, config.norm));
            in = out;
        }
    }
    head = register_module("head", torch::nn::Linear(in, embedDim));
}

torch::Tensor ImageTowerImpl::forward(const torch::Tensor &images)
{
    // Channels-last activations let oneDNN run the convolutions without layout reorders: ~20% less
    // time per training step of the default tower (bench/trainer). Parameters stay contiguous, so
    // checkpoints are unchanged.
    torch::Tensor x = images.contiguous(torch::MemoryFormat::ChannelsLast);
    x = torch::relu(stemNorm.forward(stem->forward(x)));
    x = stages->forward(x);
    x = x.mean({2, 3});
    return torch::nn::functional::normalize(head->forward(x),
                                            torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-8));
}

TextTowerImpl::TextTowerImpl(const TextEncoderConfig &config, int vocabSize, int embedDim)
    : meanPool(config.pool == u"mean"), layers(config.layers)
{
    tokenEmbedding = register_module("token_embedding", torch::nn::Embedding(vocabSize, config.width));
    positions = register_parameter("positions", torch::randn({config.context, config.width}) * 0.01);
    if (layers > 0) {
        // Post-norm layers, no dropout (so training is deterministic and needs no RNG state);
        // the PyTorch twin uses nn.TransformerEncoderLayer with the same options.
        auto layer = torch::nn::TransformerEncoderLayerOptions(config.width, config.heads)
                         .dim_feedforward(4 * config.width)
                         .dropout(0.0)
                         .activation(torch::kGELU);
        encoder = register_module("encoder", torch::nn::TransformerEncoder(
                                                 torch::nn::TransformerEncoderOptions(layer, config.layers)));
    }
    finalNorm = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.width})));
    head = register_module("head", torch::nn::Linear(config.width, embedDim));
}

torch::Tensor TextTowerImpl::forward(const torch::Tensor &tokens)
{
    const int64_t length = std::min<int64_t>(tokens.size(1), positions.size(0));
    const torch::Tensor ids = tokens.slice(1, 0, length);
    const torch::Tensor padding = ids.eq(0);                       // [B, L]
    torch::Tensor x = tokenEmbedding->forward(ids) + positions.slice(0, 0, length).unsqueeze(0);
    if (layers > 0)
        x = encoder->forward(x.transpose(0, 1), {}, padding).transpose(0, 1);   // encoder wants [L, B, W]
    x = finalNorm->forward(x);
    torch::Tensor pooled;
    if (meanPool) {
        const torch::Tensor keep = padding.logical_not().unsqueeze(2).to(x.dtype());
        pooled = (x * keep).sum(1) / keep.sum(1).clamp_min(1.0);
    } else {
        pooled = x.select(1, 0);
    }
    return torch::nn::functional::normalize(head->forward(pooled),
                                            torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-8));
}

SharedSpaceNetImpl::SharedSpaceNetImpl(const SharedSpaceConfig &config, int vocabSize)
{
    config.checkSizeLimit(vocabSize);   // before a single tensor is allocated
    image = register_module("image", ImageTower(config.image, config.embedDim));
    text = register_module("text", TextTower(config.text, vocabSize, config.embedDim));
    // InfoNCE: logit scale = log(1 / 0.07) (CLIP init); SigLIP: t' = log 10 and b = -10 (SigLIP paper).
    const bool siglip = config.loss == LossKind::SigLip;
    logitScale = register_parameter("logit_scale", torch::full({1}, siglip ? std::log(10.0) : std::log(1.0 / 0.07)));
    logitBias = register_parameter("logit_bias", torch::full({1}, siglip ? -10.0 : 0.0), siglip);
}

namespace {

constexpr const char *kCheckpointFormat = "cospace-checkpoint";
constexpr int kCheckpointVersion = 1;

[[noreturn]] void fail(const QString &path, const QString &message)
{
    throw std::runtime_error(u"%1: %2"_qs.arg(path, message).toStdString());
}

QString firstLine(const char *what)
{
    return QString::fromUtf8(what).section(u'\n', 0, 0).left(200);
}

QJsonObject readMeta(torch::serialize::InputArchive &archive, const QString &path)
{
    c10::IValue meta;
    if (!archive.try_read("meta", meta) || !meta.isString())
        fail(path, u"not a Cospace checkpoint (no metadata)"_qs);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(meta.toStringRef()), &error);
    const QJsonObject o = doc.object();
    if (error.error != QJsonParseError::NoError || o.value(u"format"_qs).toString() != QLatin1String(kCheckpointFormat))
        fail(path, u"not a Cospace checkpoint (bad metadata)"_qs);
    if (o.value(u"version"_qs).toInt() > kCheckpointVersion)
        fail(path, u"checkpoint version %1 is newer than this Cospace reads (%2)"_qs
                       .arg(o.value(u"version"_qs).toInt()).arg(kCheckpointVersion));
    return o;
}

void openArchive(torch::serialize::InputArchive &archive, const QString &path)
{
    const QFileInfo info(path);
    if (!info.isFile())
        fail(path, u"no such file"_qs);
    if (info.size() == 0)
        fail(path, u"empty file (not a checkpoint)"_qs);
    if (const QString problem = modelSizeProblem(info.size()); !problem.isEmpty())
        fail(path, problem);
    try {
        archive.load_from(path.toStdString(), torch::kCPU);
    } catch (const c10::Error &e) {
        fail(path, u"corrupt or truncated checkpoint (%1)"_qs.arg(firstLine(e.what())));
    }
}

}  // namespace

void saveCheckpoint(const QString &path, SharedSpaceNet &net, torch::optim::Optimizer *optimizer,
                    const CheckpointState &state)
{
    const QJsonObject meta{{u"format"_qs, QLatin1String(kCheckpointFormat)},
                           {u"version"_qs, kCheckpointVersion},
                           {u"config"_qs, state.config.toJson()},
                           {u"tokenizer"_qs, state.tokenizer.toJson()},
                           {u"epoch"_qs, state.epoch},
                           {u"step"_qs, state.step},
                           {u"step_in_epoch"_qs, state.stepInEpoch},
                           {u"best_rsum"_qs, state.bestRsum},
                           {u"extra"_qs, state.extra}};
    torch::serialize::OutputArchive archive;
    archive.write("meta", c10::IValue(QJsonDocument(meta).toJson(QJsonDocument::Compact).toStdString()));
    torch::serialize::OutputArchive model;
    net->save(model);
    archive.write("model", model);
    if (optimizer) {
        torch::serialize::OutputArchive opt;
        optimizer->save(opt);
        archive.write("optimizer", opt);
    }
    std::ostringstream bytes;
    archive.save_to(bytes);
    const std::string data = bytes.str();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data.data(), qint64(data.size())) != qint64(data.size())
        || !file.commit())
        fail(path, u"cannot write checkpoint: %1"_qs.arg(file.errorString()));
}

SharedSpaceNet loadCheckpoint(const QString &path, CheckpointState *state)
{
    torch::serialize::InputArchive archive;
    openArchive(archive, path);
    const QJsonObject meta = readMeta(archive, path);
    CheckpointState s;
    try {
        s.config = SharedSpaceConfig::fromJson(meta.value(u"config"_qs).toObject());
        s.tokenizer = TextTokenizer::fromJson(meta.value(u"tokenizer"_qs).toObject());
    } catch (const std::runtime_error &e) {
        fail(path, u"invalid checkpoint metadata: %1"_qs.arg(QString::fromUtf8(e.what())));
    }
    s.epoch = meta.value(u"epoch"_qs).toInt();
    s.step = meta.value(u"step"_qs).toInteger();
    s.stepInEpoch = meta.value(u"step_in_epoch"_qs).toInt();
    s.bestRsum = meta.value(u"best_rsum"_qs).toDouble(-1);
    s.extra = meta.value(u"extra"_qs).toObject();
    SharedSpaceNet net{nullptr};
    try {
        net = SharedSpaceNet(s.config, s.tokenizer.vocabSize());   // a small file may describe a giant network
    } catch (const std::runtime_error &e) {
        fail(path, QString::fromUtf8(e.what()));
    }
    try {
        torch::serialize::InputArchive model;
        if (!archive.try_read("model", model))
            fail(path, u"checkpoint has no weights"_qs);
        net->load(model);
    } catch (const c10::Error &e) {
        fail(path, u"weights do not match the stored config (%1)"_qs.arg(firstLine(e.what())));
    }
    if (state)
        *state = std::move(s);
    return net;
}

void loadOptimizerState(const QString &path, torch::optim::Optimizer &optimizer)
{
    torch::serialize::InputArchive archive;
    openArchive(archive, path);
    torch::serialize::InputArchive opt;
    if (!archive.try_read("optimizer", opt))
        fail(path, u"checkpoint has no optimizer state, cannot resume from it"_qs);
    try {
        optimizer.load(opt);
    } catch (const c10::Error &e) {
        fail(path, u"optimizer state does not match (%1)"_qs.arg(firstLine(e.what())));
    }
}

namespace {

// An own checkpoint as an EmbeddingModel. Not thread-safe (see EmbeddingModel).
class SharedSpaceModel final : public EmbeddingModel
{
public:
    SharedSpaceModel(const QString &path, const QString &source) : m_source(source)
    {
        m_net = loadCheckpoint(path, &m_state);
        m_net->eval();
        QFile file(path);
        QCryptographicHash hash(QCryptographicHash::Sha256);
        if (file.open(QIODevice::ReadOnly))
            hash.addData(&file);
        m_fingerprint = u"own:"_qs + QString::fromLatin1(hash.result().toHex().left(16));
        m_name = source == u"default" ? u"Cospace default (emoji)"_qs
                                      : QFileInfo(path).dir().dirName() + u"/"_qs + QFileInfo(path).fileName();
    }

    QString name() const override { return m_name; }
    QString source() const override { return m_source; }
    QString fingerprint() const override { return m_fingerprint; }
    int embedDim() const override { return m_state.config.embedDim; }
    int imageSize() const override { return m_state.config.image.size; }
    QStringList vocabularyWords() const override { return m_state.tokenizer.wholeWords(); }

    std::vector<float> preprocess(const RgbImage &image) const override
    {
        const int s = imageSize();
        std::vector<float> out(std::size_t(3) * std::size_t(s) * std::size_t(s));
        const cv::Mat square = resizeShortestCenterCrop(toMat(image), s);
        toChw(square, out.data(), kOwnModelMean, kOwnModelStd);
        return out;
    }

    Matrix encodePreprocessed(const std::vector<float> &batch, int count) override
    {
        const int s = imageSize();
        if (count == 0)
            return Matrix(0, embedDim());
        torch::NoGradGuard noGrad;
        const torch::Tensor input = torch::from_blob(const_cast<float *>(batch.data()), {count, 3, s, s});
        return toMatrix(m_net->image->forward(input));
    }

    Matrix encodeTexts(const QStringList &texts) override
    {
        const int context = m_state.config.text.context;
        if (texts.isEmpty())
            return Matrix(0, embedDim());
        torch::NoGradGuard noGrad;
        torch::Tensor tokens = torch::zeros({qsizetype(texts.size()), context}, torch::kInt64);
        auto acc = tokens.accessor<int64_t, 2>();
        for (int i = 0; i < texts.size(); ++i) {
            const std::vector<int> ids = m_state.tokenizer.encodePadded(texts[i], context);
            for (int j = 0; j < context; ++j)
                acc[i][j] = ids[std::size_t(j)];
        }
        return toMatrix(m_net->text->forward(tokens));
    }

private:
    QString m_source;
    QString m_name;
    QString m_fingerprint;
    CheckpointState m_state;
    SharedSpaceNet m_net{nullptr};
};

}  // namespace

std::unique_ptr<EmbeddingModel> loadCheckpointModel(const QString &file)
{
    return std::make_unique<SharedSpaceModel>(file, QFileInfo(file).absoluteFilePath());
}

bool isCospaceCheckpoint(const QString &file)
{
    // The metadata ({"format": "cospace-checkpoint", ...}) is a string in the archive's data.pkl.
    try {
        caffe2::serialize::PyTorchStreamReader reader(QFile::encodeName(file).toStdString());
        if (!reader.hasRecord("data.pkl"))
            return false;
        const auto [data, size] = reader.getRecord("data.pkl");
        const std::string_view pickle(static_cast<const char *>(data.get()), size);
        return pickle.find("cospace-checkpoint") != std::string_view::npos;
    } catch (const c10::Error &) {   // not a zip archive: not a checkpoint
        return false;
    }
}

std::unique_ptr<EmbeddingModel> loadDefaultModel()
{
    const QString path = defaultModelPath();
    if (path.isEmpty())
        throw std::runtime_error("the bundled default model was not found (set COSPACE_DEFAULT_MODEL, or "
                                 "reinstall Cospace)");
    return std::make_unique<SharedSpaceModel>(path, u"default"_qs);
}

}  // namespace detail

CheckpointInfo readCheckpointInfo(const QString &path)
{
    detail::CheckpointState state;
    detail::SharedSpaceNet net = detail::loadCheckpoint(path, &state);
    CheckpointInfo info;
    info.config = state.config;
    info.epoch = state.epoch;
    info.step = state.step;
    info.bestRsum = state.bestRsum;
    for (const torch::Tensor &p : net->parameters())
        info.parameters += p.numel();
    return info;
}

qint64 countParameters(const SharedSpaceConfig &config, int vocabSize)
{
    detail::SharedSpaceNet net(config, vocabSize);
    qint64 n = 0;
    for (const torch::Tensor &p : net->parameters())
        n += p.numel();
    return n;
}

QString defaultModelPath()
{
    QStringList candidates;
    const QString env = qEnvironmentVariable("COSPACE_DEFAULT_MODEL");
    if (!env.isEmpty())
        candidates << env;
    if (QCoreApplication::instance())
        candidates << QCoreApplication::applicationDirPath() + u"/../share/cospace/models/default.ckpt"_qs;
    candidates << QStringLiteral(COSPACE_SOURCE_DIR "/resources/models/default.ckpt");
    for (const QString &c : candidates)
        if (QFileInfo(c).isFile())
            return QFileInfo(c).absoluteFilePath();
    return {};
}

}  // namespace cospace
