#pragma once
// A workspace file (*.cospace, JSON): what a user opened, so it can be re-opened.
//   {"format": 1, "name": "...", "folders": [...], "captionFiles": [...], "captions": [...],
//    "model": "default", "method": "umap"}
// Paths are stored relative to the workspace file when they lie below its folder, so a
// workspace can be moved together with its data. save() is atomic (temp file + rename).

#include <QString>
#include <QStringList>

namespace cospace {

struct Workspace {
    static constexpr int kFormat = 1;

    QString name;
    QStringList folders;        // image folders, absolute
    QStringList captionFiles;   // paired or plain caption files, absolute
    QStringList captions;       // captions typed by the user
    QString model = QStringLiteral("default");
    QString method = QStringLiteral("umap");

    // Throws std::runtime_error naming the file and the problem.
    static Workspace load(const QString &path);
    void save(const QString &path) const;

    // A workspace over one dataset folder (dataset.h layout): its images and its caption file.
    static Workspace forDataset(const QString &datasetDir);
};

}  // namespace cospace
