#pragma once
// Which stored vectors a MODEL argument names — the one resolver the CLI commands and the explorer
// share.

#include "core/model/embeddingmodel.h"
#include "core/store/embeddingstore.h"

namespace cospace {

// A fingerprint stored as it is (imported vectors), or a model spec loadModel() understands: its
// fingerprint, from `model` when the caller has loaded it already, else from loading `spec`.
// Throws std::runtime_error saying what to run when the store holds no vectors of that model.
StoredModel resolveStoredModel(const EmbeddingStore &store, const QString &spec, const EmbeddingModel *model = nullptr);

}  // namespace cospace
