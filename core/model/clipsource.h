#pragma once
// Where a CLIP model's files are, given what the user pointed at (no Torch, nothing is read but
// directory listings, config files and the first bytes of the weights):
//   - a weights file (.safetensors, a torch.save .pt/.bin, a TorchScript .pt), with sibling
//     open_clip_config.json / model_config.json (OpenCLIP) or config.json (+
//     preprocessor_config.json, vocab.json, merges.txt: Hugging Face) in its folder;
//   - an OpenCLIP folder (open_clip_config.json + open_clip_model.safetensors or
//     open_clip_pytorch_model.bin) or a Hugging Face CLIPModel folder (config.json +
//     model.safetensors or pytorch_model.bin, or a sharded model.safetensors.index.json).
// The tokenizer is the folder's vocab.json + merges.txt when both are there, otherwise OpenAI's
// BPE vocabulary installed with Cospace (clipVocabularyPath()).
//
// Errors: std::runtime_error naming the path and what is missing or unknown.

#include "core/model/clipconfig.h"

#include <QString>
#include <QStringList>

namespace cospace {

struct ClipSource {
    enum class Format { Safetensors, TorchZip, Unknown };
    QStringList weights;           // one file, or the shards of a sharded safetensors model
    Format format = Format::Unknown;
    QString layout;                // "file", "OpenCLIP folder", "Hugging Face folder"
    ClipConfigSources configs;
    QString hfVocab, hfMerges;     // both set, or both empty (then OpenAI's vocabulary)
    QStringList configFiles;       // every config file read (fingerprint, describe)
};

// True for a folder that holds an OpenCLIP or HF model (not a Cospace bundle).
bool looksLikeClipWeightsFolder(const QString &dir);

// True for a file whose first bytes are a safetensors header or a zip archive.
bool looksLikeWeightsFile(const QString &file);

ClipSource findClipSource(const QString &path);

// OpenAI's bpe_simple_vocab_16e6.txt.gz as installed (share/cospace/models) or in the source tree
// (COSPACE_CLIP_VOCAB overrides); empty when not found.
QString clipVocabularyPath();

}  // namespace cospace
