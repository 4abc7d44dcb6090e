#pragma once
// Private to clipconfig*.cpp: the config readers that inferClipConfig() applies over the shapes.

#include "core/model/clipconfig.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <functional>

namespace cospace {

// open_clip_config.json ({"model_cfg", "preprocess_cfg"}) or a bare OpenCLIP model config.
void applyOpenClipConfig(const QString &file, const QJsonObject &root, ClipConfig &c);
// transformers' CLIPConfig (config.json).
void applyHuggingFaceConfig(const QString &file, const QJsonObject &root, ClipConfig &c);
// transformers' CLIPImageProcessor settings (preprocessor_config.json).
void applyHfPreprocessor(const QString &file, const QJsonObject &root, ClipConfig &c);

}  // namespace cospace
