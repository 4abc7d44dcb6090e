#pragma once
// Helpers shared by the store commands (embed, search, export, import).

#include "core/store/embeddingstore.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <memory>

namespace cospace::cli {

QCommandLineOption storeOption();                 // --store FILE (default: the XDG data folder)
QString storePath(const QCommandLineParser &parser, const QCommandLineOption &store);

// The stored model that MODEL names: a fingerprint stored as-is (imported vectors) or a model
// spec loadModel() understands. Throws with a message saying what to run when there is none.
StoredModel resolveStoredModel(const EmbeddingStore &store, const QString &spec);

}  // namespace cospace::cli
