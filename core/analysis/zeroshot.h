#pragma once
// Zero-shot classification with prompt-template ensembles (Radford et al. 2021, CLIP, section 3.1.4):
// each class name is put into every template ("a photo of a {}."), the unit text embeddings are
// averaged per class and renormalised, and each image gets the class whose embedding is closest,
// with softmax probabilities at CLIP's logit scale. When every image sits in a folder named like a
// class (case-insensitive), accuracy, per-class figures and the confusion matrix come with it.
//
// classEmbeddings() runs the text tower (not thread-safe, like the model); classify() is pure.
// Errors: no classes, a template without "{}", dimension mismatch -> std::invalid_argument.

#include "core/base/matrix.h"

#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QStringList>

#include <optional>

namespace cospace {

class EmbeddingModel;
class JobControl;

// CLIP's learned logit scale ends at its clamp, 100 (= 1 / temperature 0.01): the same scale turns
// cosines into probabilities for every model, so numbers compare across models.
inline constexpr float kZeroShotLogitScale = 100.f;

// The default template set: the two of the issue, CLIP's "a {}." style, and forms that fit icons and
// drawings as well as photos. "{}" alone keeps the bare class name (what caption-trained models saw).
QStringList defaultZeroShotTemplates();

// Class vectors (classes x D): per class the renormalised mean of its templates' unit embeddings.
Matrix classEmbeddings(EmbeddingModel &model, const QStringList &classes, const QStringList &templates,
                       JobControl *job = nullptr);

struct ZeroShotItem {
    int predicted = -1;
    float probability = 0;
    QList<QPair<int, float>> top;   // best classes first, with probabilities
    int truth = -1;                 // the class its folder names, or -1
};

struct ZeroShotResult {
    QStringList classes;
    QStringList paths;              // one per item
    QList<ZeroShotItem> items;
    std::optional<double> accuracy; // only when every image's folder names a class
    QList<QList<int>> confusion;    // [truth][predicted] counts, with accuracy
    struct PerClass { int n = 0, correct = 0, predicted = 0; };
    QList<PerClass> perClass;       // with accuracy
    // {"items": [{"path", "class", "probability", "top": [[class, p], ...]}], "accuracy",
    //  "per_class": {class: {"n", "correct", "accuracy", "precision"}}, "confusion": [[...]]}
    // (the last three only when there is a truth for every image).
    QJsonObject toJson() const;
};

// The class an image's parent folder names (case-insensitive), or -1.
int folderClass(const QString &imagePath, const QStringList &classes);

ZeroShotResult classify(MatrixView images, const QStringList &paths, const QStringList &classes,
                        const Matrix &classVectors, int top = 5);

}  // namespace cospace
