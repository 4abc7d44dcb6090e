#pragma once
// Private: the loaders behind loadModel(), one per kind of model, each in its own .cpp.

#include "core/model/embeddingmodel.h"

namespace cospace::detail {

std::unique_ptr<EmbeddingModel> loadBundleModel(const QString &dir);        // clipbundle.cpp
std::unique_ptr<EmbeddingModel> loadCheckpointModel(const QString &file);   // sharedspacemodel.cpp
std::unique_ptr<EmbeddingModel> loadDefaultModel();                         // sharedspacemodel.cpp

}  // namespace cospace::detail
