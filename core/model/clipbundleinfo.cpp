// Reading a CLIP bundle's cospace-model.json: plain Qt, no Torch, so that the metadata parser can be
// fuzzed and used by tools without LibTorch. The model itself is loaded in clipbundle.cpp.

#include "core/model/clipbundle.h"

#include "core/model/cliptokenizer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

std::array<float, 3> triple(const QJsonValue &v, const QString &what, const QString &file)
{
    const QJsonArray a = v.toArray();
    if (a.size() != 3)
        fail(u"%1: image.%2 must be a list of 3 numbers"_qs.arg(file, what));
    std::array<float, 3> out{};
    for (int i = 0; i < 3; ++i) {
        // A string or a number beyond float range (1e39) would silently become 0 or infinity and
        // turn every embedding into NaN.
        out[std::size_t(i)] = float(a[i].toDouble());
        if (!a[i].isDouble() || !std::isfinite(out[std::size_t(i)]))
            fail(u"%1: image.%2 must be a list of 3 numbers; %3 is not a finite number"_qs.arg(file, what,
                     QString::fromUtf8(QJsonDocument(QJsonArray{a[i]}).toJson(QJsonDocument::Compact)).mid(1).chopped(1)));
    }
    return out;
}

void expectString(const QJsonObject &o, const QString &key, const QString &want, const QString &file,
                  const QString &section)
{
    const QString got = o.value(key).toString(want);
    if (got != want)
        fail(u"%1: %2.%3 \"%4\" is not supported (Cospace implements \"%5\")"_qs.arg(file, section, key, got, want));
}

}  // namespace

bool looksLikeClipBundle(const QString &dir)
{
    return QFileInfo(QDir(dir).filePath(QString::fromLatin1(kClipBundleJson))).isFile();
}

ClipBundleInfo readClipBundleInfo(const QString &dir)
{
    const QDir d(dir);
    const QString jsonFile = QDir::toNativeSeparators(d.filePath(QString::fromLatin1(kClipBundleJson)));
    const QString modelFile = QDir::toNativeSeparators(d.filePath(QString::fromLatin1(kClipBundleModel)));
    if (!QFileInfo(jsonFile).isFile())
        fail(u"%1: not a model bundle: %2 is missing (export one with packaging/export/export_clip.py)"_qs
                 .arg(dir, QString::fromLatin1(kClipBundleJson)));
    if (!QFileInfo(modelFile).isFile())
        fail(u"%1: model bundle is incomplete: %2 is missing"_qs.arg(dir, QString::fromLatin1(kClipBundleModel)));
    QFile f(jsonFile);
    if (!f.open(QIODevice::ReadOnly))
        fail(u"%1: cannot read: %2"_qs.arg(jsonFile, f.errorString()));
    ClipBundleInfo info;
    info.dir = QFileInfo(dir).absoluteFilePath();
    info.json = f.readAll();
    QJsonParseError error;
    const QJsonObject o = QJsonDocument::fromJson(info.json, &error).object();
    if (error.error != QJsonParseError::NoError)
        fail(u"%1: not valid JSON at offset %2: %3"_qs.arg(jsonFile).arg(error.offset).arg(error.errorString()));
    const int format = o.value(u"format"_qs).toInt(-1);
    if (format != kClipBundleFormat)
        fail(u"%1: unknown bundle format %2 (this Cospace reads format %3); re-export with the export_clip.py "
             "that ships with this version"_qs.arg(jsonFile, o.value(u"format"_qs).toVariant().toString())
                 .arg(kClipBundleFormat));
    info.name = o.value(u"name"_qs).toString(QFileInfo(dir).fileName());
    info.embedDim = o.value(u"embed_dim"_qs).toInt();
    info.logitScale = o.value(u"logit_scale"_qs).toDouble(100.0);
    const QJsonObject image = o.value(u"image"_qs).toObject();
    info.image.size = image.value(u"size"_qs).toInt();
    // Bounds keep a hostile file from asking for giant buffers: a batch of 32 images at 1024 px is
    // 400 MB of floats already; CLIP models use 224 to 448.
    if (info.embedDim <= 0 || info.embedDim > 16384 || info.image.size <= 0 || info.image.size > 1024)
        fail(u"%1: embed_dim must be a whole number from 1 to 16384 and image.size one from 1 to 1024"_qs.arg(jsonFile));
    expectString(image, u"resize"_qs, u"shortest"_qs, jsonFile, u"image"_qs);
    expectString(image, u"crop"_qs, u"center"_qs, jsonFile, u"image"_qs);
    expectString(image, u"interpolation"_qs, u"bicubic"_qs, jsonFile, u"image"_qs);
    info.image.mean = triple(image.value(u"mean"_qs), u"mean"_qs, jsonFile);
    info.image.std = triple(image.value(u"std"_qs), u"std"_qs, jsonFile);
    for (float s : info.image.std) {
        if (!(s > 0))
            fail(u"%1: image.std values must be positive"_qs.arg(jsonFile));
    }
    const QJsonObject text = o.value(u"text"_qs).toObject();
    expectString(text, u"tokenizer"_qs, u"clip-bpe"_qs, jsonFile, u"text"_qs);
    const QString vocab = text.value(u"vocab"_qs).toString(u"bpe_simple_vocab_16e6.txt.gz"_qs);
    info.vocabPath = d.absoluteFilePath(vocab);
    if (!QFileInfo(info.vocabPath).isFile())
        fail(u"%1: model bundle is incomplete: the vocabulary %2 named in %3 is missing"_qs.arg(dir, vocab,
                 QString::fromLatin1(kClipBundleJson)));
    info.contextLength = text.value(u"context_length"_qs).toInt(ClipTokenizer::kContextLength);
    info.truncate = text.value(u"truncate"_qs).toBool(true);
    if (info.contextLength < 2 || info.contextLength > 4096)
        fail(u"%1: text.context_length must be between 2 and 4096"_qs.arg(jsonFile));
    return info;
}

}  // namespace cospace
