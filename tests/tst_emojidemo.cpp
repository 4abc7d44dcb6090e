// The emoji demos, offline: a fake npm cache with tiny stand-ins for both packages exercises the
// code-point join, caption rows, licences, and the OpenMoji SVG rasteriser.

#include "core/data/captionfile.h"
#include "core/data/emojidemo.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;

namespace {
void put(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

const char kSvg[] = R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72"><circle cx="36" cy="36" r="30" fill="#FCEA2B"/></svg>)";
}  // namespace

class TestEmojiDemo : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void joinKey_data();
    void joinKey();
    void googleStyle();
    void openMojiStyle();
    void twemojiStyle();
    void missingNpmIsAClearError();

private:
    QTemporaryDir m_cache;
    EmojiDemoOptions m_options;
};

void TestEmojiDemo::initTestCase()
{
    QVERIFY(m_cache.isValid());
    const QString om = m_cache.filePath(u"openmoji-17.0.0"_qs);
    put(om + u"/.complete"_qs, {});
    put(om + u"/package/data/openmoji.json"_qs, R"([
      {"hexcode": "1F600", "annotation": "grinning face", "tags": "face, grin", "subgroups": "face-smiling", "skintone_base_hexcode": ""},
      {"hexcode": "2764", "annotation": "red heart", "tags": "love", "subgroups": "heart", "skintone_base_hexcode": ""},
      {"hexcode": "1F44B", "annotation": "waving hand", "tags": "hello, wave", "subgroups": "hand-fingers-open", "skintone_base_hexcode": "1F44B"},
      {"hexcode": "1F44B-1F3FB", "annotation": "waving hand: light skin tone", "tags": "", "subgroups": "hand-fingers-open", "skintone_base_hexcode": "1F44B"}
    ])");
    for (const char *hex : {"1F600", "1F44B", "1F44B-1F3FB"})
        put(om + u"/package/color/svg/"_qs + QLatin1String(hex) + u".svg"_qs, kSvg);

    const QString g = m_cache.filePath(u"emoji-datasource-google-16.0.0"_qs);
    put(g + u"/.complete"_qs, {});
    put(g + u"/package/emoji.json"_qs, R"([
      {"unified": "1F600", "image": "1f600.png", "has_img_google": true},
      {"unified": "2764-FE0F", "image": "2764-fe0f.png", "has_img_google": true},
      {"unified": "1F9FF", "image": "1f9ff.png", "has_img_google": true},
      {"unified": "1F47E", "image": "1f47e.png", "has_img_google": false},
      {"unified": "1F44B", "image": "1f44b.png", "has_img_google": true,
       "skin_variations": {"1F3FB": {"unified": "1F44B-1F3FB", "image": "1f44b-1f3fb.png", "has_img_google": true}}}
    ])");
    QImage png(64, 64, QImage::Format_ARGB32);
    png.fill(Qt::red);
    QDir().mkpath(g + u"/package/img/google/64"_qs);
    for (const char *name : {"1f600.png", "2764-fe0f.png", "1f9ff.png", "1f44b.png", "1f44b-1f3fb.png"})
        QVERIFY(png.save(g + u"/package/img/google/64/"_qs + QLatin1String(name)));
    // Twemoji: its own image list (no heart art here, but a space invader the others lack).
    const QString t = m_cache.filePath(u"emoji-datasource-twitter-16.0.0"_qs);
    put(t + u"/.complete"_qs, {});
    put(t + u"/package/emoji.json"_qs, R"([
      {"unified": "1F600", "image": "1f600.png", "has_img_twitter": true, "has_img_google": false},
      {"unified": "2764-FE0F", "image": "2764-fe0f.png", "has_img_twitter": false}
    ])");
    QImage blue(64, 64, QImage::Format_ARGB32);
    blue.fill(Qt::blue);
    QDir().mkpath(t + u"/package/img/twitter/64"_qs);
    QVERIFY(blue.save(t + u"/package/img/twitter/64/1f600.png"_qs));
    m_options.cacheDir = m_cache.path();
    m_options.npmProgram = u"/nonexistent/npm"_qs;  // the cache must be enough
}

void TestEmojiDemo::joinKey_data()
{
    QTest::addColumn<QString>("codepoints");
    QTest::addColumn<QString>("key");
    QTest::newRow("plain") << "1f600" << "1F600";
    QTest::newRow("variation selector") << "2764-FE0F" << "2764";
    QTest::newRow("zwj sequence") << "1F468-200D-2764-FE0F-200D-1F468" << "1F468-200D-2764-200D-1F468";
}

void TestEmojiDemo::joinKey()
{
    QFETCH(QString, codepoints);
    QFETCH(QString, key);
    QCOMPARE(emojiJoinKey(codepoints), key);
}

void TestEmojiDemo::googleStyle()
{
    QTemporaryDir out;
    JobControl job;
    const EmojiDemoResult r = writeEmojiDemo(out.path(), EmojiStyle::Google, m_options, &job);
    QCOMPARE(r.images, 4);      // 1F600, 2764-FE0F (joined without FE0F), 1F44B and its skin tone
    QCOMPARE(r.unmatched, 1);   // 1F9FF has no annotation; 1F47E has no Google image
    QCOMPARE(r.captions, 12);
    QVERIFY(QFileInfo::exists(out.filePath(u"images/2764-fe0f.png"_qs)));
    QVERIFY(QFile(out.filePath(u"LICENSES.md"_qs)).size() > 100);

    const CaptionFile captions = readCaptionFile(out.filePath(u"captions.tsv"_qs));
    QVERIFY(captions.issues.isEmpty());
    QCOMPARE(captions.rows.size(), 12);
    QCOMPARE(captions.distinctImages(), 4);
    QStringList texts;
    for (const CaptionRow &row : captions.rows)
        texts << row.caption;
    QVERIFY(texts.contains(u"grinning face"_qs));
    QVERIFY(texts.contains(u"grinning face: face, grin"_qs));
    QVERIFY(texts.contains(u"face smiling emoji: grinning face"_qs));
    QVERIFY(texts.contains(u"red heart: love"_qs));
    // A skin-tone variant borrows its base emoji's tags.
    QVERIFY(texts.contains(u"waving hand: light skin tone: hello, wave"_qs));
}

void TestEmojiDemo::openMojiStyle()
{
    QTemporaryDir out;
    EmojiDemoOptions options = m_options;
    options.imageSize = 32;
    const EmojiDemoResult r = writeEmojiDemo(out.path(), EmojiStyle::OpenMoji, options);
    QCOMPARE(r.images, 3);      // the heart has no SVG in this fake package
    QCOMPARE(r.unmatched, 2);
    const QImage img(out.filePath(u"images/1f600.png"_qs));
    QCOMPARE(img.size(), QSize(32, 32));
    // The rasterised circle is yellow in the middle and transparent in the corner.
    QCOMPARE(img.pixelColor(16, 16).rgb(), QColor(0xFC, 0xEA, 0x2B).rgb());
    QCOMPARE(img.pixelColor(0, 0).alpha(), 0);
    QFile licences(out.filePath(u"LICENSES.md"_qs));
    QVERIFY(licences.open(QIODevice::ReadOnly));
    QVERIFY(licences.readAll().contains("CC BY-SA 4.0"));
}

void TestEmojiDemo::twemojiStyle()
{
    QTemporaryDir out;
    const EmojiDemoResult r = writeEmojiDemo(out.path(), EmojiStyle::Twitter, m_options);
    QCOMPARE(r.images, 1);      // only 1F600 has Twemoji art in this fake package
    QCOMPARE(r.captions, 3);
    QCOMPARE(r.unmatched, 0);   // 2764 is not offered (has_img_twitter false), so not counted
    const QImage img(out.filePath(u"images/1f600.png"_qs));
    QCOMPARE(img.pixelColor(10, 10).rgb(), QColor(Qt::blue).rgb());   // the Twemoji file, not Noto's red
    QFile licences(out.filePath(u"LICENSES.md"_qs));
    QVERIFY(licences.open(QIODevice::ReadOnly));
    QVERIFY(licences.readAll().contains("Twemoji"));
}

void TestEmojiDemo::missingNpmIsAClearError()
{
    QTemporaryDir emptyCache, out;
    EmojiDemoOptions options;
    options.cacheDir = emptyCache.path();
    options.npmProgram = u"/nonexistent/npm"_qs;
    try {
        writeEmojiDemo(out.path(), EmojiStyle::Google, options);
        QFAIL("expected an error");
    } catch (const std::runtime_error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(u"cannot run '/nonexistent/npm'"), e.what());
    }
}

QTEST_GUILESS_MAIN(TestEmojiDemo)
#include "tst_emojidemo.moc"
