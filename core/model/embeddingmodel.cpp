#include "core/model/embeddingmodel.h"

#include "core/model/modelloaders_p.h"

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

}  // namespace cospace
