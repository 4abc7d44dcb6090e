#pragma once
// Readers for paired image-caption files.
//
// Formats (README "Paired-data formats"):
//   TSV        image<TAB>caption            (optional header "image<TAB>caption")
//   CSV        image,caption  RFC 4180 quoting, quoted fields may span lines (optional header)
//   JSON Lines {"image": "...", "caption": "..."} one object per line
//   COCO       {"images": [{"id", "file_name"}], "annotations": [{"image_id", "caption"}]}
//   Flickr     name.jpg#0<TAB>caption       (Flickr8k/30k token files)
// Image paths are relative to the file's folder (or absolute). A UTF-8 BOM and CRLF line ends are
// accepted. A bad row (missing field, unknown image, invalid UTF-8, empty caption) becomes a
// ParseIssue naming the file and line and the rest of the file still loads; only an unreadable
// file or unparseable COCO document fails as a whole (an issue with line 0 and no rows).
// A caption longer than `maxCaptionChars` (core/limits.h) is cut there and kept; the cut is a
// notice, not an issue.
//
// Pure functions of their input; safe to call from any thread.

#include "core/base/limits.h"
#include "core/base/names.h"

#include <QList>
#include <QString>

namespace cospace {

enum class CaptionFormat { Auto, Tsv, Csv, JsonLines, Coco, Flickr };
inline constexpr EnumNames<CaptionFormat, 6> kCaptionFormats{{{{CaptionFormat::Auto, "auto"},
                                                                 {CaptionFormat::Tsv, "tsv"},
                                                                 {CaptionFormat::Csv, "csv"},
                                                                 {CaptionFormat::JsonLines, "jsonl"},
                                                                 {CaptionFormat::Coco, "coco"},
                                                                 {CaptionFormat::Flickr, "flickr"}}}};

QString captionFormatName(CaptionFormat format);
// Parses "tsv", "csv", "jsonl", "coco", "flickr" or "auto"; returns false on an unknown name.
bool parseCaptionFormat(const QString &name, CaptionFormat *format);

struct CaptionRow {
    QString image;    // absolute, cleaned path
    QString caption;  // trimmed, never empty
    int line = 0;     // 1-based line in the source file where the row starts
};

struct ParseIssue {
    QString file;
    int line = 0;     // 0 = the file as a whole
    QString message;
    QString toString() const;  // "captions.tsv:12: unknown image 'x.png'"
};

struct CaptionOptions {
    CaptionFormat format = CaptionFormat::Auto;
    QString imageRoot;          // where relative paths start; empty = the caption file's folder
    bool requireImages = true;  // report rows whose image file does not exist
    std::int64_t maxCaptionChars = limits().maxCaptionChars;
};

struct CaptionFile {
    QString path;
    CaptionFormat format = CaptionFormat::Auto;  // the format actually read
    QList<CaptionRow> rows;
    QList<ParseIssue> issues;
    QList<ParseIssue> notices;   // rows kept but changed: captions cut at the length limit
    int distinctImages() const;
};

// Guesses the format from the extension and, for .txt/.tsv/.json, the first bytes.
CaptionFormat detectCaptionFormat(const QString &path, const QByteArray &head);

// `path` may also be WebDataset shards (a .tar, a brace pattern, a folder of them: shards.h):
// their captions, each row's image the item "SHARD#KEY".
CaptionFile readCaptionFile(const QString &path, const CaptionOptions &options = {});
// Same, for bytes already in memory; `path` names the file in issues and anchors relative images.
CaptionFile parseCaptionBytes(const QByteArray &bytes, const QString &path,
                              const CaptionOptions &options = {});

}  // namespace cospace
