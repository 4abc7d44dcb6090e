#include "core/data/captionfile.h"

#include "core/data/shards.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <functional>

namespace cospace {

namespace {

constexpr qint64 kMaxCaptionFileBytes = qint64(2) << 30;  // 2 GiB: beyond this, refuse rather than exhaust memory

// Strict UTF-8 check (no overlongs, no surrogates, nothing above U+10FFFF).
bool isValidUtf8(QByteArrayView bytes)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    const auto *end = p + bytes.size();
    while (p < end) {
        const unsigned c = *p;
        if (c < 0x80) { ++p; continue; }
        int n = 0;
        unsigned cp = 0;
        unsigned minCp = 0;
        if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; minCp = 0x80; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; minCp = 0x800; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; minCp = 0x10000; }
        else return false;
        if (end - p <= n) return false;
        for (int i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (cp < minCp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        p += n + 1;
    }
    return true;
}

QByteArrayView stripBom(QByteArrayView bytes)
{
    if (bytes.startsWith("\xEF\xBB\xBF"))
        return bytes.sliced(3);
    return bytes;
}

// Splits into lines on '\n', dropping a trailing '\r' (CRLF files).
QList<QByteArrayView> splitLines(QByteArrayView bytes)
{
    QList<QByteArrayView> lines;
    qsizetype start = 0;
    while (start <= bytes.size()) {
        qsizetype nl = bytes.indexOf('\n', start);
        if (nl < 0) nl = bytes.size();
        QByteArrayView line = bytes.sliced(start, nl - start);
        if (line.endsWith('\r'))
            line.chop(1);
        lines.append(line);
        start = nl + 1;
    }
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines;
}

bool isHeader(const QString &first, const QString &second)
{
    static const QSet<QString> imageNames{u"image"_qs, u"image_path"_qs, u"file"_qs, u"filename"_qs,
                                          u"file_name"_qs, u"path"_qs};
    static const QSet<QString> captionNames{u"caption"_qs, u"text"_qs, u"sentence"_qs};
    return imageNames.contains(first.trimmed().toLower()) && captionNames.contains(second.trimmed().toLower());
}

// Collects rows and issues, resolving image paths and checking that they exist (cached per path).
class RowSink
{
public:
    RowSink(CaptionFile &out, const CaptionOptions &options)
        : m_out(out), m_options(options)
    {
        m_root = options.imageRoot.isEmpty() ? QFileInfo(out.path).absolutePath() : options.imageRoot;
        m_fileName = QFileInfo(out.path).fileName();
    }

    void issue(int line, const QString &message) { m_out.issues.append({m_out.path, line, message}); }

    // Extra roots tried when an image is not found under the main one (Flickr layouts).
    void addFallbackRoot(const QString &root) { m_fallbackRoots.append(root); }

    void add(int line, const QString &image, const QString &caption)
    {
        const QString img = image.trimmed();
        QString cap = caption.simplified();
        if (img.isEmpty()) { issue(line, u"missing image field"_qs); return; }
        if (cap.isEmpty()) { issue(line, u"empty caption for '%1'"_qs.arg(img)); return; }
        const QString path = resolve(img);
        if (path.isEmpty()) { issue(line, u"unknown image '%1' (no such file)"_qs.arg(img)); return; }
        if (const QString notice = cutCaption(cap, m_options.maxCaptionChars); !notice.isEmpty())
            m_out.notices.append({m_out.path, line, notice});
        m_out.rows.append({path, cap, line});
    }

private:
    QString resolve(const QString &image)
    {
        auto it = m_resolved.constFind(image);
        if (it != m_resolved.constEnd())
            return *it;
        QString found;
        QStringList roots{m_root};
        roots += m_fallbackRoots;
        for (const QString &root : roots) {
            const QString candidate = QDir::cleanPath(QDir(root).absoluteFilePath(image));
            if (!m_options.requireImages || QFileInfo(candidate).isFile()) {
                found = candidate;
                break;
            }
        }
        m_resolved.insert(image, found);
        return found;
    }

    CaptionFile &m_out;
    const CaptionOptions &m_options;
    QString m_root;
    QString m_fileName;
    QStringList m_fallbackRoots;
    QHash<QString, QString> m_resolved;
};

// Decodes one field or line, reporting invalid UTF-8 instead of silently replacing it.
bool decodeUtf8(QByteArrayView bytes, QString *out)
{
    if (!isValidUtf8(bytes))
        return false;
    *out = QString::fromUtf8(bytes);
    return true;
}

void readDelimitedLines(QByteArrayView bytes, RowSink &sink, bool flickr)
{
    static const QRegularExpression flickrSuffix(u"#\\d+$"_qs);
    const QList<QByteArrayView> lines = splitLines(bytes);
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const int lineNo = int(i) + 1;
        if (lines[i].trimmed().isEmpty())
            continue;
        QString text;
        if (!decodeUtf8(lines[i], &text)) { sink.issue(lineNo, u"invalid UTF-8"_qs); continue; }
        const qsizetype tab = text.indexOf(u'\t');
        if (tab < 0) { sink.issue(lineNo, u"missing caption field (expected image<TAB>caption)"_qs); continue; }
        QString image = text.left(tab);
        QString caption = text.mid(tab + 1);
        const qsizetype nextTab = caption.indexOf(u'\t');
        if (nextTab >= 0)
            caption.truncate(nextTab);  // extra columns are metadata we do not use
        if (lineNo == 1 && isHeader(image, caption))
            continue;
        if (flickr)
            image.remove(flickrSuffix);
        sink.add(lineNo, image, caption);
    }
}

// RFC 4180: fields separated by ',', optionally quoted with '"', '""' inside quotes is a quote,
// quoted fields may contain commas and newlines. A record's line is the line it starts on.
void readCsv(QByteArrayView bytes, RowSink &sink)
{
    int line = 1;
    qsizetype i = 0;
    const qsizetype n = bytes.size();
    while (i < n) {
        const int recordLine = line;
        QList<QByteArray> fields;
        QByteArray field;
        bool inQuotes = false;
        bool quoteError = false;
        bool endOfRecord = false;
        while (i < n && !endOfRecord) {
            const char c = bytes[i];
            if (inQuotes) {
                if (c == '"') {
                    if (i + 1 < n && bytes[i + 1] == '"') { field += '"'; i += 2; continue; }
                    inQuotes = false;
                } else {
                    if (c == '\n') ++line;
                    field += c;
                }
                ++i;
                continue;
            }
            switch (c) {
            case '"':
                if (field.isEmpty()) inQuotes = true; else field += c;
                break;
            case ',':
                fields.append(field);
                field.clear();
                break;
            case '\r':
                break;
            case '\n':
                ++line;
                endOfRecord = true;
                break;
            default:
                field += c;
            }
            ++i;
        }
        if (inQuotes)
            quoteError = true;
        fields.append(field);
        if (fields.size() == 1 && fields[0].trimmed().isEmpty())
            continue;
        if (quoteError) { sink.issue(recordLine, u"unterminated quoted field"_qs); break; }
        if (fields.size() < 2) { sink.issue(recordLine, u"missing caption field (expected image,caption)"_qs); continue; }
        QString image, caption;
        if (!decodeUtf8(fields[0], &image) || !decodeUtf8(fields[1], &caption)) {
            sink.issue(recordLine, u"invalid UTF-8"_qs);
            continue;
        }
        if (recordLine == 1 && isHeader(image, caption))
            continue;
        sink.add(recordLine, image, caption);
    }
}

void readJsonLines(QByteArrayView bytes, RowSink &sink)
{
    const QList<QByteArrayView> lines = splitLines(bytes);
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const int lineNo = int(i) + 1;
        if (lines[i].trimmed().isEmpty())
            continue;
        if (!isValidUtf8(lines[i])) { sink.issue(lineNo, u"invalid UTF-8"_qs); continue; }
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(lines[i].toByteArray(), &error);
        if (error.error != QJsonParseError::NoError) {
            sink.issue(lineNo, u"invalid JSON: %1"_qs.arg(error.errorString()));
            continue;
        }
        if (!doc.isObject()) { sink.issue(lineNo, u"expected a JSON object"_qs); continue; }
        const QJsonObject obj = doc.object();
        const QJsonValue image = obj.value(u"image"_qs);
        const QJsonValue caption = obj.value(u"caption"_qs);
        if (!image.isString()) { sink.issue(lineNo, u"missing \"image\" string"_qs); continue; }
        if (!caption.isString()) { sink.issue(lineNo, u"missing \"caption\" string"_qs); continue; }
        sink.add(lineNo, image.toString(), caption.toString());
    }
}

int lineAtOffset(QByteArrayView bytes, qsizetype offset)
{
    offset = qBound<qsizetype>(0, offset, bytes.size());
    return int(bytes.first(offset).count('\n')) + 1;
}

// QJsonDocument keeps no source positions, so find where each element of the top-level
// "annotations" array starts with a small scanner (strings and nesting only).
QList<qsizetype> annotationOffsets(QByteArrayView bytes)
{
    QList<qsizetype> offsets;
    int depth = 0;
    int annotationsDepth = -1;
    QByteArray lastString;
    bool expectKeyColon = false;
    QByteArray pendingKey;
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        const char c = bytes[i];
        if (c == '"') {
            const qsizetype start = i + 1;
            for (++i; i < bytes.size() && bytes[i] != '"'; ++i)
                if (bytes[i] == '\\') ++i;
            lastString = bytes.sliced(start, qMin(i, bytes.size()) - start).toByteArray();
            expectKeyColon = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == ':' && expectKeyColon)
            pendingKey = depth == 1 ? lastString : QByteArray();
        expectKeyColon = false;
        if (c == '{' || c == '[') {
            if (depth == annotationsDepth && c == '{')
                offsets.append(i);
            ++depth;
            if (c == '[' && depth == 2 && pendingKey == "annotations")
                annotationsDepth = 2;
        } else if (c == '}' || c == ']') {
            --depth;
            if (depth < annotationsDepth)
                annotationsDepth = -1;
        }
        if (c != ':')
            pendingKey.clear();
    }
    return offsets;
}

void readCoco(QByteArrayView bytes, RowSink &sink)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError) {
        sink.issue(lineAtOffset(bytes, error.offset), u"invalid JSON: %1"_qs.arg(error.errorString()));
        return;
    }
    const QJsonObject root = doc.object();
    if (!root.value(u"images"_qs).isArray() || !root.value(u"annotations"_qs).isArray()) {
        sink.issue(0, u"not a COCO captions file (needs \"images\" and \"annotations\" arrays)"_qs);
        return;
    }
    QHash<qint64, QString> fileById;
    for (const QJsonValue &v : root.value(u"images"_qs).toArray()) {
        const QJsonObject img = v.toObject();
        if (img.value(u"id"_qs).isDouble() && img.value(u"file_name"_qs).isString())
            fileById.insert(img.value(u"id"_qs).toInteger(), img.value(u"file_name"_qs).toString());
    }
    const QList<qsizetype> offsets = annotationOffsets(bytes);
    const QJsonArray annotations = root.value(u"annotations"_qs).toArray();
    for (qsizetype i = 0; i < annotations.size(); ++i) {
        const int lineNo = i < offsets.size() ? lineAtOffset(bytes, offsets[i]) : 0;
        const QJsonObject ann = annotations[i].toObject();
        const QString where = u"annotation %1: "_qs.arg(i);
        if (!ann.value(u"image_id"_qs).isDouble()) { sink.issue(lineNo, where + u"missing \"image_id\""_qs); continue; }
        if (!ann.value(u"caption"_qs).isString()) { sink.issue(lineNo, where + u"missing \"caption\" string"_qs); continue; }
        const qint64 id = ann.value(u"image_id"_qs).toInteger();
        const auto file = fileById.constFind(id);
        if (file == fileById.constEnd()) {
            sink.issue(lineNo, where + u"image_id %1 is not in \"images\""_qs.arg(id));
            continue;
        }
        sink.add(lineNo, *file, ann.value(u"caption"_qs).toString());
    }
}

}  // namespace

QString captionFormatName(CaptionFormat format) { return kCaptionFormats.name(format); }

bool parseCaptionFormat(const QString &name, CaptionFormat *format)
{
    const std::optional<CaptionFormat> f = kCaptionFormats.parse(name);
    if (f)
        *format = *f;
    return f.has_value();
}

QString ParseIssue::toString() const
{
    const QString name = QFileInfo(file).fileName();
    return line > 0 ? u"%1:%2: %3"_qs.arg(name).arg(line).arg(message) : u"%1: %2"_qs.arg(name, message);
}

int CaptionFile::distinctImages() const
{
    QSet<QString> images;
    for (const CaptionRow &row : rows)
        images.insert(row.image);
    return int(images.size());
}

CaptionFormat detectCaptionFormat(const QString &path, const QByteArray &head)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == u"csv")
        return CaptionFormat::Csv;
    if (suffix == u"jsonl" || suffix == u"ndjson")
        return CaptionFormat::JsonLines;
    const QByteArray start = stripBom(head).toByteArray().trimmed();
    if (suffix == u"json") {
        // A .json file is COCO unless its first line is a complete object (JSON Lines).
        const QByteArray firstLine = start.left(start.indexOf('\n')).trimmed();
        const bool oneObjectPerLine = firstLine.startsWith('{') && firstLine.endsWith('}')
                                      && !start.contains("\"annotations\"");
        return oneObjectPerLine ? CaptionFormat::JsonLines : CaptionFormat::Coco;
    }
    // .tsv, .txt, .token and anything else: tab-separated, Flickr if the first image ends in #N.
    static const QRegularExpression flickr(u"^[^\\t\\n]+#\\d+\\t"_qs);
    if (flickr.match(QString::fromUtf8(start.left(4096))).hasMatch())
        return CaptionFormat::Flickr;
    if (start.startsWith('{'))
        return CaptionFormat::JsonLines;
    return CaptionFormat::Tsv;
}

CaptionFile parseCaptionBytes(const QByteArray &bytes, const QString &path, const CaptionOptions &options)
{
    CaptionFile out;
    out.path = path;
    out.format = options.format == CaptionFormat::Auto ? detectCaptionFormat(path, bytes.left(65536))
                                                       : options.format;
    RowSink sink(out, options);
    const QByteArrayView body = stripBom(bytes);
    switch (out.format) {
    case CaptionFormat::Tsv:
        readDelimitedLines(body, sink, false);
        break;
    case CaptionFormat::Flickr: {
        // Flickr8k ships the token file beside a separate image folder.
        const QString dir = QFileInfo(path).absolutePath();
        for (const char *sub : {"Images", "images", "Flicker8k_Dataset", "flickr30k-images",
                                "../Images", "../Flicker8k_Dataset", "../flickr30k-images"})
            sink.addFallbackRoot(QDir(dir).absoluteFilePath(QString::fromLatin1(sub)));
        readDelimitedLines(body, sink, true);
        break;
    }
    case CaptionFormat::Csv:
        readCsv(body, sink);
        break;
    case CaptionFormat::JsonLines:
        readJsonLines(body, sink);
        break;
    case CaptionFormat::Coco:
        readCoco(body, sink);
        break;
    case CaptionFormat::Auto:
        break;
    }
    return out;
}

CaptionFile readCaptionFile(const QString &path, const CaptionOptions &options)
{
    if (isShardSource(path))
        return readShardCaptions(path, options);   // WebDataset shards: the captions inside them
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        CaptionFile out;
        out.path = path;
        out.issues.append({path, 0, u"cannot read: %1"_qs.arg(file.errorString())});
        return out;
    }
    if (file.size() > kMaxCaptionFileBytes) {
        CaptionFile out;
        out.path = path;
        out.issues.append({path, 0, u"file is larger than 2 GiB"_qs});
        return out;
    }
    return parseCaptionBytes(file.readAll(), path, options);
}

}  // namespace cospace
