#include "core/data/dataset.h"

#include "core/data/shards.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QSet>

#include <algorithm>

namespace cospace {

const QStringList &imageExtensions()
{
    static const QStringList extensions{u"jpg"_qs, u"jpeg"_qs, u"png"_qs, u"webp"_qs, u"bmp"_qs,
                                        u"tif"_qs, u"tiff"_qs, u"gif"_qs, u"heic"_qs, u"heif"_qs, u"hif"_qs,
                                        u"avif"_qs};
    return extensions;
}

bool hasImageExtension(const QString &path)
{
    return imageExtensions().contains(QFileInfo(path).suffix().toLower());
}

namespace {

// A shard's items and captions (from its cached index when it did not change).
void addShard(const QString &shard, ImageScan &out)
{
    const std::shared_ptr<const ShardIndex> index = shardIndex(shard);
    out.shards << index->path;
    out.issues += index->issues;
    out.notices += index->notices;
    for (const ShardItem &item : index->items) {
        const QString path = shardItemPath(index->path, item.key);
        out.images << path;
        if (!item.caption.isEmpty())
            out.shardCaptions.append({path, item.caption, 0});
    }
}

void scanFolder(const QString &dir, QSet<QString> &visited, ImageScan &out)
{
    const QString canonical = QFileInfo(dir).canonicalFilePath();
    if (canonical.isEmpty() || visited.contains(canonical)) {
        if (!canonical.isEmpty())
            out.issues.append({dir, 0, u"symlink loop: already scanned as %1"_qs.arg(canonical)});
        return;
    }
    visited.insert(canonical);
    const QDir folder(dir);
    if (!folder.isReadable()) {
        out.issues.append({dir, 0, u"folder is not readable"_qs});
        return;
    }
    const QFileInfoList entries = folder.entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System,
                                                       QDir::Name);
    for (const QFileInfo &entry : entries) {
        if (entry.fileName().startsWith(u'.'))
            continue;
        if (entry.isSymLink() && !entry.exists()) {
            if (hasImageExtension(entry.fileName()))
                out.issues.append({entry.absoluteFilePath(), 0, u"broken link"_qs});
            continue;
        }
        if (entry.isDir())
            scanFolder(entry.absoluteFilePath(), visited, out);
        else if (entry.isFile() && hasImageExtension(entry.fileName()))
            out.images.append(entry.absoluteFilePath());
        else if (entry.isFile() && isShardFile(entry.fileName()))
            addShard(entry.absoluteFilePath(), out);
    }
}

}  // namespace

ImageScan scanImages(const QString &root, std::int64_t maxFiles)
{
    ImageScan out;
    QSet<QString> visited;
    const QFileInfo info(root);
    if (isShardPattern(root) || (info.isFile() && isShardFile(root))) {
        for (const QString &shard : shardFilesOf(root, &out.issues))
            addShard(shard, out);
    } else if (info.isFile()) {
        out.images.append(info.absoluteFilePath());
        return out;
    } else if (!info.isDir()) {
        out.issues.append({root, 0, u"no such folder"_qs});
        return out;
    } else {
        scanFolder(info.absoluteFilePath(), visited, out);
    }
    std::sort(out.images.begin(), out.images.end());
    std::sort(out.shards.begin(), out.shards.end());
    if (maxFiles >= 0 && out.images.size() > maxFiles) {
        out.issues.append({info.absoluteFilePath(), 0,
                           u"%1 image files, more than the limit of %2 per folder: only the first %2 by name are used "
                           "(setting max-files-per-folder)"_qs.arg(out.images.size()).arg(maxFiles)});
        out.images.resize(qsizetype(maxFiles));
        out.truncated = true;
    }
    return out;
}

QString findCaptionFile(const QString &datasetDir)
{
    const QDir dir(datasetDir);
    for (const char *name : {"captions.tsv", "captions.csv", "captions.jsonl", "captions.json", "captions.txt"}) {
        const QString path = dir.absoluteFilePath(QString::fromLatin1(name));
        if (QFileInfo(path).isFile())
            return path;
    }
    return {};
}

Dataset openDataset(const QString &dir)
{
    Dataset dataset;
    dataset.root = QFileInfo(dir).absoluteFilePath();
    const QString captions = findCaptionFile(dir);
    if (captions.isEmpty() && (isShardPattern(dir) || !shardFilesOf(dir).isEmpty())) {
        dataset.captions = readShardCaptions(dir);
        return dataset;
    }
    if (captions.isEmpty()) {
        dataset.captions.path = dataset.root;
        dataset.captions.issues.append({dataset.root, 0,
                                        u"no captions file (expected captions.tsv, .csv, .jsonl or .json)"_qs});
        return dataset;
    }
    dataset.captions = readCaptionFile(captions);
    return dataset;
}

}  // namespace cospace
