#pragma once
// CLIP-compatible model bundles: a folder with model.pt (TorchScript with encode_image and
// encode_text), cospace-model.json (format 1, sizes, preprocessing, tokenizer) and the BPE
// vocabulary it names. packaging/export/export_clip.py writes them; loadModel(folder) loads them
// through detail::loadBundleModel (clipbundle.cpp), which checks the archive on a one-item probe.
//
// Trust: model.pt is TorchScript, i.e. code. Load only bundles you trust.
// Errors: std::runtime_error whose message names the file and says what to do.

#include "core/model/clippreprocess.h"

#include <QByteArray>
#include <QString>

namespace cospace {

inline constexpr int kClipBundleFormat = 1;
inline constexpr char kClipBundleJson[] = "cospace-model.json";
inline constexpr char kClipBundleModel[] = "model.pt";

struct ClipBundleInfo {
    QString dir;
    QString name;
    int embedDim = 0;
    ClipImageConfig image;
    QString vocabPath;        // absolute
    int contextLength = 77;
    bool truncate = true;
    double logitScale = 100.0;
    QByteArray json;          // the file's bytes (part of the fingerprint)
};

// True when `dir` has a cospace-model.json (whether or not it is valid).
bool looksLikeClipBundle(const QString &dir);

// Reads and validates cospace-model.json and checks that model.pt and the vocabulary exist.
// Does not load the model (cheap: the tokenizer CLI uses it).
ClipBundleInfo readClipBundleInfo(const QString &dir);

}  // namespace cospace
