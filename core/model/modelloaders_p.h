#pragma once
// Private: the loaders behind loadModel(), one per kind of model, each in its own .cpp.

#include "core/model/embeddingmodel.h"

namespace cospace::detail {

std::unique_ptr<EmbeddingModel> loadBundleModel(const QString &dir);        // clipbundle.cpp
std::unique_ptr<EmbeddingModel> loadCheckpointModel(const QString &file);   // sharedspacemodel.cpp
std::unique_ptr<EmbeddingModel> loadDefaultModel();                         // sharedspacemodel.cpp
// True when `file` is a Cospace checkpoint (a Torch archive whose metadata says so).
bool isCospaceCheckpoint(const QString &file);                              // sharedspacemodel.cpp
// CLIP weights run natively: a weights file or an OpenCLIP / Hugging Face folder.
std::unique_ptr<EmbeddingModel> loadNativeClipModel(const QString &path);   // nativeclipmodel.cpp

}  // namespace cospace::detail
