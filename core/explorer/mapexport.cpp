#include "core/explorer/mapexport.h"

#include "core/base/npy.h"

#include <QFileInfo>
#include <QSaveFile>

#include <stdexcept>

namespace cospace {

namespace {

QString csvField(const QString &value)
{
    if (!value.contains(u',') && !value.contains(u'"') && !value.contains(u'\n') && !value.contains(u'\r'))
        return value;
    return u'"' + QString(value).replace(u'"', u"\"\""_qs) + u'"';
}

// The image a point shows or describes: its own path, or a paired caption's image.
QString imagePath(const QList<MapPoint> &points, const MapPoint &p)
{
    if (p.kind == MapPoint::Caption && p.path.isEmpty() && p.partner >= 0 && p.partner < points.size())
        return points[p.partner].path;
    return p.path;
}

QString kindName(const MapPoint &p) { return p.kind == MapPoint::Image ? u"image"_qs : u"caption"_qs; }

void writeAtomically(const QString &path, const QByteArray &bytes)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        throw std::runtime_error(u"%1: cannot write: %2"_qs.arg(path, file.errorString()).toStdString());
}

QByteArray itemsTsv(const QList<MapPoint> &points)
{
    QByteArray tsv = "kind\tpath\tcaption\n";
    for (const MapPoint &p : points) {
        QString caption = p.kind == MapPoint::Caption ? p.text : QString();
        caption.replace(u'\t', u' ').replace(u'\n', u' ').replace(u'\r', u' ');
        tsv += kindName(p).toUtf8() + '\t' + imagePath(points, p).toUtf8() + '\t' + caption.toUtf8() + '\n';
    }
    return tsv;
}

}  // namespace

QString mapPointsCsv(const QList<MapPoint> &points, const QList<int> &indices, const QString &kindColumn)
{
    QString out = kindColumn + u",path,caption,x,y\r\n"_qs;
    auto row = [&](const MapPoint &p) {
        out += u"%1,%2,%3,%4,%5\r\n"_qs.arg(kindName(p), csvField(imagePath(points, p)),
                                             csvField(p.kind == MapPoint::Image ? QString() : p.text))
                   .arg(p.pos.x(), 0, 'g', 9).arg(p.pos.y(), 0, 'g', 9);
    };
    if (indices.isEmpty())
        for (const MapPoint &p : points)
            row(p);
    for (int i : indices)
        if (i >= 0 && i < points.size())
            row(points[i]);
    return out;
}

void writeMapPoints(const QString &path, const QList<MapPoint> &points)
{
    const QFileInfo info(path);
    const QString suffix = info.suffix().toLower();
    if (suffix == u"csv") {
        writeAtomically(path, mapPointsCsv(points).toUtf8());
    } else if (suffix == u"npy") {
        Matrix xy(int(points.size()), 2);
        for (int i = 0; i < points.size(); ++i) {
            xy.at(i, 0) = float(points[i].pos.x());
            xy.at(i, 1) = float(points[i].pos.y());
        }
        writeNpy(path, xy);
        writeAtomically(info.path() + u'/' + info.completeBaseName() + u".tsv"_qs, itemsTsv(points));
    } else {
        throw std::runtime_error(u"%1: write a .csv or a .npy file"_qs.arg(path).toStdString());
    }
}

}  // namespace cospace
