#include "core/explorer/workspace.h"

#include "core/data/dataset.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &path, const QString &message)
{
    throw std::runtime_error(u"%1: %2"_qs.arg(path, message).toStdString());
}

QJsonArray toRelative(const QStringList &paths, const QDir &base)
{
    QJsonArray out;
    for (const QString &p : paths) {
        const QString rel = base.relativeFilePath(p);
        out.append(rel.startsWith(u"../"_qs) ? QDir::cleanPath(p) : rel);
    }
    return out;
}

QStringList fromRelative(const QJsonValue &value, const QDir &base, const QString &path, const char *key)
{
    if (value.isUndefined())
        return {};
    if (!value.isArray())
        fail(path, u"\"%1\" must be an array of strings"_qs.arg(QLatin1String(key)));
    QStringList out;
    for (const QJsonValue &v : value.toArray()) {
        if (!v.isString())
            fail(path, u"\"%1\" must be an array of strings"_qs.arg(QLatin1String(key)));
        out << QDir::cleanPath(base.absoluteFilePath(v.toString()));
    }
    return out;
}

}  // namespace

Workspace Workspace::load(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        fail(path, u"cannot open: %1"_qs.arg(file.errorString()));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.read(16 << 20), &error);
    if (error.error != QJsonParseError::NoError)
        fail(path, u"not a workspace file (%1 at byte %2)"_qs.arg(error.errorString()).arg(error.offset));
    const QJsonObject o = doc.object();
    const int format = o.value(u"format"_qs).toInt(-1);
    if (format != kFormat)
        fail(path, u"unsupported workspace format %1 (this version reads %2)"_qs.arg(format).arg(kFormat));
    const QDir base = QFileInfo(path).absoluteDir();
    Workspace w;
    w.name = o.value(u"name"_qs).toString(QFileInfo(path).completeBaseName());
    w.folders = fromRelative(o.value(u"folders"_qs), base, path, "folders");
    w.captionFiles = fromRelative(o.value(u"captionFiles"_qs), base, path, "captionFiles");
    for (const QJsonValue &v : o.value(u"captions"_qs).toArray())
        w.captions << v.toString();
    w.model = o.value(u"model"_qs).toString(w.model);
    if (const QJsonValue method = o.value(u"method"_qs); !method.isUndefined()) {
        const std::optional<ProjectionMethod> m = kProjectionMethods.parse(method.toString());
        if (!m)
            fail(path, u"unknown projection method '%1' (%2)"_qs.arg(method.toString(), kProjectionMethods.choices()));
        w.method = *m;
    }
    const QJsonObject view = o.value(u"view"_qs).toObject();
    w.view.zoom = std::max(0.0, view.value(u"zoom"_qs).toDouble());
    const QJsonArray centre = view.value(u"centre"_qs).toArray();
    w.view.centreX = centre.at(0).toDouble();
    w.view.centreY = centre.at(1).toDouble();
    w.view.colourBy = view.value(u"colourBy"_qs).toString();
    const QString image = view.value(u"selectedImage"_qs).toString();
    w.view.selectedImage = image.isEmpty() ? QString() : QDir::cleanPath(base.absoluteFilePath(image));
    w.view.selectedCaption = view.value(u"selectedCaption"_qs).toString();
    return w;
}

void Workspace::save(const QString &path) const
{
    const QDir base = QFileInfo(path).absoluteDir();
    QJsonObject o{{u"format"_qs, kFormat},
                  {u"name"_qs, name},
                  {u"folders"_qs, toRelative(folders, base)},
                  {u"captionFiles"_qs, toRelative(captionFiles, base)},
                  {u"captions"_qs, QJsonArray::fromStringList(captions)},
                  {u"model"_qs, model},
                  {u"method"_qs, kProjectionMethods.name(method)}};
    if (view != WorkspaceView{}) {
        QJsonObject v{{u"zoom"_qs, view.zoom},
                      {u"centre"_qs, QJsonArray{view.centreX, view.centreY}},
                      {u"colourBy"_qs, view.colourBy}};
        if (!view.selectedImage.isEmpty())
            v.insert(u"selectedImage"_qs, toRelative({view.selectedImage}, base).first());
        if (!view.selectedCaption.isEmpty())
            v.insert(u"selectedCaption"_qs, view.selectedCaption);
        o.insert(u"view"_qs, v);
    }
    QSaveFile file(path);
    const QByteArray bytes = QJsonDocument(o).toJson();
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        fail(path, u"cannot save: %1"_qs.arg(file.errorString()));
}

Workspace Workspace::forDataset(const QString &datasetDir)
{
    Workspace w;
    const QFileInfo info(datasetDir);
    w.name = info.fileName();
    const QString images = QDir(info.absoluteFilePath()).absoluteFilePath(u"images"_qs);
    w.folders << (QFileInfo(images).isDir() ? images : info.absoluteFilePath());
    const QString captions = findCaptionFile(datasetDir);
    if (!captions.isEmpty())
        w.captionFiles << captions;
    return w;
}

}  // namespace cospace
