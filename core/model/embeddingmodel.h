#pragma once
// The one interface every image-text model in Cospace implements: a model trained in Cospace
// (a checkpoint file), CLIP weights run by Cospace's own towers (a safetensors / torch.save /
// TorchScript file, or an OpenCLIP or Hugging Face folder), an external CLIP-compatible
// TorchScript bundle (a folder), and the bundled default model (the word "default").
//
// Outputs are always L2-normalised, one row per input. Implementations are NOT thread-safe:
// serialise calls on one instance (one worker thread owns it). Errors are std::runtime_error
// with a message a user can act on ("model.pt: ... re-export with torch 1.13").

#include "core/base/matrix.h"
#include "core/data/rgbimage.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

namespace cospace {

class EmbeddingModel
{
public:
    virtual ~EmbeddingModel() = default;

    virtual QString name() const = 0;          // shown to the user
    virtual QString source() const = 0;        // where it was loaded from (path or "default")
    // Identifies the weights and preprocessing: stored embeddings are keyed by it.
    virtual QString fingerprint() const = 0;
    virtual int embedDim() const = 0;
    virtual int imageSize() const = 0;         // square input side the image tower expects

    // Preprocessing of one image into the model's input, CHW float of imageSize()^2 * 3 values.
    // Pure and thread-safe (worker threads call it while another thread runs the model).
    virtual std::vector<float> preprocess(const RgbImage &image) const = 0;
    // Runs the image tower on `count` preprocessed images laid end to end.
    virtual Matrix encodePreprocessed(const std::vector<float> &batch, int count) = 0;
    virtual Matrix encodeTexts(const QStringList &texts) = 0;
    // Whole words the text tower's tokenizer knows, most frequent first where it keeps an order (CLIP:
    // the BPE vocabulary's whole-word entries; Cospace's own models: the learned tokenizer's words).
    // A built-in vocabulary for labelling clusters (analysis/clusterlabels.h). Default: none.
    virtual QStringList vocabularyWords() const { return {}; }

    // What the model is, for `cospace-cli info` and tooltips: at least "name", "source",
    // "format", "embed_dim", "image_size", "fingerprint" and "runs_code" (whether loading it
    // runs code from the file: TorchScript bundles and checkpoints do, weights files do not).
    // Cheap: never runs a tower.
    virtual QJsonObject describe() const;

    Matrix encodeImages(const std::vector<RgbImage> &images);
};

// Loads "default"; a Cospace checkpoint file (*.ckpt); CLIP weights: a .safetensors file, a
// torch.save .pt / .bin (state dict or OpenCLIP training checkpoint), a TorchScript .pt (its
// parameters only), an OpenCLIP folder (open_clip_config.json + weights) or a Hugging Face
// CLIPModel folder (config.json + weights); or a bundle folder (model.pt + cospace-model.json).
// Throws std::runtime_error naming the path and what is wrong.
std::unique_ptr<EmbeddingModel> loadModel(const QString &spec);

}  // namespace cospace
