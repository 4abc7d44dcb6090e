// Thumbnails shared with the desktop (freedesktop.org Thumbnail Managing Standard): where they go,
// what they say (tEXt keys), when they are stale, that a file manager's are used, and that shard
// members go into Cospace's own cache instead.

#include "tarfixture_p.h"

#include "core/data/shards.h"
#include "core/data/thumbnails.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

using namespace cospace;
using namespace cospace::test;

namespace {

QString writePhoto(const QString &path, QSize size, QColor colour)
{
    QImage img(size, QImage::Format_RGB32);
    img.fill(colour);
    img.save(path, "JPG", 90);
    return path;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return f.readAll();
}

QString textValue(const QList<QPair<QByteArray, QByteArray>> &chunks, const QByteArray &key)
{
    for (const auto &[k, v] : chunks)
        if (k == key)
            return QString::fromLatin1(v);
    return {};
}

}  // namespace

class TestThumbnails : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void uriAndPath();
    void writesStandardThumbnail();
    void reusesAndInvalidates();
    void readsFileManagersLargeFlavour();
    void damagedSharedThumbnailIsRemade_data();
    void damagedSharedThumbnailIsRemade();
    void smallImagesAreTheirOwnThumbnail();
    void shardMembersUseOwnCache();
    void unreadableImage();

private:
    ThumbnailOptions options() const
    {
        ThumbnailOptions o;
        o.sharedRoot = m_dir.filePath(u"cache/thumbnails"_qs);
        o.ownRoot = m_dir.filePath(u"cache/cospace/thumbnails"_qs);
        return o;
    }
    QTemporaryDir m_dir;
};

void TestThumbnails::initTestCase() { QDir().mkpath(m_dir.filePath(u"photos"_qs)); }

void TestThumbnails::uriAndPath()
{
    const QString photo = writePhoto(m_dir.filePath(u"photos/a b é.jpg"_qs), {300, 200}, Qt::red);
    const QString uri = thumbnailUri(photo);
    QVERIFY(uri.startsWith(u"file:///"));
    QVERIFY2(uri.endsWith(u"/photos/a%20b%20%C3%A9.jpg"), qPrintable(uri));   // RFC 2396, UTF-8 escaped
    const QString expected = u"/tmp/t/normal/"_qs
                             + QString::fromLatin1(QCryptographicHash::hash(uri.toUtf8(), QCryptographicHash::Md5).toHex())
                             + u".png"_qs;
    QCOMPARE(sharedThumbnailPath(uri, 100, u"/tmp/t"_qs), expected);
    QVERIFY(sharedThumbnailPath(uri, 256, u"/tmp/t"_qs).contains(u"/large/"));
    QVERIFY(sharedThumbnailPath(uri, 400, u"/tmp/t"_qs).contains(u"/x-large/"));
    QCOMPARE(thumbnailFlavour(64), 128);
    QCOMPARE(thumbnailFlavour(2000), 1024);
}

void TestThumbnails::writesStandardThumbnail()
{
    const QString photo = writePhoto(m_dir.filePath(u"photos/std.jpg"_qs), {640, 480}, Qt::blue);
    const Thumbnail t = loadThumbnail(photo, options());
    QCOMPARE(t.origin, ThumbnailOrigin::Made);
    QCOMPARE(t.image.size(), QSize(128, 96));
    const QString file = sharedThumbnailPath(thumbnailUri(photo), 128, options().sharedRoot);
    QVERIFY2(QFileInfo::exists(file), qPrintable(file));
    QCOMPARE(QFileInfo(file).permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteOther),
             QFileDevice::Permissions{});   // 0600
    const QList<QPair<QByteArray, QByteArray>> text = pngTextChunks(readAll(file));   // tEXt, not zTXt
    QCOMPARE(textValue(text, "Thumb::URI"), thumbnailUri(photo));
    QCOMPARE(textValue(text, "Thumb::MTime"), QString::number(QFileInfo(photo).lastModified().toSecsSinceEpoch()));
    QCOMPARE(textValue(text, "Thumb::Size"), QString::number(QFileInfo(photo).size()));
    QCOMPARE(textValue(text, "Thumb::Image::Width"), u"640"_qs);
    QCOMPARE(textValue(text, "Thumb::Mimetype"), u"image/jpeg"_qs);
    QVERIFY(textValue(text, "Software").startsWith(u"Cospace"));
    QImage back(file);
    QCOMPARE(back.size(), QSize(128, 96));
    QVERIFY(QDir(QFileInfo(file).absolutePath()).entryList({u".cospace-*"_qs}, QDir::Hidden | QDir::Files).isEmpty());
}

void TestThumbnails::reusesAndInvalidates()
{
    const QString photo = writePhoto(m_dir.filePath(u"photos/stale.jpg"_qs), {400, 400}, Qt::green);
    QCOMPARE(loadThumbnail(photo, options()).origin, ThumbnailOrigin::Made);
    QCOMPARE(loadThumbnail(photo, options()).origin, ThumbnailOrigin::SharedCache);
    // The photo is edited: its mtime no longer matches Thumb::MTime, so it is made again.
    writePhoto(photo, {400, 400}, Qt::red);
    QFile edited(photo);
    QVERIFY(edited.open(QIODevice::ReadWrite));   // setFileTime needs an open file
    QVERIFY(edited.setFileTime(QDateTime::currentDateTime().addSecs(10), QFileDevice::FileModificationTime));
    edited.close();
    const Thumbnail t = loadThumbnail(photo, options());
    QCOMPARE(t.origin, ThumbnailOrigin::Made);
    QVERIFY(qRed(t.image.pixel(64, 64)) > 200);
    QCOMPARE(loadThumbnail(photo, options()).origin, ThumbnailOrigin::SharedCache);
}

void TestThumbnails::readsFileManagersLargeFlavour()
{
    // A file manager made only a "large" thumbnail, with its own keys (and Qt's text writer).
    const QString photo = writePhoto(m_dir.filePath(u"photos/fm.jpg"_qs), {1000, 500}, Qt::yellow);
    QImage large(256, 128, QImage::Format_RGB32);
    large.fill(Qt::magenta);   // not the photo's colour: proves the cache was read
    large.setText(u"Thumb::URI"_qs, thumbnailUri(photo));
    large.setText(u"Thumb::MTime"_qs, QString::number(QFileInfo(photo).lastModified().toSecsSinceEpoch()));
    const QString file = sharedThumbnailPath(thumbnailUri(photo), 256, options().sharedRoot);
    QDir().mkpath(QFileInfo(file).absolutePath());
    QVERIFY(large.save(file, "PNG"));
    ThumbnailOptions o = options();
    o.write = false;
    const Thumbnail t = loadThumbnail(photo, o);
    QCOMPARE(t.origin, ThumbnailOrigin::SharedCache);
    QCOMPARE(t.image.size(), QSize(128, 64));
    QCOMPARE(QColor(t.image.pixel(10, 10)), QColor(Qt::magenta));
}

void TestThumbnails::damagedSharedThumbnailIsRemade_data()
{
    QTest::addColumn<QString>("damage");
    QTest::addColumn<bool>("used");
    QTest::newRow("sound (control)") << u"none"_qs << true;
    QTest::newRow("a chunk declares 1.2 GB") << u"huge chunk"_qs << false;   // fuzz_thumbnail's 12 s input
    QTest::newRow("cut before IEND") << u"truncated"_qs << false;
    QTest::newRow("not a PNG") << u"signature"_qs << false;
}

void TestThumbnails::damagedSharedThumbnailIsRemade()
{
    QFETCH(QString, damage);
    QFETCH(bool, used);
    const QString photo = writePhoto(m_dir.filePath(u"photos/damaged-%1.jpg"_qs.arg(QTest::currentDataTag()).replace(u' ', u'-')),
                                     {300, 300}, Qt::blue);
    QImage thumb(128, 128, QImage::Format_RGB32);
    thumb.fill(Qt::magenta);
    thumb.setText(u"Thumb::URI"_qs, thumbnailUri(photo));
    thumb.setText(u"Thumb::MTime"_qs, QString::number(QFileInfo(photo).lastModified().toSecsSinceEpoch()));
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(thumb.save(&buffer, "PNG"));
    QByteArray png = buffer.data();
    const qsizetype text = png.indexOf("tEXt");
    QVERIFY(text > 8);
    if (damage == u"huge chunk")
        png.replace(text - 4, 4, "GIF8");   // 0x47494638 bytes
    else if (damage == u"truncated")
        png.chop(12);
    else if (damage == u"signature")
        png[1] = 'X';
    const QString file = sharedThumbnailPath(thumbnailUri(photo), 128, options().sharedRoot);
    QDir().mkpath(QFileInfo(file).absolutePath());
    QFile out(file);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(png);
    out.close();
    ThumbnailOptions o = options();
    o.write = false;
    const Thumbnail t = loadThumbnail(photo, o);
    QCOMPARE(t.origin, used ? ThumbnailOrigin::SharedCache : ThumbnailOrigin::Made);
    QCOMPARE(QColor(t.image.pixel(10, 10)) == QColor(Qt::magenta), used);
}

void TestThumbnails::smallImagesAreTheirOwnThumbnail()
{
    const QString icon = m_dir.filePath(u"photos/icon.png"_qs);
    QImage img(64, 64, QImage::Format_ARGB32);
    img.fill(Qt::transparent);
    QVERIFY(img.save(icon));
    const Thumbnail t = loadThumbnail(icon, options());
    QCOMPARE(t.origin, ThumbnailOrigin::Made);
    QCOMPARE(t.image.size(), QSize(64, 64));
    QVERIFY(t.image.hasAlphaChannel());   // alpha kept for the map
    QVERIFY(!QFileInfo::exists(sharedThumbnailPath(thumbnailUri(icon), 128, options().sharedRoot)));
}

void TestThumbnails::shardMembersUseOwnCache()
{
    QImage img(300, 150, QImage::Format_RGB32);
    img.fill(Qt::cyan);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    img.save(&buffer, "PNG");
    const QString tar = m_dir.filePath(u"photos/shard.tar"_qs);
    QVERIFY(writeTar(tar, {{"k.png", bytes}, {"k.txt", "cyan"}}));
    const QString item = QFileInfo(tar).absoluteFilePath() + u"#k"_qs;
    const Thumbnail first = loadThumbnail(item, options());
    QCOMPARE(first.origin, ThumbnailOrigin::Made);
    QCOMPARE(first.image.size(), QSize(128, 64));
    QCOMPARE(loadThumbnail(item, options()).origin, ThumbnailOrigin::OwnCache);
    // Nothing in the desktop's cache for it.
    QVERIFY(!QFileInfo::exists(sharedThumbnailPath(thumbnailUri(tar), 128, options().sharedRoot)));
    QDirIterator it(options().sharedRoot, {u"*.png"_qs}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        QVERIFY2(!QImage(it.next()).text(u"Thumb::URI"_qs).contains(u"shard.tar"), qPrintable(it.filePath()));
}

void TestThumbnails::unreadableImage()
{
    const QString bad = m_dir.filePath(u"photos/bad.jpg"_qs);
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not an image");
    f.close();
    const Thumbnail t = loadThumbnail(bad, options());
    QCOMPARE(t.origin, ThumbnailOrigin::Failed);
    QVERIFY(t.image.isNull());
    QVERIFY(!t.error.isEmpty());
}

QTEST_GUILESS_MAIN(TestThumbnails)
#include "tst_thumbnails.moc"
