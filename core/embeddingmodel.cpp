#include "core/embeddingmodel.h"

#include "core/modelloaders_p.h"

#include <QFileInfo>

#include <stdexcept>

namespace cospace {

Matrix EmbeddingModel::encodeImages(const std::vector<RgbImage> &images)
{
    std::vector<float> batch;
    const std::size_t per = std::size_t(imageSize()) * std::size_t(imageSize()) * 3;
    batch.reserve(per * images.size());
    for (const RgbImage &image : images) {
        const std::vector<float> one = preprocess(image);
        batch.insert(batch.end(), one.begin(), one.end());
    }
    return encodePreprocessed(batch, int(images.size()));
}

std::unique_ptr<EmbeddingModel> loadModel(const QString &spec)
{
    if (spec == u"default")
        return detail::loadDefaultModel();
    const QFileInfo info(spec);
    if (info.isDir())
        return detail::loadBundleModel(spec);
    if (info.isFile())
        return detail::loadCheckpointModel(spec);
    throw std::runtime_error(
        u"%1: no such model (expected \"default\", a checkpoint file or a bundle folder)"_qs.arg(spec).toStdString());
}

namespace detail {

// Placeholders until the loaders land (issues 3 and 4); each is replaced by its own .cpp.
std::unique_ptr<EmbeddingModel> loadBundleModel(const QString &dir)
{
    throw std::runtime_error(u"%1: model bundles are not supported yet"_qs.arg(dir).toStdString());
}

}  // namespace detail
}  // namespace cospace
