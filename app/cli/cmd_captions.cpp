// cospace-cli captions FILE: read a paired captions file and report what loads and what does not.

#include "clicommon.h"

#include "core/data/captionfile.h"

#include <QJsonArray>

namespace cospace::cli {

int runCaptions(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Read a paired captions file and report rows and bad rows (file:line: why)."_qs);
    parser.addPositionalArgument(u"file"_qs, u"TSV, CSV, JSON Lines, COCO JSON or Flickr token file"_qs);
    const QCommandLineOption format(u"format"_qs, u"auto (default), tsv, csv, jsonl, coco or flickr"_qs,
                                    u"F"_qs, u"auto"_qs);
    const QCommandLineOption images(u"images"_qs, u"folder relative image paths start from"_qs, u"DIR"_qs);
    const QCommandLineOption json(u"json"_qs, u"print a JSON summary"_qs);
    parser.addOptions({format, images, json});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (parser.positionalArguments().size() != 1) {
        err(u"usage: cospace-cli captions FILE [--format F] [--json]"_qs);
        return kUsage;
    }
    CaptionOptions options;
    if (!parseCaptionFormat(parser.value(format), &options.format)) {
        err(u"unknown format '%1'"_qs.arg(parser.value(format)));
        return kUsage;
    }
    options.imageRoot = parser.value(images);
    const CaptionFile file = readCaptionFile(parser.positionalArguments().first(), options);
    if (parser.isSet(json)) {
        QJsonArray issues;
        for (const ParseIssue &i : file.issues)
            issues.append(QJsonObject{{u"line"_qs, i.line}, {u"message"_qs, i.message}});
        QJsonArray notices;
        for (const ParseIssue &i : file.notices)
            notices.append(QJsonObject{{u"line"_qs, i.line}, {u"message"_qs, i.message}});
        printJson({{u"format"_qs, captionFormatName(file.format)},
                   {u"notices"_qs, notices},
                   {u"rows"_qs, file.rows.size()},
                   {u"images"_qs, file.distinctImages()},
                   {u"issues"_qs, issues}});
    } else {
        for (const ParseIssue &i : file.issues)
            err(i.toString());
        for (const ParseIssue &i : file.notices)
            err(u"note: "_qs + i.toString());
        out(u"%1 (%2): %3 captions for %4 images, %5 bad rows"_qs.arg(file.path, captionFormatName(file.format))
                .arg(file.rows.size())
                .arg(file.distinctImages())
                .arg(file.issues.size()));
    }
    const bool unreadable = file.rows.isEmpty() && !file.issues.isEmpty() && file.issues.first().line == 0;
    return unreadable ? kFailed : kOk;
}

}  // namespace cospace::cli
