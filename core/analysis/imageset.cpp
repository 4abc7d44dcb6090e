#include "core/analysis/imageset.h"

#include "core/base/job.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace cospace {

namespace {

bool underAny(const QString &path, const QStringList &roots)
{
    for (const QString &root : roots)
        if (path == root || path.startsWith(root + u'/'))
            return true;
    return false;
}

}  // namespace

ImageSet imageSetOf(const QStringList &paths, const Matrix &vectors, const QStringList &captions)
{
    if (vectors.rows != paths.size())
        throw std::invalid_argument("imageSetOf: one vector per path is required");
    std::vector<int> order(std::size_t(paths.size()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return paths[a] < paths[b]; });
    ImageSet set;
    set.vectors = Matrix(vectors.rows, vectors.cols);
    for (std::size_t i = 0; i < order.size(); ++i) {
        set.paths << paths[order[i]];
        std::copy_n(vectors.row(order[i]), vectors.cols, set.vectors.row(int(i)));
    }
    set.captions = captions;
    return set;
}

ImageSet embedImageSet(EmbeddingModel &model, EmbeddingStore &store, const QStringList &roots, JobControl *job)
{
    QStringList clean;
    for (const QString &root : roots) {
        const QFileInfo info(root);
        if (!info.exists())
            throw std::runtime_error(QStringLiteral("%1: no such file or folder").arg(root).toStdString());
        clean << QDir::cleanPath(info.absoluteFilePath());
    }
    EmbedParams params;
    params.roots = clean;
    params.dropMissing = true;
    ImageSet set;
    set.skipped = runEmbedding(model, store, params, job).skipped;
    const qint64 modelId = store.ensureModel(model.fingerprint(), model.name(), model.embedDim());
    const StoredSet all = store.load(modelId);
    QStringList paths;
    Matrix vectors(0, all.vectors.cols);
    for (int i = 0; i < all.items.size(); ++i) {
        const StoredItem &item = all.items[i];
        if (!underAny(item.path, clean))
            continue;
        if (item.modality == Modality::Caption) {
            set.captions << item.caption;
            continue;
        }
        paths << item.path;
        vectors.data.insert(vectors.data.end(), all.vectors.row(i), all.vectors.row(i) + all.vectors.cols);
        ++vectors.rows;
    }
    if (paths.isEmpty())
        throw std::runtime_error(QStringLiteral("no images under %1").arg(roots.join(u", ")).toStdString());
    ImageSet sorted = imageSetOf(paths, vectors, set.captions);
    sorted.skipped = set.skipped;
    return sorted;
}

QStringList readTextLines(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw std::runtime_error(QStringLiteral("%1: cannot read: %2").arg(path, file.errorString()).toStdString());
    QStringList lines;
    for (const QString &line : QString::fromUtf8(file.readAll()).split(u'\n')) {
        const QString t = line.trimmed();
        if (!t.isEmpty() && !t.startsWith(u'#'))
            lines << t;
    }
    return lines;
}

}  // namespace cospace
