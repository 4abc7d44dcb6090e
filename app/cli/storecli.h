#pragma once
// Helpers shared by the store commands (embed, search, export, import).

#include "core/store/embeddingstore.h"
#include "core/store/storedmodel.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <memory>

namespace cospace::cli {

QCommandLineOption storeOption();                 // --store FILE (default: the XDG data folder)
QString storePath(const QCommandLineParser &parser, const QCommandLineOption &store);

}  // namespace cospace::cli
