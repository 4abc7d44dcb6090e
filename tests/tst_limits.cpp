// The input limits of core/limits.h: parsing the settings, and each place that enforces one
// (caption files, folder scans, both tokenizers, the model-size check of a config).

#include "scopedlimit.h"
#include "core/data/captionfile.h"
#include "core/model/cliptokenizer.h"
#include "core/data/dataset.h"
#include "core/base/limits.h"
#include "core/model/sharedspaceconfig.h"
#include "core/model/texttokenizer.h"

#include <QDir>

#include <algorithm>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;

class TestLimits : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void settingValues_data();
    void settingValues();
    void truncateText_data();
    void truncateText();
    void longCaptionsAreCutWithNotice_data();
    void longCaptionsAreCutWithNotice();
    void folderScanKeepsFirstFiles_data();
    void folderScanKeepsFirstFiles();
    void tokenizersReadAtMostTheLimit();
    void oversizedConfigIsRefused_data();
    void oversizedConfigIsRefused();
};

void TestLimits::settingValues_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("expected");   // the field afterwards (default when refused)
    const Limits d;
    QTest::newRow("pixels") << u"max-image-pixels"_qs << u"2500"_qs << true << qint64(2500);
    QTest::newRow("caption chars, spaces") << u"max-caption-chars"_qs << u" 64 "_qs << true << qint64(64);
    QTest::newRow("files") << u"max-files-per-folder"_qs << u"7"_qs << true << qint64(7);
    QTest::newRow("model MiB") << u"max-model-mb"_qs << u"12"_qs << true << qint64(12);
    QTest::newRow("not a number") << u"max-image-pixels"_qs << u"lots"_qs << false << qint64(d.maxImagePixels);
    QTest::newRow("zero files") << u"max-files-per-folder"_qs << u"0"_qs << false << qint64(d.maxFilesPerFolder);
    QTest::newRow("negative") << u"max-model-mb"_qs << u"-1"_qs << false << qint64(d.maxModelMB);
    QTest::newRow("caption below minimum") << u"max-caption-chars"_qs << u"3"_qs << false << qint64(d.maxCaptionChars);
    QTest::newRow("unknown key") << u"max-colours"_qs << u"3"_qs << false << qint64(-1);
}

void TestLimits::settingValues()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(bool, ok);
    QFETCH(qint64, expected);
    Limits l;
    QString error;
    QCOMPARE(setLimitValue(l, key, value, &error), ok);
    QCOMPARE(error.isEmpty(), ok);
    if (!ok)
        QVERIFY2(error.contains(key), qPrintable(error));   // the message names the setting
    for (const LimitSetting &s : limitSettings())
        if (key == QLatin1String(s.key))
            QCOMPARE(qint64(l.*s.field), expected);
    if (expected < 0)
        QCOMPARE(l, Limits{});
}

void TestLimits::truncateText_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("max");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<bool>("cut");
    QTest::newRow("short") << u"abc"_qs << 5 << u"abc"_qs << false;
    QTest::newRow("exact") << u"abcde"_qs << 5 << u"abcde"_qs << false;
    QTest::newRow("long") << u"abcdefgh"_qs << 5 << u"abcde"_qs << true;
    // U+1F600 is a surrogate pair: cutting between its halves would leave invalid UTF-16.
    QTest::newRow("surrogate pair kept whole") << u"abcd\U0001F600z"_qs << 5 << u"abcd"_qs << true;
    QTest::newRow("pair fits") << u"abc\U0001F600z"_qs << 5 << u"abc\U0001F600"_qs << true;
}

void TestLimits::truncateText()
{
    QFETCH(QString, text);
    QFETCH(int, max);
    QFETCH(QString, expected);
    QFETCH(bool, cut);
    QCOMPARE(cospace::truncateText(text, max), cut);
    QCOMPARE(text, expected);
}

void TestLimits::longCaptionsAreCutWithNotice_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("line");   // of the long caption
    const QByteArray longCaption = QByteArray("a long caption ").repeated(10);   // 150 characters
    QTest::newRow("tsv") << QByteArray("a.png\tshort one\nb.png\t" + longCaption + "\n") << u"c.tsv"_qs << 2;
    QTest::newRow("csv quoted") << QByteArray("image,caption\na.png,\"" + longCaption + "\"\nb.png,ok\n") << u"c.csv"_qs << 2;
    QTest::newRow("jsonl") << QByteArray("{\"image\": \"a.png\", \"caption\": \"x\"}\n{\"image\": \"b.png\", \"caption\": \""
                                         + longCaption + "\"}\n") << u"c.jsonl"_qs << 2;
}

void TestLimits::longCaptionsAreCutWithNotice()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, name);
    QFETCH(int, line);
    CaptionOptions options;
    options.requireImages = false;
    options.maxCaptionChars = 40;
    const CaptionFile file = parseCaptionBytes(bytes, QDir::temp().filePath(name), options);
    QVERIFY(file.issues.isEmpty());   // a cut caption is not a bad row
    QCOMPARE(file.rows.size(), 2);
    const auto at = std::find_if(file.rows.begin(), file.rows.end(), [&](const CaptionRow &r) { return r.line == line; });
    QVERIFY(at != file.rows.end());
    const CaptionRow &row = *at;
    QCOMPARE(row.caption.size(), 40);
    QVERIFY(row.caption.startsWith(u"a long caption a long"_qs));
    QCOMPARE(file.notices.size(), 1);
    QCOMPARE(file.notices[0].line, line);
    QVERIFY2(file.notices[0].message.contains(u"max-caption-chars"_qs) && file.notices[0].message.contains(u"149"_qs),
             qPrintable(file.notices[0].message));

    // The default options follow the process-wide limit.
    const testing::ScopedLimit scoped(&Limits::maxCaptionChars, 20);
    CaptionOptions defaults;
    defaults.requireImages = false;
    const CaptionFile cut = parseCaptionBytes(bytes, QDir::temp().filePath(name), defaults);
    QCOMPARE(cut.notices.size(), 1);
    for (const CaptionRow &r : cut.rows)
        QVERIFY(r.caption.size() <= 20);
}

void TestLimits::folderScanKeepsFirstFiles_data()
{
    QTest::addColumn<int>("files");
    QTest::addColumn<int>("limit");
    QTest::newRow("under") << 4 << 10;
    QTest::newRow("at") << 4 << 4;
    QTest::newRow("over") << 7 << 3;
    QTest::newRow("over, nested") << 6 << 1;
}

void TestLimits::folderScanKeepsFirstFiles()
{
    QFETCH(int, files);
    QFETCH(int, limit);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QDir(dir.path()).mkpath(u"sub"_qs);
    QStringList all;
    for (int i = 0; i < files; ++i) {
        // Every other file in a sub-folder: the limit counts the whole tree, in sorted path order.
        const QString path = dir.filePath(u"%1img%2.png"_qs.arg(i % 2 ? u"sub/"_qs : QString()).arg(i));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        all << QFileInfo(path).absoluteFilePath();
    }
    std::sort(all.begin(), all.end());
    const ImageScan scan = scanImages(dir.path(), limit);
    QCOMPARE(scan.truncated, files > limit);
    QCOMPARE(scan.images, all.mid(0, std::min(files, limit)));
    if (files > limit) {
        QCOMPARE(scan.issues.size(), 1);
        QCOMPARE(scan.issues[0].file, QFileInfo(dir.path()).absoluteFilePath());
        QVERIFY2(scan.issues[0].message.contains(QString::number(files))
                     && scan.issues[0].message.contains(u"max-files-per-folder"_qs),
                 qPrintable(scan.issues[0].message));
    } else {
        QVERIFY(scan.issues.isEmpty());
    }
    // The default argument is the process-wide limit.
    const testing::ScopedLimit scoped(&Limits::maxFilesPerFolder, limit);
    QCOMPARE(scanImages(dir.path()).images, scan.images);
}

void TestLimits::tokenizersReadAtMostTheLimit()
{
    QString text;
    for (int i = 0; text.size() < 5000; ++i)
        text += u"word%1 "_qs.arg(i % 50);
    const TextTokenizer own = TextTokenizer::train({text.left(600)}, 200, u"bpe"_qs);
    const ClipTokenizer clip(QStringLiteral(COSPACE_TEST_DATA) + u"/clip/bpe_simple_vocab_16e6.txt.gz"_qs);
    const std::vector<int> ownFull = own.encode(text), clipFull = clip.encode(text);

    const testing::ScopedLimit scoped(&Limits::maxCaptionChars, 100);
    QCOMPARE(own.encode(text), own.encode(text.left(100)));
    QCOMPARE(clip.encode(text), clip.encode(text.left(100)));
    QVERIFY(own.encode(text).size() < ownFull.size());
    QVERIFY(clip.encode(text).size() < clipFull.size());
    // One unbroken 200,000-letter word: bounded, so BPE stays fast (it is superlinear in a word's length).
    const QString word(200'000, u'q');
    QCOMPARE(clip.encode(word), clip.encode(word.left(100)));
    QVERIFY(!own.encode(word).empty());
}

void TestLimits::oversizedConfigIsRefused_data()
{
    QTest::addColumn<QString>("preset");
    QTest::addColumn<int>("widthScale");   // multiplies every image width and the text width
    QTest::addColumn<qint64>("limitMB");
    QTest::addColumn<bool>("refused");
    QTest::newRow("tiny under 2 MiB") << u"tiny"_qs << 1 << qint64(2) << false;
    QTest::newRow("default under 20 MiB") << u"default"_qs << 1 << qint64(20) << false;
    QTest::newRow("default over 5 MiB") << u"default"_qs << 1 << qint64(5) << true;
    QTest::newRow("giant under the default limit") << u"default"_qs << 8 << qint64(4096) << false;
    QTest::newRow("giant over 64 MiB") << u"default"_qs << 8 << qint64(64) << true;
}

void TestLimits::oversizedConfigIsRefused()
{
    QFETCH(QString, preset);
    QFETCH(int, widthScale);
    QFETCH(qint64, limitMB);
    QFETCH(bool, refused);
    SharedSpaceConfig c = SharedSpaceConfig::preset(preset);
    for (int &w : c.image.widths)
        w *= widthScale;
    c.text.width *= widthScale;
    const std::int64_t params = c.parameterCount(3000);
    QVERIFY(params > 0);
    QCOMPARE(params * 4 > limitMB << 20, refused);
    const testing::ScopedLimit scoped(&Limits::maxModelMB, limitMB);
    if (refused) {
        try {
            c.checkSizeLimit(3000);
            QFAIL("no exception");
        } catch (const std::runtime_error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(u"max-model-mb"_qs), e.what());
        }
    } else {
        c.checkSizeLimit(3000);
    }
}

QTEST_GUILESS_MAIN(TestLimits)
#include "tst_limits.moc"
