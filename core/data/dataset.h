#pragma once
// A dataset folder: images (recursive) plus one paired captions file, the layout every demo
// generator writes and `cospace-cli train --data` reads:
//   DIR/images/...           the images
//   DIR/captions.tsv         image<TAB>caption rows, paths relative to DIR (or .csv/.jsonl/.json)
// Scanning follows symlinks with loop protection, skips hidden files and folders and returns a
// deterministic (sorted) order. Safe to call from any thread.

#include "core/data/captionfile.h"
#include "core/base/limits.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace cospace {

// Extensions (lower case, no dot) of the image files Cospace reads.
const QStringList &imageExtensions();
bool hasImageExtension(const QString &path);

struct ImageScan {
    QStringList images;          // absolute paths, sorted (shard items "SHARD#KEY", shards.h)
    QList<ParseIssue> issues;    // broken links, unreadable folders, symlink loops, the limit below,
                                 // hostile or damaged shard members
    bool truncated = false;      // more than maxFiles images: `images` holds the first maxFiles
    QStringList shards;          // the shard files read, absolute, sorted
    QList<CaptionRow> shardCaptions;   // the captions inside those shards (image = the item path)
    QList<ParseIssue> notices;   // shard captions cut at max-caption-chars
};
// At most `maxFiles` images (default: limits().maxFilesPerFolder), the first by sorted path; when
// there are more, `truncated` is set and an issue on the root says how many were left out.
// `root` may be a folder, an image file, a shard (.tar) or a brace pattern of shards
// ("shards/{00000..00099}.tar"); shards inside a folder are read too (shards.h).
ImageScan scanImages(const QString &root, std::int64_t maxFiles = limits().maxFilesPerFolder);

// The captions file of a dataset folder, or an empty string when there is none.
QString findCaptionFile(const QString &datasetDir);

struct Dataset {
    QString root;
    CaptionFile captions;
    int imageCount() const { return captions.distinctImages(); }
};
// Reads the dataset's caption file; a missing caption file is an issue, not an exception. A folder
// of WebDataset shards (no captions file, .tar files) gives the captions inside the shards.
Dataset openDataset(const QString &dir);

}  // namespace cospace
