// Shards, part one: reading a tar with libarchive — the streaming index pass and member bytes.
// Patterns, sources, the index caches and paired data are in shardsource.cpp. See shards.h.

#include "core/data/shards.h"

#include "core/data/dataset.h"
#include "core/base/limits.h"

#include <archive.h>
#include <archive_entry.h>

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <memory>

namespace cospace {

namespace {

constexpr qint64 kMaxCaptionMemberBytes = qint64(1) << 20;   // a .txt / .json member larger is left out
constexpr qint64 kMaxCaptionBytesPerShard = qint64(256) << 20;
constexpr int kMaxRetries = 16;                               // ARCHIVE_RETRY in a row before giving up
constexpr int kBlockSize = 1 << 16;
constexpr int kVerifyBytes = 64;                              // offset check on the first image

struct ArchiveFree {
    void operator()(archive *a) const { archive_read_free(a); }
};
using Archive = std::unique_ptr<archive, ArchiveFree>;

// Only tar, only the in-process decompressors (no helper programs).
Archive openArchive(const QString &path, QString *error)
{
    Archive a(archive_read_new());
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_bzip2(a.get());
    archive_read_support_filter_xz(a.get());
    archive_read_support_filter_zstd(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), QFile::encodeName(path).constData(), kBlockSize) != ARCHIVE_OK) {
        *error = QString::fromUtf8(archive_error_string(a.get()) ? archive_error_string(a.get()) : "cannot open");
        return nullptr;
    }
    return a;
}

QString entryName(archive_entry *e)
{
    if (const char *utf8 = archive_entry_pathname_utf8(e))
        return QString::fromUtf8(utf8);
    if (const char *raw = archive_entry_pathname(e))
        return QString::fromLocal8Bit(raw);
    return {};
}

bool unsafeName(const QString &name)
{
    if (name.startsWith(u'/') || name.startsWith(u'\\') || (name.size() >= 2 && name.at(1) == u':'))
        return true;
    const QStringList parts = QString(name).replace(u'\\', u'/').split(u'/');
    return parts.contains(u".."_qs);
}

// "part/000123.seg.png" -> key "part/000123", extension "seg.png". False for names without one
// (and hidden files such as macOS "._000123.jpg").
bool splitMember(const QString &name, QString *key, QString *extension)
{
    const qsizetype slash = name.lastIndexOf(u'/');
    const qsizetype dot = name.indexOf(u'.', slash + 1);
    if (dot <= slash + 1 || dot == name.size() - 1)
        return false;
    *key = name.left(dot);
    *extension = name.mid(dot + 1).toLower();
    return true;
}

// By the last part: "000123.input.jpg" is an image, "000123.meta.json" a caption candidate.
bool isImageExtension(const QString &extension) { return imageExtensions().contains(extension.section(u'.', -1)); }
bool isCaptionExtension(const QString &extension)
{
    const QString last = extension.section(u'.', -1);
    return last == u"txt" || last == u"json";
}

// Reads the current entry's data whole (it is at most `size` bytes).
bool readEntry(archive *a, qint64 size, QByteArray *out, QString *error)
{
    out->resize(qsizetype(size));
    qint64 done = 0;
    while (done < size) {
        const la_ssize_t n = archive_read_data(a, out->data() + done, std::size_t(size - done));
        if (n < 0) {
            *error = QString::fromUtf8(archive_error_string(a) ? archive_error_string(a) : "read error");
            return false;
        }
        if (n == 0)
            break;
        done += n;
    }
    out->resize(qsizetype(done));
    if (done < size) {
        *error = u"the shard ends inside the member"_qs;
        return false;
    }
    return true;
}

// A caption member: the whole text of .txt, the "caption" string of .json.
QString captionOf(const QString &extension, const QByteArray &bytes, QString *problem)
{
    if (extension == u"json") {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
        if (error.error != QJsonParseError::NoError) {
            *problem = u"not JSON (%1 at byte %2)"_qs.arg(error.errorString()).arg(error.offset);
            return {};
        }
        return doc.object().value(u"caption"_qs).toString().trimmed();
    }
    const QString text = QString::fromUtf8(bytes);
    if (text.contains(QChar::ReplacementCharacter) && !bytes.contains("\xEF\xBF\xBD")) {
        *problem = u"not UTF-8 text"_qs;
        return {};
    }
    return text.trimmed();
}

struct Group {
    int item = -1;
    QString text, json;
    bool hasText = false;
};

class Indexer
{
public:
    Indexer(ShardIndex &index, archive *a) : m_index(index), m_a(a) {}

    void run()
    {
        m_index.compressed = !(archive_filter_count(m_a) == 1 && archive_filter_code(m_a, 0) == ARCHIVE_FILTER_NONE);
        const std::int64_t maxItems = limits().maxFilesPerFolder;
        int retries = 0;
        for (qint64 members = 0;; ++members) {
            archive_entry *e = nullptr;
            const int r = archive_read_next_header(m_a, &e);
            if (r == ARCHIVE_EOF)
                break;
            if (r == ARCHIVE_RETRY && ++retries <= kMaxRetries)
                continue;
            if (r < ARCHIVE_WARN) {   // FATAL, or RETRY too often
                const QString why = QString::fromUtf8(archive_error_string(m_a) ? archive_error_string(m_a) : "unknown error");
                issue(members == 0 ? u"not a readable tar archive (%1)"_qs.arg(why)
                                   : u"damaged or truncated tar after %1 members (%2): the rest is left out"_qs.arg(members).arg(why));
                break;
            }
            retries = 0;
            entry(e);
            if (m_index.items.size() >= maxItems) {
                issue(u"more than %1 images: the rest are left out (setting max-files-per-folder)"_qs.arg(maxItems));
                break;
            }
        }
        finish();
    }

    QByteArray verifyHead;   // the first image's first bytes as libarchive read them
    int verifyItem = -1;

private:
    void issue(const QString &message) { m_index.issues.append({m_index.path, 0, message}); }
    void memberIssue(const QString &name, const QString &message)
    {
        issue(u"member '%1': %2"_qs.arg(name.left(200), message));
    }

    void entry(archive_entry *e)
    {
        const QString name = entryName(e);
        const auto type = archive_entry_filetype(e);
        if (type == AE_IFDIR)
            return;
        if (name.isEmpty())
            return memberIssue(name, u"no name, skipped"_qs);
        if (type != AE_IFREG || archive_entry_hardlink(e) || archive_entry_symlink(e))
            return memberIssue(name, u"a link or special file, skipped"_qs);
        if (unsafeName(name))
            return memberIssue(name, u"unsafe name (absolute or with '..'), skipped"_qs);
        QString key, extension;
        if (!splitMember(name, &key, &extension))
            return;   // not part of a sample (README, checksums, ...)
        const qint64 size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
        if (size < 0 || archive_entry_sparse_count(e) > 0)
            return memberIssue(name, u"no size or a sparse member, skipped"_qs);
        if (isImageExtension(extension))
            image(e, name, key, size);
        else if (isCaptionExtension(extension))
            caption(name, key, extension.section(u'.', -1), size);
    }

    void image(archive_entry *e, const QString &name, const QString &key, qint64 size)
    {
        Group &g = m_groups[key];
        if (g.item >= 0) {
            ++m_extraImages;   // e.g. "000123.input.jpg" and "000123.target.png": the first is the item
            return;
        }
        if (size == 0)
            return memberIssue(name, u"zero bytes, skipped"_qs);
        if (size > kMaxShardMemberBytes)
            return memberIssue(name, u"%1 MiB, larger than an image member may be, skipped"_qs.arg(size >> 20));
        ShardItem item{key, name, -1, size, archive_entry_mtime(e) * 1000 + archive_entry_mtime_nsec(e) / 1'000'000, {}};
        if (!m_index.compressed) {
            item.offset = archive_filter_bytes(m_a, 0);   // the header was consumed: data starts here
            if (m_index.fileSize >= 0 && item.offset + size > m_index.fileSize)
                return memberIssue(name, u"truncated: the shard ends inside it, skipped"_qs);
            if (verifyItem < 0) {
                QString error;
                QByteArray head(int(std::min<qint64>(size, kVerifyBytes)), '\0');
                const la_ssize_t n = archive_read_data(m_a, head.data(), std::size_t(head.size()));
                if (n == head.size()) {
                    verifyHead = head;
                    verifyItem = int(m_index.items.size());
                }
            }
        }
        g.item = int(m_index.items.size());
        m_index.byKey.insert(key, g.item);
        m_index.items.append(item);
    }

    void caption(const QString &name, const QString &key, const QString &extension, qint64 size)
    {
        if (size > kMaxCaptionMemberBytes)
            return memberIssue(name, u"%1 KiB of caption, more than 1 MiB, skipped"_qs.arg(size >> 10));
        if (m_captionBytes + size > kMaxCaptionBytesPerShard)
            return memberIssue(name, u"the shard's captions exceed 256 MiB: skipped"_qs);
        QByteArray bytes;
        QString error;
        if (!readEntry(m_a, size, &bytes, &error))
            return memberIssue(name, error);
        m_captionBytes += size;
        const QString text = captionOf(extension, bytes, &error);
        if (!error.isEmpty())
            return memberIssue(name, error);
        Group &g = m_groups[key];
        if (extension == u"txt") {
            g.text = text;
            g.hasText = true;
        } else {
            g.json = text;
        }
    }

    void finish()
    {
        if (m_extraImages > 0)
            issue(u"%1 more image member(s) for keys that already had one: the first of each key is used"_qs.arg(m_extraImages));
        const std::int64_t maxChars = limits().maxCaptionChars;
        for (ShardItem &item : m_index.items) {
            const Group &g = m_groups[item.key];
            item.caption = g.hasText ? g.text : g.json;
            if (const QString notice = cutCaption(item.caption, maxChars); !notice.isEmpty())
                m_index.notices.append({m_index.path + u'#' + item.key, 0, notice});
        }
    }

    ShardIndex &m_index;
    archive *m_a;
    QHash<QString, Group> m_groups;
    qint64 m_captionBytes = 0;
    int m_extraImages = 0;
};

// The offsets come from libarchive's read position; check one against the file, and fall back
// to streaming (as for a compressed shard) should they ever disagree.
void verifyOffsets(ShardIndex &index, const Indexer &indexer)
{
    if (index.compressed || indexer.verifyItem < 0)
        return;
    QFile file(index.path);
    const ShardItem &item = index.items[indexer.verifyItem];
    if (file.open(QIODevice::ReadOnly) && file.seek(item.offset) && file.read(indexer.verifyHead.size()) == indexer.verifyHead)
        return;
    index.compressed = true;
    for (ShardItem &i : index.items)
        i.offset = -1;
}

}  // namespace

ShardIndex readShardIndex(const QString &shardPath)
{
    ShardIndex index;
    const QFileInfo info(shardPath);
    index.path = info.absoluteFilePath();
    index.fileSize = info.size();
    index.fileMtimeMs = info.lastModified().toMSecsSinceEpoch();
    if (!info.isFile()) {
        index.issues.append({index.path, 0, u"no such shard"_qs});
        return index;
    }
    if (index.fileSize == 0) {
        index.issues.append({index.path, 0, u"empty shard (zero bytes)"_qs});
        return index;
    }
    QString error;
    const Archive a = openArchive(index.path, &error);
    if (!a) {
        index.issues.append({index.path, 0, u"not a readable tar archive (%1)"_qs.arg(error)});
        return index;
    }
    Indexer indexer(index, a.get());
    indexer.run();
    verifyOffsets(index, indexer);
    return index;
}

namespace detail {

// The member's bytes by streaming from the start (compressed shards).
QByteArray streamShardMember(const ShardIndex &index, const ShardItem &item, QString *error)
{
    const Archive a = openArchive(index.path, error);
    if (!a)
        return {};
    archive_entry *e = nullptr;
    for (int r; (r = archive_read_next_header(a.get(), &e)) != ARCHIVE_EOF;) {
        if (r < ARCHIVE_WARN) {
            *error = QString::fromUtf8(archive_error_string(a.get()) ? archive_error_string(a.get()) : "read error");
            return {};
        }
        if (archive_entry_filetype(e) != AE_IFREG || entryName(e) != item.imageMember)
            continue;
        QByteArray bytes;
        if (!readEntry(a.get(), item.size, &bytes, error))
            return {};
        return bytes;
    }
    *error = u"member '%1' not found"_qs.arg(item.imageMember);
    return {};
}

}  // namespace detail

}  // namespace cospace
