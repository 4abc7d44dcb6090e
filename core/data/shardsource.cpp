// Shards, part two: brace patterns, sources, item paths, the index caches (memory and disk),
// member bytes by offset, paired data. The libarchive side is shardindex.cpp. See shards.h.

#include "core/data/shards.h"

#include "core/data/dataset.h"
#include "core/base/paths.h"

#include <QCryptographicHash>
#include <QDataStream>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>

namespace cospace {

// Found by argument-dependent lookup from QList's streaming operators, so in this namespace.
static QDataStream &operator<<(QDataStream &s, const ParseIssue &i) { return s << i.file << qint32(i.line) << i.message; }
static QDataStream &operator>>(QDataStream &s, ParseIssue &i)
{
    qint32 line = 0;
    s >> i.file >> line >> i.message;
    i.line = line;
    return s;
}

namespace detail {
QByteArray streamShardMember(const ShardIndex &index, const ShardItem &item, QString *error);   // shardindex.cpp
}

namespace {

constexpr quint32 kCacheMagic = 0x43534944;   // "CSID"
constexpr quint32 kCacheVersion = 1;
constexpr int kMaxIndexesInMemory = 1024;

const QRegularExpression &itemPattern()
{
    // The first ".tar#", ".tgz#" or ".tar.gz#": the shard ends there, the key is the rest.
    static const QRegularExpression re(u"^(.*?\\.(?:tar|tgz|tar\\.gz))#(.+)$"_qs, QRegularExpression::CaseInsensitiveOption);
    return re;
}

bool splitItemText(const QString &itemPath, QString *shard, QString *key)
{
    const QRegularExpressionMatch m = itemPattern().match(itemPath);
    if (!m.hasMatch())
        return false;
    *shard = m.captured(1);
    *key = m.captured(2);
    return true;
}

// One brace group's alternatives: "00000..00099" or "a,b,c".
QStringList alternatives(const QString &inner, QString *error)
{
    static const QRegularExpression range(u"^(-?\\d+)\\.\\.(-?\\d+)$"_qs);
    if (const QRegularExpressionMatch m = range.match(inner); m.hasMatch()) {
        const qint64 a = m.captured(1).toLongLong(), b = m.captured(2).toLongLong();
        if (std::abs(b - a) >= kMaxPatternNames) {
            *error = u"{%1} names more than %2 shards"_qs.arg(inner).arg(kMaxPatternNames);
            return {};
        }
        const bool padded = (m.captured(1).size() > 1 && m.captured(1).startsWith(u'0'))
                            || (m.captured(2).size() > 1 && m.captured(2).startsWith(u'0'));
        const int width = padded ? int(std::max(m.captured(1).size(), m.captured(2).size())) : 0;
        QStringList out;
        for (qint64 v = a;; v += a <= b ? 1 : -1) {
            out << QString::number(v).rightJustified(width, u'0');
            if (v == b)
                break;
        }
        return out;
    }
    if (inner.contains(u','))
        return inner.split(u',');
    *error = u"unsupported brace group {%1} (use {00000..00099} or {a,b})"_qs.arg(inner);
    return {};
}

QString cacheFile(const QString &absolutePath)
{
    const QByteArray hash = QCryptographicHash::hash(absolutePath.toUtf8(), QCryptographicHash::Sha1).toHex();
    return paths::cacheDir() + u"/shards/"_qs + QString::fromLatin1(hash) + u".idx"_qs;
}

void writeCachedIndex(const ShardIndex &index)
{
    const QString file = cacheFile(index.path);
    QDir().mkpath(QFileInfo(file).absolutePath());
    QSaveFile out(file);   // atomic: a reader sees the old index or the new one
    if (!out.open(QIODevice::WriteOnly))
        return;            // a cache: failing to write it only costs a re-read next time
    QDataStream s(&out);
    s << kCacheMagic << kCacheVersion << index.path << index.fileSize << index.fileMtimeMs << index.compressed
      << qint64(index.items.size());
    for (const ShardItem &i : index.items)
        s << i.key << i.imageMember << i.offset << i.size << i.mtimeMs << i.caption;
    s << index.issues << index.notices;
    if (s.status() == QDataStream::Ok)
        out.commit();
}

// The cached index when it describes this very file (path, size, mtime); nullptr otherwise.
std::shared_ptr<ShardIndex> readCachedIndex(const QString &path, qint64 size, qint64 mtime)
{
    QFile in(cacheFile(path));
    if (!in.open(QIODevice::ReadOnly))
        return nullptr;
    QDataStream s(&in);
    quint32 magic = 0, version = 0;
    auto index = std::make_shared<ShardIndex>();
    qint64 count = 0;
    s >> magic >> version;
    if (magic != kCacheMagic || version != kCacheVersion)
        return nullptr;
    s >> index->path >> index->fileSize >> index->fileMtimeMs >> index->compressed >> count;
    if (s.status() != QDataStream::Ok || index->path != path || index->fileSize != size || index->fileMtimeMs != mtime
        || count < 0 || count > in.size())
        return nullptr;
    index->items.reserve(qsizetype(count));
    for (qint64 k = 0; k < count && s.status() == QDataStream::Ok; ++k) {
        ShardItem i;
        s >> i.key >> i.imageMember >> i.offset >> i.size >> i.mtimeMs >> i.caption;
        index->byKey.insert(i.key, int(index->items.size()));
        index->items.append(std::move(i));
    }
    s >> index->issues >> index->notices;
    if (s.status() != QDataStream::Ok)
        return nullptr;   // torn or foreign: read the shard again (and overwrite this)
    return index;
}

struct MemoryCache {
    QMutex mutex;
    QHash<QString, std::shared_ptr<const ShardIndex>> indexes;
};
MemoryCache &memory()
{
    static MemoryCache cache;
    return cache;
}

// An item of a shard as the caches know it; false with *error set otherwise.
bool findItem(const QString &itemPath, std::shared_ptr<const ShardIndex> *index, const ShardItem **item, QString *error)
{
    QString shard, key;
    if (!splitShardItem(itemPath, &shard, &key)) {
        *error = u"not a shard member"_qs;
        return false;
    }
    *index = shardIndex(shard);
    const auto it = (*index)->byKey.constFind(key);
    if (it == (*index)->byKey.constEnd()) {
        *error = u"no image with key '%1' in %2"_qs.arg(key, QFileInfo(shard).fileName());
        return false;
    }
    *item = &(*index)->items[*it];
    return true;
}

}  // namespace

bool isShardFile(const QString &path)
{
    const QString lower = path.toLower();
    return lower.endsWith(u".tar") || lower.endsWith(u".tar.gz") || lower.endsWith(u".tgz");
}

bool isShardPattern(const QString &path)
{
    const qsizetype open = path.indexOf(u'{');
    return open >= 0 && path.indexOf(u'}', open) > open && isShardFile(path) && !QFileInfo::exists(path);
}

bool isShardSource(const QString &path)
{
    if (isShardPattern(path))
        return true;
    const QFileInfo info(path);
    if (info.isFile())
        return isShardFile(path);
    return info.isDir() && findCaptionFile(path).isEmpty() && !shardFilesOf(path).isEmpty();
}

namespace {

// How many names a pattern expands to, counted before anything is built (a hostile pattern such
// as {0..999}{0..999}{0..999} is refused at once); -1 when over kMaxPatternNames.
qint64 patternSize(const QString &pattern)
{
    static const QRegularExpression group(u"\\{([^{}]*)\\}"_qs);
    static const QRegularExpression range(u"^(-?\\d{1,9})\\.\\.(-?\\d{1,9})$"_qs);
    qint64 total = 1;
    for (QRegularExpressionMatchIterator it = group.globalMatch(pattern); it.hasNext();) {
        const QString inner = it.next().captured(1);
        const QRegularExpressionMatch m = range.match(inner);
        const qint64 n = m.hasMatch() ? std::abs(m.captured(2).toLongLong() - m.captured(1).toLongLong()) + 1
                                      : qint64(inner.count(u',')) + 1;
        total *= n;
        if (total > kMaxPatternNames)
            return -1;
    }
    return total;
}

}  // namespace

QStringList expandBracePattern(const QString &pattern, QString *error)
{
    QString ignored;
    QString &why = error ? *error : ignored;
    if (pattern.size() > kMaxPatternChars) {
        why = u"a pattern of %1 characters: at most %2"_qs.arg(pattern.size()).arg(kMaxPatternChars);
        return {};
    }
    if (patternSize(pattern) < 0) {
        why = u"%1 names more than %2 shards"_qs.arg(pattern.left(200)).arg(kMaxPatternNames);
        return {};
    }
    const qsizetype open = pattern.indexOf(u'{');
    if (open < 0)
        return {pattern};
    const qsizetype close = pattern.indexOf(u'}', open);
    const qsizetype nested = pattern.indexOf(u'{', open + 1);
    if (close < 0 || (nested >= 0 && nested < close)) {
        why = u"%1: unbalanced or nested braces"_qs.arg(pattern);
        return {};
    }
    const QStringList choices = alternatives(pattern.mid(open + 1, close - open - 1), &why);
    if (choices.isEmpty())
        return {};
    const QStringList rest = expandBracePattern(pattern.mid(close + 1), &why);
    if (rest.isEmpty())
        return {};
    if (qint64(choices.size()) * rest.size() > kMaxPatternNames) {
        why = u"%1 names more than %2 shards"_qs.arg(pattern).arg(kMaxPatternNames);
        return {};
    }
    QStringList out;
    out.reserve(choices.size() * rest.size());
    const QString head = pattern.left(open);
    for (const QString &c : choices)
        for (const QString &r : rest)
            out << head + c + r;
    return out;
}

QStringList shardFilesOf(const QString &source, QList<ParseIssue> *issues)
{
    QStringList files;
    if (isShardPattern(source)) {
        QString error;
        const QStringList names = expandBracePattern(source, &error);
        if (!error.isEmpty() && issues)
            issues->append({source, 0, error});
        for (const QString &name : names) {
            if (QFileInfo(name).isFile())
                files << QFileInfo(name).absoluteFilePath();
            else if (issues)
                issues->append({QFileInfo(name).absoluteFilePath(), 0, u"no such shard"_qs});
        }
    } else if (const QFileInfo info(source); info.isFile()) {
        files << info.absoluteFilePath();
    } else if (info.isDir()) {
        QDirIterator it(info.absoluteFilePath(), QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString f = it.next();
            if (isShardFile(f) && !it.fileName().startsWith(u'.') && !f.contains(u"/."))
                files << f;
        }
    } else if (issues) {
        issues->append({source, 0, u"no such shard, folder or pattern"_qs});
    }
    std::sort(files.begin(), files.end());
    return files;
}

QString shardItemPath(const QString &shard, const QString &key) { return shard + u'#' + key; }

bool splitShardItem(const QString &itemPath, QString *shard, QString *key)
{
    return splitItemText(itemPath, shard, key) && QFileInfo(*shard).isFile() && !QFileInfo::exists(itemPath);
}

bool sourceContains(const QString &root, const QString &path)
{
    if (isShardPattern(root)) {
        // Expanded once per pattern and thread: a map asks this for every item.
        thread_local QString lastPattern;
        thread_local QSet<QString> names;
        if (root != lastPattern) {
            names.clear();
            for (const QString &n : expandBracePattern(root))
                names.insert(QDir::cleanPath(QFileInfo(n).absoluteFilePath()));
            lastPattern = root;
        }
        QString shard, key;
        return splitItemText(path, &shard, &key) ? names.contains(shard) : names.contains(path);
    }
    const QString r = QDir::cleanPath(root);
    return path == r || path.startsWith(r + u'/') || path.startsWith(r + u'#');
}

std::shared_ptr<const ShardIndex> shardIndex(const QString &shardPath, bool *read)
{
    const QFileInfo info(shardPath);
    const QString path = info.absoluteFilePath();
    const qint64 size = info.size(), mtime = info.lastModified().toMSecsSinceEpoch();
    if (read)
        *read = false;
    MemoryCache &cache = memory();
    {
        QMutexLocker lock(&cache.mutex);
        if (const auto it = cache.indexes.constFind(path);
            it != cache.indexes.constEnd() && (*it)->fileSize == size && (*it)->fileMtimeMs == mtime)
            return *it;
    }
    std::shared_ptr<const ShardIndex> index = info.isFile() ? readCachedIndex(path, size, mtime) : nullptr;
    if (!index) {
        auto fresh = std::make_shared<ShardIndex>(readShardIndex(path));
        if (info.isFile())
            writeCachedIndex(*fresh);
        index = std::move(fresh);
        if (read)
            *read = true;
    }
    QMutexLocker lock(&cache.mutex);
    if (cache.indexes.size() >= kMaxIndexesInMemory)
        cache.indexes.clear();   // rare (over a thousand shards open): start again, the disk cache remains
    cache.indexes.insert(path, index);
    return index;
}

void clearShardIndexCache()
{
    QMutexLocker lock(&memory().mutex);
    memory().indexes.clear();
}

QByteArray readShardImage(const QString &itemPath, QString *error)
{
    QString ignored;
    QString &why = error ? *error : ignored;
    std::shared_ptr<const ShardIndex> index;
    const ShardItem *item = nullptr;
    if (!findItem(itemPath, &index, &item, &why))
        return {};
    if (index->compressed || item->offset < 0)
        return detail::streamShardMember(*index, *item, &why);
    QFile file(index->path);
    if (!file.open(QIODevice::ReadOnly)) {
        why = u"cannot read %1: %2"_qs.arg(index->path, file.errorString());
        return {};
    }
    if (file.size() != index->fileSize) {
        why = u"the shard changed since it was scanned"_qs;
        return {};
    }
    QByteArray bytes;
    if (file.seek(item->offset))
        bytes = file.read(item->size);
    if (bytes.size() != item->size) {
        why = u"the shard ends inside member '%1'"_qs.arg(item->imageMember);
        return {};
    }
    return bytes;
}

bool shardItemState(const QString &itemPath, qint64 *size, qint64 *mtimeMs)
{
    std::shared_ptr<const ShardIndex> index;
    const ShardItem *item = nullptr;
    QString error;
    if (!findItem(itemPath, &index, &item, &error))
        return false;
    *size = item->size;
    *mtimeMs = item->mtimeMs;
    return true;
}

CaptionFile readShardCaptions(const QString &source, const CaptionOptions &options)
{
    CaptionFile out;
    out.path = isShardPattern(source) ? source : QFileInfo(source).absoluteFilePath();
    const QStringList files = shardFilesOf(source, &out.issues);
    if (files.isEmpty() && out.issues.isEmpty())
        out.issues.append({out.path, 0, u"no shards (.tar files) found"_qs});
    for (const QString &file : files) {
        const std::shared_ptr<const ShardIndex> index = shardIndex(file);
        out.issues += index->issues;
        out.notices += index->notices;
        int uncaptioned = 0;
        for (const ShardItem &item : index->items) {
            QString caption = item.caption;
            if (caption.isEmpty()) {
                ++uncaptioned;
                continue;
            }
            if (options.maxCaptionChars != limits().maxCaptionChars)
                cutCaption(caption, options.maxCaptionChars);
            out.rows.append({shardItemPath(index->path, item.key), caption, 0});
        }
        if (uncaptioned > 0)
            out.issues.append({index->path, 0, u"%1 image(s) without a caption (KEY.txt or KEY.json \"caption\"), "
                                                "not paired"_qs.arg(uncaptioned)});
    }
    return out;
}

}  // namespace cospace
