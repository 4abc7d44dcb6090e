#include "core/projection/layoutcache.h"

#include "core/base/npy.h"
#include "core/base/paths.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>

#include <cmath>

namespace cospace {

namespace {

constexpr int kLayoutCacheVersion = 1;   // bump when a projector's output changes for the same input

QString cacheFolder(const QString &dir)
{
    const QString folder = dir.isEmpty() ? paths::cacheDir() + u"/layouts"_qs : dir;
    QDir().mkpath(folder);
    return folder;
}

}  // namespace

QString layoutCacheKey(const Matrix &vectors, const ProjectionOptions &o)
{
    QCryptographicHash hash(QCryptographicHash::Sha1);
    const QString shape = u"v%1 %2x%3 m%4 s%5 p%6 ee%7/%8 it%9 lr%10 th%11 g%12 nn%13 md%14 sp%15 ep%16 neg%17 init%18"_qs
                              .arg(kLayoutCacheVersion).arg(vectors.rows).arg(vectors.cols).arg(int(o.method))
                              .arg(o.seed).arg(o.perplexity).arg(o.earlyExaggeration).arg(o.earlyExaggerationIterations)
                              .arg(o.tsneIterations).arg(o.learningRate).arg(o.theta).arg(int(o.tsneGradient))
                              .arg(o.nNeighbors).arg(o.minDist).arg(o.spread).arg(o.umapEpochs).arg(o.negativeSampleRate)
                              .arg(o.initial.rows);
    hash.addData(shape.toUtf8());
    hash.addData(QByteArrayView(reinterpret_cast<const char *>(vectors.data.data()), qsizetype(vectors.data.size() * sizeof(float))));
    if (!o.initial.empty())
        hash.addData(QByteArrayView(reinterpret_cast<const char *>(o.initial.data.data()), qsizetype(o.initial.data.size() * sizeof(float))));
    return QString::fromLatin1(hash.result().toHex());
}

std::optional<Matrix> readCachedLayout(const QString &key, int rows, const QString &dir)
{
    const QString path = cacheFolder(dir) + u'/' + key + u".npy"_qs;
    if (!QFile::exists(path))
        return std::nullopt;
    try {
        Matrix layout = readNpy(path);
        if (layout.rows != rows || layout.cols != 2)
            return std::nullopt;
        for (float v : layout.data)
            if (!std::isfinite(v))
                return std::nullopt;
        return layout;
    } catch (const std::exception &) {
        return std::nullopt;   // a torn or foreign file: recompute (and overwrite it)
    }
}

bool writeCachedLayout(const QString &key, const Matrix &layout, const QString &dir)
{
    const QString path = cacheFolder(dir) + u'/' + key + u".npy"_qs;
    const QString temporary = path + u".%1.tmp"_qs.arg(quintptr(&layout), 0, 16);
    try {
        writeNpy(temporary, layout);
    } catch (const std::exception &) {
        QFile::remove(temporary);
        return false;
    }
    QFile::remove(path);
    if (!QFile::rename(temporary, path)) {
        QFile::remove(temporary);
        return false;
    }
    return true;
}

}  // namespace cospace
