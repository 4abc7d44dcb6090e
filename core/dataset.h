#pragma once
// A dataset folder: images (recursive) plus one paired captions file, the layout every demo
// generator writes and `cospace-cli train --data` reads:
//   DIR/images/...           the images
//   DIR/captions.tsv         image<TAB>caption rows, paths relative to DIR (or .csv/.jsonl/.json)
// Scanning follows symlinks with loop protection, skips hidden files and folders and returns a
// deterministic (sorted) order. Safe to call from any thread.

#include "core/captionfile.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace cospace {

// Extensions (lower case, no dot) of the image files Cospace reads.
const QStringList &imageExtensions();
bool hasImageExtension(const QString &path);

struct ImageScan {
    QStringList images;          // absolute paths, sorted
    QList<ParseIssue> issues;    // broken links, unreadable folders, symlink loops
};
ImageScan scanImages(const QString &root);

// The captions file of a dataset folder, or an empty string when there is none.
QString findCaptionFile(const QString &datasetDir);

struct Dataset {
    QString root;
    CaptionFile captions;
    int imageCount() const { return captions.distinctImages(); }
};
// Reads the dataset's caption file; a missing caption file is an issue, not an exception.
Dataset openDataset(const QString &dir);

}  // namespace cospace
