// decodeImageFile: every kind of bad file gets its reason; good files become 8-bit RGB the way
// the models expect (orientation applied, alpha on white, JPEG reduced in the DCT domain).

#include "core/data/imagedecode.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;
using Rgb = std::array<int, 3>;
Q_DECLARE_METATYPE(Rgb)

namespace {

QString writeImage(const QDir &dir, const QString &name, const QImage &image, const char *format, int quality = 90)
{
    const QString path = dir.filePath(name);
    return image.save(path, format, quality) ? path : QString();   // "" when Qt has no writer
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return f.readAll();
}

void writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(bytes);
}

// An APP1 Exif segment carrying only Orientation, inserted after SOI.
QByteArray withExifOrientation(const QByteArray &jpeg, int orientation)
{
    QByteArray tiff("MM\0*\0\0\0\x08", 8);
    tiff += QByteArray("\0\x01", 2);                                  // one IFD entry
    tiff += QByteArray("\x01\x12\0\x03\0\0\0\x01", 8);                // Orientation, SHORT, count 1
    tiff += char(0);
    tiff += char(orientation);
    tiff += QByteArray(2, '\0');
    tiff += QByteArray(4, '\0');                                      // no next IFD
    const QByteArray payload = QByteArray("Exif\0\0", 6) + tiff;
    QByteArray app1("\xFF\xE1", 2);
    const int len = int(payload.size()) + 2;
    app1 += char(len >> 8);
    app1 += char(len & 0xFF);
    return jpeg.left(2) + app1 + payload + jpeg.mid(2);
}

QImage solid(int w, int h, QColor c, QImage::Format format = QImage::Format_RGB32)
{
    QImage img(w, h, format);
    img.fill(c);
    return img;
}

std::array<int, 3> pixel(const RgbImage &img, int x, int y)
{
    const std::size_t i = (std::size_t(y) * std::size_t(img.width) + std::size_t(x)) * 3;
    return {img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]};
}

bool near(std::array<int, 3> got, std::array<int, 3> want, int tol)
{
    for (int c = 0; c < 3; ++c)
        if (std::abs(got[std::size_t(c)] - want[std::size_t(c)]) > tol)
            return false;
    return true;
}

}  // namespace

class TestImageDecode : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void badFiles_data();
    void badFiles();
    void goodFiles_data();
    void goodFiles();
    void exifOrientation();
    void jpegReduction_data();
    void jpegReduction();
    void cutAnywhere_data();
    void cutAnywhere();

private:
    QTemporaryDir m_dir;
};

void TestImageDecode::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestImageDecode::badFiles_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("failure");
    QTest::addColumn<QString>("reason");
    const QDir d(m_dir.path());
    const QString jpg = writeImage(d, u"ok.jpg"_qs, solid(64, 48, Qt::red), "JPG");
    const QString png = writeImage(d, u"ok.png"_qs, solid(64, 48, Qt::red), "PNG");
    const QByteArray jpgBytes = readAll(jpg), pngBytes = readAll(png);

    writeBytes(d.filePath(u"zero.jpg"_qs), {});
    QTest::newRow("zero bytes") << d.filePath(u"zero.jpg"_qs) << int(DecodeFailure::ZeroBytes) << u"zero bytes"_qs;
    writeBytes(d.filePath(u"text.jpg"_qs), "this is not a picture\n");
    QTest::newRow("not an image") << d.filePath(u"text.jpg"_qs) << int(DecodeFailure::NotAnImage) << u"not an image"_qs;
    writeBytes(d.filePath(u"cut.jpg"_qs), jpgBytes.left(jpgBytes.size() * 2 / 3));
    QTest::newRow("truncated jpeg") << d.filePath(u"cut.jpg"_qs) << int(DecodeFailure::Truncated) << u"truncated JPEG"_qs;
    writeBytes(d.filePath(u"cut.png"_qs), pngBytes.left(pngBytes.size() - 20));
    QTest::newRow("truncated png") << d.filePath(u"cut.png"_qs) << int(DecodeFailure::Truncated) << u"truncated PNG"_qs;
    writeBytes(d.filePath(u"head.png"_qs), pngBytes.left(12));
    QTest::newRow("truncated header") << d.filePath(u"head.png"_qs) << int(DecodeFailure::Truncated) << u"header"_qs;
    // A decompression bomb: a PNG whose header claims 20000 x 20000 (400 MP).
    QByteArray bomb = pngBytes;
    const char big[4] = {0, 0, char(0x4E), char(0x20)};   // 20000, big-endian
    bomb.replace(16, 4, QByteArray(big, 4));
    bomb.replace(20, 4, QByteArray(big, 4));
    writeBytes(d.filePath(u"bomb.png"_qs), bomb);
    QTest::newRow("too large") << d.filePath(u"bomb.png"_qs) << int(DecodeFailure::TooLarge) << u"too large"_qs;
    QFile::link(d.filePath(u"gone.jpg"_qs), d.filePath(u"dangling.jpg"_qs));
    QTest::newRow("broken link") << d.filePath(u"dangling.jpg"_qs) << int(DecodeFailure::BrokenLink) << u"broken link"_qs;
    QTest::newRow("missing") << d.filePath(u"nothing.jpg"_qs) << int(DecodeFailure::Unreadable) << u"unreadable"_qs;
    d.mkdir(u"folder.jpg"_qs);
    QTest::newRow("folder") << d.filePath(u"folder.jpg"_qs) << int(DecodeFailure::Unreadable) << u"unreadable"_qs;
    // Valid structure, garbage entropy data: the decoder must say no without crashing.
    QByteArray garbled = pngBytes;
    for (qsizetype i = 41; i < garbled.size() - 16; ++i)
        garbled[i] = char(i * 37);
    writeBytes(d.filePath(u"garbled.png"_qs), garbled);
    QTest::newRow("corrupt png") << d.filePath(u"garbled.png"_qs) << int(DecodeFailure::Corrupt) << u"corrupt"_qs;
}

void TestImageDecode::badFiles()
{
    QFETCH(QString, path);
    QFETCH(int, failure);
    QFETCH(QString, reason);
    const DecodedImage r = decodeImageFile(path, {});
    QVERIFY2(!r.ok(), qPrintable(path));
    QCOMPARE(int(r.failure), failure);
    QVERIFY2(r.reason.contains(reason), qPrintable(r.reason));
    QVERIFY(r.image.isNull());
    QVERIFY(!decodeFailureName(r.failure).isEmpty());
}

void TestImageDecode::goodFiles_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<Rgb>("centre");
    QTest::addColumn<int>("tolerance");
    const QDir d(m_dir.path());
    const QColor teal(10, 200, 150);
    QTest::newRow("png rgb") << writeImage(d, u"a.png"_qs, solid(30, 20, teal), "PNG") << 30 << 20
                             << std::array{10, 200, 150} << 0;
    QTest::newRow("jpeg") << writeImage(d, u"a.jpg"_qs, solid(30, 20, teal), "JPG", 100) << 30 << 20
                          << std::array{10, 200, 150} << 3;
    QTest::newRow("bmp") << writeImage(d, u"a.bmp"_qs, solid(30, 20, teal), "BMP") << 30 << 20
                         << std::array{10, 200, 150} << 0;
    QTest::newRow("alpha over white") << writeImage(d, u"half.png"_qs, solid(8, 8, QColor(0, 0, 0, 128), QImage::Format_ARGB32), "PNG")
                                      << 8 << 8 << std::array{127, 127, 127} << 1;
    QTest::newRow("transparent") << writeImage(d, u"clear.png"_qs, solid(8, 8, Qt::transparent, QImage::Format_ARGB32), "PNG")
                                 << 8 << 8 << std::array{255, 255, 255} << 0;
    QTest::newRow("grey") << writeImage(d, u"grey.png"_qs, solid(9, 7, QColor(90, 90, 90), QImage::Format_Grayscale8), "PNG")
                          << 9 << 7 << std::array{90, 90, 90} << 0;
    QImage deep(6, 6, QImage::Format_RGBA64);
    deep.fill(QColor::fromRgba64(65535, 32896, 0, 65535));
    QTest::newRow("16-bit png") << writeImage(d, u"deep.png"_qs, deep, "PNG") << 6 << 6 << std::array{255, 128, 0} << 1;
    QImage grey16(6, 6, QImage::Format_Grayscale16);
    grey16.fill(QColor::fromRgba64(25700, 25700, 25700, 65535));
    QTest::newRow("16-bit grey") << writeImage(d, u"grey16.png"_qs, grey16, "PNG") << 6 << 6 << std::array{100, 100, 100} << 1;
    // Written by the Python fixture (Qt has no GIF or CMYK writer): first frame blue, second red.
    QTest::newRow("gif first frame") << QStringLiteral(COSPACE_TINY_CLIP "/decode/two_frames.gif") << 12 << 10
                                     << std::array{0, 0, 255} << 0;
    const QString cmyk = QStringLiteral(COSPACE_TINY_CLIP "/decode/cmyk_red.jpg");
    QTest::newRow("cmyk jpeg") << cmyk << 40 << 30 << std::array{255, 0, 0} << 4;
    const QString decode = QStringLiteral(COSPACE_TINY_CLIP "/decode/");
    QTest::newRow("webp transparent") << decode + u"clear.webp"_qs << 20 << 16 << std::array{255, 255, 255} << 0;
    QTest::newRow("webp lossy") << decode + u"flat.webp"_qs << 20 << 16 << std::array{30, 60, 90} << 4;
    QTest::newRow("tiff 16-bit grey") << decode + u"grey16.tif"_qs << 10 << 8 << std::array{128, 128, 128} << 1;
    QTest::newRow("tiff lzw") << decode + u"lzw.tif"_qs << 10 << 8 << std::array{200, 100, 50} << 0;
}

void TestImageDecode::goodFiles()
{
    QFETCH(QString, path);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(Rgb, centre);
    QFETCH(int, tolerance);
    if (path.isEmpty())
        QSKIP("this Qt cannot write the format");
    const DecodedImage r = decodeImageFile(path, {});
    QVERIFY2(r.ok(), qPrintable(r.reason));
    QCOMPARE(r.image.width, width);
    QCOMPARE(r.image.height, height);
    QCOMPARE(r.image.pixels.size(), std::size_t(width * height * 3));
    const auto got = pixel(r.image, width / 2, height / 2);
    QVERIFY2(near(got, centre, tolerance), qPrintable(u"got %1 %2 %3"_qs.arg(got[0]).arg(got[1]).arg(got[2])));
}

void TestImageDecode::exifOrientation()
{
    // 40 x 20 stored, left half red; orientation 6 (rotate 90 degrees clockwise to display).
    QImage img = solid(40, 20, Qt::blue);
    for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 20; ++x)
            img.setPixelColor(x, y, Qt::red);
    const QDir d(m_dir.path());
    const QString plain = writeImage(d, u"plain.jpg"_qs, img, "JPG", 100);
    const QString rotated = d.filePath(u"rotated.jpg"_qs);
    writeBytes(rotated, withExifOrientation(readAll(plain), 6));
    const DecodedImage r = decodeImageFile(rotated, {});
    QVERIFY2(r.ok(), qPrintable(r.reason));
    QCOMPARE(r.image.width, 20);
    QCOMPARE(r.image.height, 40);
    // Rotated clockwise, the stored left (red) half is now the top.
    QVERIFY(near(pixel(r.image, 10, 5), {255, 0, 0}, 30));
    QVERIFY(near(pixel(r.image, 10, 35), {0, 0, 255}, 30));
}

void TestImageDecode::jpegReduction_data()
{
    QTest::addColumn<int>("minShortSide");
    QTest::addColumn<int>("factor");
    QTest::newRow("full size") << 0 << 1;
    QTest::newRow("exactly 1/4") << 200 << 4;
    QTest::newRow("1/2") << 300 << 2;
    QTest::newRow("1/8") << 100 << 8;
    QTest::newRow("too small to reduce") << 500 << 1;
}

void TestImageDecode::jpegReduction()
{
    QFETCH(int, minShortSide);
    QFETCH(int, factor);
    const QString path = writeImage(QDir(m_dir.path()), u"big.jpg"_qs, solid(1000, 800, QColor(200, 40, 40)), "JPG");
    DecodeOptions o;
    o.minShortSide = minShortSide;
    const DecodedImage r = decodeImageFile(path, o);
    QVERIFY2(r.ok(), qPrintable(r.reason));
    QCOMPARE(r.reduction, factor);
    QCOMPARE(r.image.width, 1000 / factor);
    QCOMPARE(r.image.height, 800 / factor);
    QVERIFY(std::min(r.image.width, r.image.height) >= minShortSide);
    QVERIFY(near(pixel(r.image, r.image.width / 2, r.image.height / 2), {200, 40, 40}, 4));
    o.maxPixels = 799'999;
    QCOMPARE(int(decodeImageFile(path, o).failure), int(DecodeFailure::TooLarge));
}

void TestImageDecode::cutAnywhere_data()
{
    QTest::addColumn<QString>("format");
    QTest::newRow("jpeg") << u"JPG"_qs;
    QTest::newRow("png") << u"PNG"_qs;
    QTest::newRow("bmp") << u"BMP"_qs;
}

void TestImageDecode::cutAnywhere()
{
    // A file cut at any point is reported, never decoded into garbage and never a crash.
    QFETCH(QString, format);
    QImage img(96, 64, QImage::Format_RGB32);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            img.setPixel(x, y, qRgb(x * 2, y * 3, (x * y) & 255));
    const QDir d(m_dir.path());
    const QByteArray whole = readAll(writeImage(d, u"whole."_qs + format.toLower(), img, format.toLatin1().constData()));
    QVERIFY(!whole.isEmpty());
    const QString cut = d.filePath(u"cut."_qs + format.toLower());
    for (int i = 1; i < 40; ++i) {
        const qsizetype n = whole.size() * i / 40;
        writeBytes(cut, whole.left(n));
        const DecodedImage r = decodeImageFile(cut, {});
        QVERIFY2(!r.ok(), qPrintable(u"decoded a file cut at %1 of %2 bytes"_qs.arg(n).arg(whole.size())));
        QVERIFY2(r.failure == DecodeFailure::Truncated || (n < 8 && r.failure == DecodeFailure::NotAnImage),
                 qPrintable(u"cut at %1: %2"_qs.arg(n).arg(r.reason)));
    }
}

QTEST_GUILESS_MAIN(TestImageDecode)
#include "tst_imagedecode.moc"
