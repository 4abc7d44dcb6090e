#pragma once
// Cached 2-D layouts, so reopening a workspace with the same items, model and method shows its map
// at once instead of re-running t-SNE/UMAP. The key is a SHA-1 over the input vectors (which fixes
// the items, their order and the model that embedded them), the projection options that shape the
// layout (method, seed, perplexity, neighbours, ...) and a format version. A file is
// paths::cacheDir()/layouts/KEY.npy (N x 2 float32); deleting the folder is always safe.
// Functions are reentrant; concurrent writers of one key are safe (temporary file + rename).

#include "core/base/matrix.h"
#include "core/base/rowblocks.h"
#include "core/projection/projection.h"

#include <QString>

#include <optional>

namespace cospace {

QString layoutCacheKey(const Matrix &vectors, const ProjectionOptions &options);
// The same key for rows kept in blocks (a workspace's mapped images and captions): the blocks' rows in
// order are hashed as one stream, so the key does not depend on how the rows are split.
QString layoutCacheKey(const RowBlocks &vectors, const ProjectionOptions &options);

// `dir` empty = the default folder above. A missing, unreadable or wrong-sized file yields nullopt.
std::optional<Matrix> readCachedLayout(const QString &key, int rows, const QString &dir = {});
// Best effort: returns false (and leaves no partial file) if the layout could not be written.
bool writeCachedLayout(const QString &key, const Matrix &layout, const QString &dir = {});

}  // namespace cospace
