#include "core/model/embeddingmodel.h"

#include "core/model/clipbundle.h"
#include "core/model/clipsource.h"
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

QJsonObject EmbeddingModel::describe() const
{
    return {{u"name"_qs, name()}, {u"source"_qs, source()}, {u"format"_qs, u"unknown"_qs},
            {u"embed_dim"_qs, embedDim()}, {u"image_size"_qs, imageSize()}, {u"fingerprint"_qs, fingerprint()},
            {u"runs_code"_qs, true}};
}

std::unique_ptr<EmbeddingModel> loadModel(const QString &spec)
{
    if (spec == u"default")
        return detail::loadDefaultModel();
    const QFileInfo info(spec);
    if (info.isDir())
        return looksLikeClipBundle(spec) ? detail::loadBundleModel(spec) : detail::loadNativeClipModel(spec);
    if (info.isFile()) {
        // Cospace's own checkpoints keep their loader and its messages, also when broken.
        if (info.suffix() == u"ckpt" || detail::isCospaceCheckpoint(spec) || !looksLikeWeightsFile(spec))
            return detail::loadCheckpointModel(spec);
        return detail::loadNativeClipModel(spec);
    }
    throw std::runtime_error(
        u"%1: no such model (expected \"default\", a checkpoint file, CLIP weights (.safetensors, .pt, .bin), an "
        "OpenCLIP or Hugging Face folder, or a bundle folder)"_qs.arg(spec).toStdString());
}

}  // namespace cospace
