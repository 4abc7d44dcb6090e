#pragma once
// WebDataset / img2dataset shards as image sources, read in place (never extracted to disk).
//
// A shard is a tar file (.tar; .tar.gz / .tgz are read too, but reaching one member of a
// compressed shard means streaming up to it). Its members are grouped by key, the member name up
// to the first '.' of its file name ("part/000123.jpg" -> key "part/000123", extension "jpg"). A
// key with an image member (any extension of imageExtensions()) is an item, named
//     SHARD#KEY          e.g. /data/shards/00007.tar#000123
// (SHARD absolute). Its caption is KEY.txt (the whole text) or KEY.json's "caption" string.
//
// Sources: a shard file, a folder holding shards (recursively, as scanImages() walks folders), or
// a brace pattern "shards/{00000..00099}.tar" (also "{a,b}", several braces).
//
// Indexing is one streaming pass with libarchive: headers, caption members read, image members
// skipped (a seek in an uncompressed tar). Each index is cached by the shard's absolute path,
// size and mtime, in memory and in cacheDir()/shards/ (core/base/paths.h): a shard whose size
// and mtime did not change is not read again. Hostile members — '..' or absolute names, links,
// devices, members running past the end of the file, oversized captions, duplicate keys — are
// left out with an issue naming the shard and member; a damaged tar keeps the items read before
// the damage, with an issue. Nothing here throws.
//
// Thread-safe: every function may be called from any thread (the caches are locked).

#include "core/data/captionfile.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

namespace cospace {

struct ShardItem {
    QString key;
    QString imageMember;      // the member holding the image ("part/000123.jpg")
    qint64 offset = -1;       // its data's byte offset in the file; -1 in a compressed shard
    qint64 size = 0;          // bytes
    qint64 mtimeMs = 0;       // the member's mtime (ms since the epoch)
    QString caption;          // from KEY.txt or KEY.json; empty when there is none
};

struct ShardIndex {
    QString path;             // absolute
    qint64 fileSize = -1;
    qint64 fileMtimeMs = -1;
    bool compressed = false;  // members are reached by streaming, not by offset
    QList<ShardItem> items;   // in member order
    QList<ParseIssue> issues; // file = the shard (or SHARD#member), line 0
    QList<ParseIssue> notices;// captions cut at max-caption-chars
    QHash<QString, int> byKey;
};

// "x.tar", "x.tar.gz", "x.tgz" (by name).
bool isShardFile(const QString &path);
// A brace pattern naming shard files ("dir/{000..009}.tar").
bool isShardPattern(const QString &path);
// A shard file, a pattern, or a folder with shards in it and no captions file of its own
// (dataset.h findCaptionFile): what paired-data readers take as shards.
bool isShardSource(const QString &path);

// Expands "{00000..00099}" (zero padding kept, either direction) and "{a,b,c}"; several braces
// multiply. At most kMaxPatternNames names from at most kMaxPatternChars characters; *error says
// why on a malformed or too large pattern.
constexpr int kMaxPatternNames = 100'000;
constexpr int kMaxPatternChars = 4096;
QStringList expandBracePattern(const QString &pattern, QString *error = nullptr);

// The shard files of a source, absolute and sorted: a shard file itself, the existing files of a
// pattern (missing ones are issues), or the shards under a folder.
QStringList shardFilesOf(const QString &source, QList<ParseIssue> *issues = nullptr);

// "SHARD#KEY" <-> (shard, key). splitShardItem() is false for anything else, including a real
// file whose name happens to contain '#' (it checks the file system: the shard must exist and the
// whole path must not).
QString shardItemPath(const QString &shard, const QString &key);
bool splitShardItem(const QString &itemPath, QString *shard, QString *key);
// True when `path` lies in `root`: below a folder, equal to a file, a member of a shard root
// ("x.tar" holds "x.tar#k"), or a member of a shard a brace pattern names.
bool sourceContains(const QString &root, const QString &path);

// The shard's index: from the cache when the shard's size and mtime match, otherwise read (one
// streaming pass) and cached. *read tells which. Never null; a file that cannot be read gives an
// index with no items and an issue.
std::shared_ptr<const ShardIndex> shardIndex(const QString &shardPath, bool *read = nullptr);
// Reads the index from the file, bypassing both caches (tests, fuzzing).
ShardIndex readShardIndex(const QString &shardPath);
// Forgets the in-memory cache (tests: a shard rewritten within one mtime tick).
void clearShardIndexCache();

// The bytes of an item's image member; empty with *error set ("no such member", "shard changed
// since it was scanned", ...) when they cannot be had.
constexpr qint64 kMaxShardMemberBytes = qint64(512) << 20;   // an image member larger is left out
QByteArray readShardImage(const QString &itemPath, QString *error = nullptr);
// Size and mtime of an item (for incremental embedding), false when it is not a known item.
bool shardItemState(const QString &itemPath, qint64 *size, qint64 *mtimeMs);

// Paired data from shards: one row per item with a caption (image = the item path), the shards'
// issues, and one issue per shard counting the images without a caption.
CaptionFile readShardCaptions(const QString &source, const CaptionOptions &options = {});

}  // namespace cospace
