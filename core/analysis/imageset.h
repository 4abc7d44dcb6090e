#pragma once
// The input every analysis command starts from (`cospace-cli clusters|classify|duplicates PATH...`):
// the images under some folders or files, embedded by one model. Embeds what the store lacks first
// (store/embedpipeline.h: incremental, bad files skipped with a reason), then reads the vectors.
//
// Blocks; runs the model on the calling thread (models are not thread-safe). Throws
// std::runtime_error naming the problem (no images under the paths, store errors), JobCancelled.

#include "core/model/embeddingmodel.h"
#include "core/store/embeddingstore.h"
#include "core/store/embedpipeline.h"

#include <QStringList>

namespace cospace {

class JobControl;

struct ImageSet {
    QStringList paths;            // absolute image paths, sorted; row i of vectors
    Matrix vectors;               // unit rows
    QStringList captions;         // stored captions written for these images (a vocabulary source)
    QList<SkippedFile> skipped;   // files the embedding could not read
};

ImageSet embedImageSet(EmbeddingModel &model, EmbeddingStore &store, const QStringList &roots, JobControl *job = nullptr);

// Image vectors that are already at hand (the explorer's workspace): the same struct, rows sorted by path.
ImageSet imageSetOf(const QStringList &paths, const Matrix &vectors, const QStringList &captions = {});

// Non-empty lines of a UTF-8 text file, trimmed ('#' starts a comment line). Throws naming the file.
QStringList readTextLines(const QString &path);

}  // namespace cospace
