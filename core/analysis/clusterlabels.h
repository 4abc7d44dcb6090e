#pragma once
// Cluster labels without a language model: every word of a vocabulary goes through the text tower
// once; a cluster is labelled by the words closest to its image centroid *contrasted against the
// other clusters* — score(w, c) = cos(w, mu_c) - mean over c' != c of cos(w, mu_c') — so a word that
// fits every cluster ("photo", "emoji") labels none of them.
//
// Vocabulary: the words of the workspace's captions plus the model's built-in words (CLIP: the BPE
// vocabulary's whole-word entries, most frequent first; Cospace's own models: the learned
// tokenizer's words), without stop words; a user's file replaces both.
//
// encodeVocabulary() runs the text tower (not thread-safe); the rest is pure.

#include "core/analysis/clusters.h"

#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QStringList>

namespace cospace {

class EmbeddingModel;
class JobControl;

inline constexpr int kBuiltInVocabulary = 10000;   // the model's first (most frequent) whole words
inline constexpr int kLabelWords = 5;               // words listed per cluster

// Lower-case words of two or more letters (Unicode letters, "-" and "'" inside), stop words dropped.
QStringList wordsOf(const QString &text);
bool isStopWord(const QString &word);

// Caption words first (in order of first use), then up to `builtIn` of the model's words; no repeats.
QStringList labelVocabulary(const EmbeddingModel &model, const QStringList &captions, int builtIn = kBuiltInVocabulary);

struct Vocabulary {
    QStringList words;
    Matrix vectors;   // words x D, unit rows
};
Vocabulary encodeVocabulary(EmbeddingModel &model, const QStringList &words, JobControl *job = nullptr);

struct ClusterSummary {
    int id = 0;
    QList<int> members;                     // rows
    QString label;                          // the best word ("" without a vocabulary)
    QList<QPair<QString, float>> words;     // best first, with their contrast scores
};

// One summary per cluster of `clustering` (its centroids), in cluster order.
QList<ClusterSummary> labelClusters(const Clustering &clustering, const Vocabulary &vocabulary, int words = kLabelWords);

// {"clusters": [{"id", "size", "label", "words": [[word, score], ...], "members": [path, ...]}]}
QJsonObject clustersJson(const QList<ClusterSummary> &clusters, const QStringList &paths);

}  // namespace cospace
