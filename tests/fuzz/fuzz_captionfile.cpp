// parseCaptionBytes for each format. Byte 0 picks the format (and whether image files must
// exist), the rest is the file. Contract (captionfile.h): never throws; bad rows become issues;
// every row has an absolute image path, a trimmed non-empty caption and a line >= 1.
#include "core/data/captionfile.h"
#include "fuzzutil.h"

using namespace cospace;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const CaptionFormat formats[] = {CaptionFormat::Auto, CaptionFormat::Tsv, CaptionFormat::Csv,
                                            CaptionFormat::JsonLines, CaptionFormat::Coco, CaptionFormat::Flickr};
    static const char *names[] = {"captions.txt", "captions.tsv", "captions.csv", "captions.jsonl",
                                  "captions.json", "results.token"};
    const int pick = data[0] % 6;
    CaptionOptions options;
    options.format = formats[pick];
    options.requireImages = (data[0] & 0x80) != 0;
    const QString path = fuzz::scratch().absoluteFilePath(QString::fromLatin1(names[pick]));
    const CaptionFile file = parseCaptionBytes(fuzz::bytes(data + 1, size - 1), path, options);
    for (const CaptionRow &row : file.rows) {
        FUZZ_CHECK(!row.caption.isEmpty());
        FUZZ_CHECK(row.caption == row.caption.trimmed());
        FUZZ_CHECK(row.line >= 1);
        FUZZ_CHECK(!row.image.isEmpty());
    }
    for (const ParseIssue &issue : file.issues) {
        FUZZ_CHECK(issue.line >= 0);
        FUZZ_CHECK(!issue.message.isEmpty());
    }
    FUZZ_CHECK(file.distinctImages() <= file.rows.size());
    return 0;
}
