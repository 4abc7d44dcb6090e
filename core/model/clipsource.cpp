// Finding a CLIP model's files (clipsource.h). Qt only.

#include "core/model/clipsource.h"

#include "core/model/safetensors.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

constexpr char kOpenClipConfig[] = "open_clip_config.json";
constexpr char kModelConfig[] = "model_config.json";
constexpr char kHfConfig[] = "config.json";

QByteArray head(const QString &file, qint64 n)
{
    QFile f(file);
    return f.open(QIODevice::ReadOnly) ? f.read(n) : QByteArray();
}

QJsonObject readJson(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        fail(u"%1: cannot read: %2"_qs.arg(file, f.errorString()));
    if (f.size() > 16 * 1024 * 1024)
        fail(u"%1: too large for a config file"_qs.arg(file));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        fail(u"%1: not a JSON object (%2 at offset %3)"_qs.arg(file, error.errorString()).arg(error.offset));
    return doc.object();
}

// config.json is a common name: only transformers' model configs count.
bool isHfConfig(const QJsonObject &o)
{
    return o.contains(u"vision_config"_qs) || o.contains(u"text_config"_qs) || o.contains(u"model_type"_qs)
        || o.contains(u"vision_config_dict"_qs);
}

ClipSource::Format formatOf(const QString &file)
{
    const QByteArray h = head(file, 16);
    if (looksLikeSafetensors(h, QFileInfo(file).size()))
        return ClipSource::Format::Safetensors;
    if (h.startsWith("PK\x03\x04"))
        return ClipSource::Format::TorchZip;
    return ClipSource::Format::Unknown;
}

// The one weights file of a folder, preferring the names the model hubs use.
QString weightsIn(const QDir &dir, const QStringList &preferred)
{
    for (const QString &name : preferred)
        if (QFileInfo(dir.filePath(name)).isFile())
            return dir.filePath(name);
    const QStringList found = dir.entryList({u"*.safetensors"_qs, u"*.bin"_qs, u"*.pt"_qs, u"*.pth"_qs}, QDir::Files, QDir::Name);
    if (found.size() == 1)
        return dir.filePath(found.first());
    if (found.isEmpty())
        fail(u"%1: holds a model config but no weights (%2)"_qs.arg(dir.path(), preferred.join(u", "_qs)));
    fail(u"%1: holds several weight files (%2); point Cospace at the one to use"_qs.arg(dir.path(), found.join(u", "_qs)));
}

// Shards listed by model.safetensors.index.json ({"weight_map": {tensor: file}}).
QStringList shardsOf(const QString &index)
{
    const QJsonObject map = readJson(index).value(u"weight_map"_qs).toObject();
    QStringList files;
    for (auto it = map.begin(); it != map.end(); ++it) {
        const QString f = QFileInfo(index).dir().filePath(QFileInfo(it.value().toString()).fileName());
        if (!files.contains(f))
            files << f;
    }
    if (files.isEmpty())
        fail(u"%1: lists no weight files"_qs.arg(index));
    for (const QString &f : files)
        if (!QFileInfo(f).isFile())
            fail(u"%1: the shard %2 it lists is missing"_qs.arg(index, QFileInfo(f).fileName()));
    return files;
}

void readSiblings(const QDir &dir, ClipSource &s)
{
    for (const char *name : {kOpenClipConfig, kModelConfig}) {
        const QString f = dir.filePath(QLatin1String(name));
        if (QFileInfo(f).isFile()) {
            s.configs.openClip = readJson(f);
            s.configs.openClipFile = f;
            s.configFiles << f;
            break;
        }
    }
    const QString hf = dir.filePath(QLatin1String(kHfConfig));
    if (s.configs.openClip.isEmpty() && QFileInfo(hf).isFile()) {
        const QJsonObject o = readJson(hf);
        if (isHfConfig(o)) {
            s.configs.huggingFace = o;
            s.configs.huggingFaceFile = hf;
            s.configFiles << hf;
            const QString pre = dir.filePath(u"preprocessor_config.json"_qs);
            if (QFileInfo(pre).isFile()) {
                s.configs.hfPreprocessor = readJson(pre);
                s.configs.hfPreprocessorFile = pre;
                s.configFiles << pre;
            }
        }
    }
    const QString vocab = dir.filePath(u"vocab.json"_qs), merges = dir.filePath(u"merges.txt"_qs);
    if (QFileInfo(vocab).isFile() && QFileInfo(merges).isFile()) {
        s.hfVocab = vocab;
        s.hfMerges = merges;
    }
}

}  // namespace

bool looksLikeClipWeightsFolder(const QString &dir)
{
    const QDir d(dir);
    if (QFileInfo(d.filePath(QLatin1String(kOpenClipConfig))).isFile() || QFileInfo(d.filePath(QLatin1String(kModelConfig))).isFile())
        return true;
    const QString hf = d.filePath(QLatin1String(kHfConfig));
    if (!QFileInfo(hf).isFile())
        return false;
    QFile f(hf);
    return f.open(QIODevice::ReadOnly) && f.size() < 16 * 1024 * 1024 && isHfConfig(QJsonDocument::fromJson(f.readAll()).object());
}

bool looksLikeWeightsFile(const QString &file)
{
    // A pickle (protocol 2) at the start is torch.save's legacy format: findClipSource says so.
    return formatOf(file) != ClipSource::Format::Unknown || head(file, 2) == QByteArrayView("\x80\x02");
}

ClipSource findClipSource(const QString &path)
{
    ClipSource s;
    const QFileInfo info(path);
    if (info.isDir()) {
        const QDir dir(info.absoluteFilePath());
        readSiblings(dir, s);
        if (!s.configs.openClip.isEmpty()) {
            s.layout = u"OpenCLIP folder"_qs;
            s.weights << weightsIn(dir, {u"open_clip_model.safetensors"_qs, u"open_clip_pytorch_model.bin"_qs});
        } else if (!s.configs.huggingFace.isEmpty()) {
            s.layout = u"Hugging Face folder"_qs;
            if (QFileInfo(dir.filePath(u"model.safetensors.index.json"_qs)).isFile() && !QFileInfo(dir.filePath(u"model.safetensors"_qs)).isFile())
                s.weights = shardsOf(dir.filePath(u"model.safetensors.index.json"_qs));
            else
                s.weights << weightsIn(dir, {u"model.safetensors"_qs, u"pytorch_model.bin"_qs});
        } else {
            fail(u"%1: not a model folder: cospace-model.json is missing (a Cospace bundle has one), and so are "
                 "open_clip_config.json (OpenCLIP) and config.json (Hugging Face)"_qs.arg(path));
        }
    } else if (info.isFile()) {
        s.layout = u"file"_qs;
        s.weights << info.absoluteFilePath();
        readSiblings(info.absoluteDir(), s);
    } else {
        fail(u"%1: no such file or folder"_qs.arg(path));
    }
    s.format = formatOf(s.weights.first());
    for (const QString &w : s.weights) {
        if (formatOf(w) != s.format || s.format == ClipSource::Format::Unknown) {
            const QByteArray h = head(w, 4);
            if (h.startsWith("\x80\x02") || h.startsWith("\x80\x04"))
                fail(u"%1: a torch.save file in the legacy format (PyTorch before 1.6); re-save it with a current "
                     "torch.save"_qs.arg(w));
            fail(u"%1: not a weights file Cospace reads (safetensors, or a PyTorch zip archive: torch.save or "
                 "TorchScript)"_qs.arg(w));
        }
    }
    return s;
}

QString clipVocabularyPath()
{
    QStringList candidates;
    const QString env = qEnvironmentVariable("COSPACE_CLIP_VOCAB");
    if (!env.isEmpty())
        candidates << env;
    if (QCoreApplication::instance())
        candidates << QCoreApplication::applicationDirPath() + u"/../share/cospace/models/bpe_simple_vocab_16e6.txt.gz"_qs;
    candidates << QStringLiteral(COSPACE_SOURCE_DIR "/resources/models/bpe_simple_vocab_16e6.txt.gz");
    for (const QString &c : candidates)
        if (QFileInfo(c).isFile())
            return QFileInfo(c).absoluteFilePath();
    return {};
}

}  // namespace cospace
