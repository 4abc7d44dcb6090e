#pragma once
// A workspace file (*.cospace, JSON): what a user opened, so it can be re-opened.
//   {"format": 1, "name": "...", "folders": [...], "captionFiles": [...], "captions": [...],
//    "model": "default", "method": "umap",   (umap, tsne or pca; see kProjectionMethods)
//    "view": {"zoom": 12.5, "centre": [x, y], "colourBy": "cluster", "selectedImage": "...", "selectedCaption": "..."}}
// Paths are stored relative to the workspace file when they lie below its folder, so a
// workspace can be moved together with its data. save() is atomic (temp file + rename).

#include "core/projection/projection.h"

#include <QString>
#include <QStringList>

namespace cospace {

// How the map was being looked at, restored when the workspace is opened again. Zoom and centre are
// in the map's layout units (the same layout comes back from the layout cache).
struct WorkspaceView {
    double zoom = 0;            // map pixels per layout unit; 0 = fit the map to the window
    double centreX = 0, centreY = 0;
    QString colourBy;           // "modality", "folder", "cluster", "similarity"; empty = modality
    QString selectedImage;      // the selected point: an image path (absolute in memory) ...
    QString selectedCaption;    // ... or a caption's text; both empty = nothing selected
    bool operator==(const WorkspaceView &) const = default;
};

struct Workspace {
    static constexpr int kFormat = 1;

    QString name;
    QStringList folders;        // image folders, absolute
    QStringList captionFiles;   // paired or plain caption files, absolute
    QStringList captions;       // captions typed by the user
    QString model = QStringLiteral("default");
    ProjectionMethod method = ProjectionMethod::Umap;
    WorkspaceView view;         // optional in the file ("view" was added later in format 1)

    // Throws std::runtime_error naming the file and the problem.
    static Workspace load(const QString &path);
    void save(const QString &path) const;

    // A workspace over one dataset folder (dataset.h layout): its images and its caption file.
    static Workspace forDataset(const QString &datasetDir);
};

}  // namespace cospace
