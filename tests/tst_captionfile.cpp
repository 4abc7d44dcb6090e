// Every paired-captions format, with good and bad rows; bad rows are asserted by line number.

#include "core/data/captionfile.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;

class TestCaptionFile : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void parse_data();
    void parse();
    void detectsFormat_data();
    void detectsFormat();
    void imageRootAndFlickrFolders();
    void missingFileIsOneIssue();
    void formatNamesRoundTrip();

private:
    QString write(const QString &name, const QByteArray &bytes);
    QTemporaryDir m_dir;
};

void TestCaptionFile::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QDir(m_dir.path()).mkpath(u"sub"_qs);
    for (const char *name : {"a.png", "b.png", "sub/c.png", "Ünïcødé 图.png"})
        write(QString::fromUtf8(name), "not really a png, only needs to exist");
}

QString TestCaptionFile::write(const QString &name, const QByteArray &bytes)
{
    const QString path = QDir(m_dir.path()).absoluteFilePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        qFatal("cannot write fixture %s", qPrintable(path));
    return path;
}

using Lines = QList<int>;

void TestCaptionFile::parse_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<int>("format");
    QTest::addColumn<Lines>("rowLines");
    QTest::addColumn<Lines>("issueLines");
    QTest::addColumn<QString>("firstCaption");

    const int tsv = int(CaptionFormat::Tsv), csv = int(CaptionFormat::Csv), jsonl = int(CaptionFormat::JsonLines);
    const int coco = int(CaptionFormat::Coco), flickr = int(CaptionFormat::Flickr);

    QTest::newRow("tsv good, many captions per image")
        << "good.tsv" << QByteArray("a.png\tred circle\nb.png\tblue square\na.png\tanother one\n")
        << tsv << Lines{1, 2, 3} << Lines{} << "red circle";
    QTest::newRow("tsv BOM, CRLF, header")
        << "bom.tsv" << QByteArray("\xEF\xBB\xBFimage\tcaption\r\na.png\t  red   circle \r\nsub/c.png\tnested\r\n")
        << tsv << Lines{2, 3} << Lines{} << "red circle";
    QTest::newRow("tsv unicode path and caption")
        << "uni.tsv" << QByteArray("Ünïcødé 图.png\tun café très noir ☕\n")
        << tsv << Lines{1} << Lines{} << QString::fromUtf8("un café très noir ☕");
    QTest::newRow("tsv bad rows")
        << "bad.tsv"
        << QByteArray("a.png\tok\nmissing.png\tx\nb.png\t   \nno caption field\nb.png\t\xff\xfe bad\n\n"
                      "\tno image\nsub/c.png\tnested\n")
        << tsv << Lines{1, 8} << Lines{2, 3, 4, 5, 7} << "ok";
    QTest::newRow("csv quoting, header, multi-line field")
        << "good.csv"
        << QByteArray("image,caption\na.png,\"a red, round thing\"\nb.png,\"multi\nline\"\nsub/c.png,\"say \"\"hi\"\"\"\n")
        << csv << Lines{2, 3, 5} << Lines{} << "a red, round thing";
    QTest::newRow("csv bad rows, CRLF")
        << "bad.csv" << QByteArray("a.png,ok\r\nb.png\r\nmissing.png,x\r\nb.png,\r\n\"a.png,unterminated\r\n")
        << csv << Lines{1} << Lines{2, 3, 4, 5} << "ok";
    QTest::newRow("jsonl good and bad")
        << "mixed.jsonl"
        << QByteArray("{\"image\":\"a.png\",\"caption\":\"x\"}\n{bad json}\n{\"image\":\"b.png\"}\n[\"array\"]\n"
                      "{\"image\":\"b.png\",\"caption\":\"\"}\n{\"image\":\"sub/c.png\",\"caption\":\"ok\"}\n"
                      "{\"image\":\"a.png\",\"caption\":\"\xc3\x28\"}\n{\"image\":7,\"caption\":\"n\"}\n")
        << jsonl << Lines{1, 6} << Lines{2, 3, 4, 5, 7, 8} << "x";
    const QByteArray cocoDoc = "{\n"
                               "  \"images\": [\n"
                               "    {\"id\": 1, \"file_name\": \"a.png\"},\n"
                               "    {\"id\": 2, \"file_name\": \"b.png\"}\n"
                               "  ],\n"
                               "  \"annotations\": [\n"
                               "    {\"id\": 10, \"image_id\": 1, \"caption\": \"first\"},\n"       // line 7
                               "    {\"id\": 11, \"image_id\": 9, \"caption\": \"unknown id\"},\n"  // line 8
                               "    {\"id\": 12, \"image_id\": 2},\n"                               // line 9
                               "    {\"id\": 13,\n"                                                 // line 10
                               "     \"image_id\": 2, \"caption\": \"second {with} [brackets]\"}\n"
                               "  ]\n"
                               "}\n";
    QTest::newRow("coco pretty-printed") << "captions.json" << cocoDoc << coco << Lines{7, 10} << Lines{8, 9} << "first";
    QTest::newRow("coco broken json") << "broken.json" << QByteArray("{\n\"images\": [,\n]}") << coco << Lines{}
                                      << Lines{2} << QString();
    QTest::newRow("flickr token file")
        << "Flickr8k.token.txt" << QByteArray("a.png#0\tcap one\na.png#1\tcap two\nmissing.png#0\tx\n")
        << flickr << Lines{1, 2} << Lines{3} << "cap one";
}

void TestCaptionFile::parse()
{
    QFETCH(QString, fileName);
    QFETCH(QByteArray, content);
    QFETCH(int, format);
    QFETCH(Lines, rowLines);
    QFETCH(Lines, issueLines);
    QFETCH(QString, firstCaption);

    const QString path = write(fileName, content);
    const CaptionFile file = readCaptionFile(path);
    QCOMPARE(int(file.format), format);
    Lines gotRows, gotIssues;
    for (const CaptionRow &row : file.rows) {
        gotRows << row.line;
        QVERIFY2(QFileInfo(row.image).isAbsolute(), qPrintable(row.image));
        QVERIFY2(QFileInfo::exists(row.image), qPrintable(row.image));
        QVERIFY(!row.caption.isEmpty());
    }
    for (const ParseIssue &issue : file.issues) {
        gotIssues << issue.line;
        QCOMPARE(issue.file, path);
        QVERIFY(issue.toString().startsWith(fileName + u':'));
        QVERIFY(!issue.message.isEmpty());
    }
    QCOMPARE(gotRows, rowLines);
    QCOMPARE(gotIssues, issueLines);
    if (!firstCaption.isEmpty())
        QCOMPARE(file.rows.first().caption, firstCaption);
}

void TestCaptionFile::detectsFormat_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<int>("format");
    QTest::newRow("tsv") << "x.tsv" << QByteArray("a.png\tcap") << int(CaptionFormat::Tsv);
    QTest::newRow("txt flickr") << "x.txt" << QByteArray("1000_a.jpg#0\tA dog") << int(CaptionFormat::Flickr);
    QTest::newRow("csv") << "x.csv" << QByteArray("a.png,cap") << int(CaptionFormat::Csv);
    QTest::newRow("jsonl") << "x.jsonl" << QByteArray("{\"image\":1}") << int(CaptionFormat::JsonLines);
    QTest::newRow("json lines in .json") << "x.json" << QByteArray("{\"image\":\"a\",\"caption\":\"b\"}\n{")
                                         << int(CaptionFormat::JsonLines);
    QTest::newRow("coco") << "x.json" << QByteArray("{\"images\":[],\"annotations\":[]}") << int(CaptionFormat::Coco);
    QTest::newRow("coco pretty") << "x.json" << QByteArray("{\n \"images\": [") << int(CaptionFormat::Coco);
}

void TestCaptionFile::detectsFormat()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, head);
    QFETCH(int, format);
    QCOMPARE(int(detectCaptionFormat(path, head)), format);
}

void TestCaptionFile::imageRootAndFlickrFolders()
{
    // Flickr8k keeps its token file in a text folder beside "Flicker8k_Dataset".
    QDir(m_dir.path()).mkpath(u"flickr/Flickr8k_text"_qs);
    QDir(m_dir.path()).mkpath(u"flickr/Flicker8k_Dataset"_qs);
    write(u"flickr/Flicker8k_Dataset/1000.jpg"_qs, "x");
    const QString token = write(u"flickr/Flickr8k_text/Flickr8k.token.txt"_qs, "1000.jpg#0\tA dog runs\n");
    const CaptionFile flickr = readCaptionFile(token);
    QCOMPARE(flickr.rows.size(), 1);
    QVERIFY(flickr.rows[0].image.endsWith(u"Flicker8k_Dataset/1000.jpg"));

    const QString tsv = write(u"flickr/rooted.tsv"_qs, "1000.jpg\tcap\n");
    CaptionOptions options;
    options.imageRoot = QDir(m_dir.path()).absoluteFilePath(u"flickr/Flicker8k_Dataset"_qs);
    QCOMPARE(readCaptionFile(tsv, options).rows.size(), 1);
    QCOMPARE(readCaptionFile(tsv).issues.size(), 1);
    options.requireImages = false;
    options.imageRoot.clear();
    QCOMPARE(readCaptionFile(tsv, options).rows.size(), 1);
}

void TestCaptionFile::missingFileIsOneIssue()
{
    const CaptionFile file = readCaptionFile(m_dir.path() + u"/nope.tsv"_qs);
    QVERIFY(file.rows.isEmpty());
    QCOMPARE(file.issues.size(), 1);
    QCOMPARE(file.issues[0].line, 0);
    QVERIFY(file.issues[0].message.contains(u"cannot read"));
}

void TestCaptionFile::formatNamesRoundTrip()
{
    for (CaptionFormat f : {CaptionFormat::Auto, CaptionFormat::Tsv, CaptionFormat::Csv, CaptionFormat::JsonLines,
                            CaptionFormat::Coco, CaptionFormat::Flickr}) {
        CaptionFormat parsed = CaptionFormat::Auto;
        QVERIFY(parseCaptionFormat(captionFormatName(f), &parsed));
        QCOMPARE(parsed, f);
    }
    CaptionFormat unused;
    QVERIFY(!parseCaptionFormat(u"xml"_qs, &unused));
}

QTEST_GUILESS_MAIN(TestCaptionFile)
#include "tst_captionfile.moc"
