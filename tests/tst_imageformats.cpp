// The formats of real photo libraries (issue 20): HEIC and AVIF through libheif, made at test time
// with heif-enc (libheif-examples); orientation of PNG (eXIf), WebP (EXIF, via webpmux) and TIFF;
// 16-bit and CMYK TIFF; animated WebP's first frame (gif2webp); hostile HEIC (cut anywhere, a giant declared size) reported, not decoded.

#include "core/data/imagedecode.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QImageWriter>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return f.readAll();
}

void writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    f.open(QIODevice::WriteOnly | QIODevice::Truncate);
    f.write(bytes);
}

// 64 x 48, left half red, right half blue: orientation and colour are both visible.
QImage halves(int w = 64, int h = 48)
{
    QImage img(w, h, QImage::Format_RGB32);
    img.fill(Qt::blue);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w / 2; ++x)
            img.setPixelColor(x, y, Qt::red);
    return img;
}

std::array<int, 3> pixel(const RgbImage &img, int x, int y)
{
    const std::size_t i = (std::size_t(y) * std::size_t(img.width) + std::size_t(x)) * 3;
    return {img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]};
}

bool reddish(std::array<int, 3> p) { return p[0] > 180 && p[2] < 90; }
bool bluish(std::array<int, 3> p) { return p[2] > 180 && p[0] < 90; }

quint32 crc32(const QByteArray &bytes)
{
    quint32 c = 0xFFFFFFFFu;
    for (char ch : bytes) {
        c ^= quint8(ch);
        for (int k = 0; k < 8; ++k)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

QByteArray be32(quint32 v)
{
    QByteArray b(4, '\0');
    for (int i = 0; i < 4; ++i)
        b[i] = char((v >> (24 - 8 * i)) & 0xFF);
    return b;
}

// A TIFF structure holding only Orientation: the payload of EXIF blocks.
QByteArray exifOrientation(int orientation)
{
    QByteArray tiff("MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01", 18);
    tiff += char(0);
    tiff += char(orientation);
    tiff += QByteArray(6, '\0');
    return tiff;
}

QByteArray pngWithExif(const QByteArray &png, int orientation)
{
    const QByteArray data = "eXIf" + exifOrientation(orientation);
    const QByteArray chunk = be32(quint32(data.size() - 4)) + data + be32(crc32(data));
    return png.left(33) + chunk + png.mid(33);   // after IHDR
}

bool run(const QString &tool, const QStringList &args)
{
    QProcess p;
    p.start(tool, args);
    return p.waitForFinished(120'000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

}  // namespace

class TestImageFormats : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void heif_data();
    void heif();
    void heifCutAnywhere();
    void heifGiantDeclaredSize();
    void orientation_data();
    void orientation();
    void deepAndCmykTiff_data();
    void deepAndCmykTiff();
    void animatedWebpFirstFrame();

private:
    QString heifFile(bool avif);
    QTemporaryDir m_dir;
    QString m_source;
};

void TestImageFormats::initTestCase()
{
    m_source = m_dir.filePath(u"halves.png"_qs);
    QVERIFY(halves().save(m_source));
}

// heif-enc (Debian's libheif-examples, in packaging/debian-packages.txt) makes the fixture.
QString TestImageFormats::heifFile(bool avif)
{
    const QString out = m_dir.filePath(avif ? u"halves.avif"_qs : u"halves.heic"_qs);
    if (QFileInfo::exists(out))
        return out;
    const QString tool = QStandardPaths::findExecutable(u"heif-enc"_qs);
    if (tool.isEmpty())
        return {};
    QStringList args{u"-q"_qs, u"90"_qs, u"-o"_qs, out, m_source};
    if (avif)
        args.prepend(u"-A"_qs);
    return run(tool, args) ? out : QString();
}

void TestImageFormats::heif_data()
{
    QTest::addColumn<bool>("avif");
    QTest::newRow("heic") << false;
    QTest::newRow("avif") << true;
}

void TestImageFormats::heif()
{
    QFETCH(bool, avif);
    const QString file = heifFile(avif);
    if (file.isEmpty())
        QSKIP("heif-enc (libheif-examples) is not installed or cannot encode this format");
    const DecodedImage r = decodeImageFile(file);
    QVERIFY2(r.ok(), qPrintable(r.reason));
    QCOMPARE(r.image.width, 64);
    QCOMPARE(r.image.height, 48);
    QCOMPARE(r.fileWidth, 64);
    QVERIFY(reddish(pixel(r.image, 8, 24)));
    QVERIFY(bluish(pixel(r.image, 56, 24)));
    // By content, not by name.
    const QString renamed = m_dir.filePath(avif ? u"named.jpg"_qs : u"named.png"_qs);
    writeBytes(renamed, readAll(file));
    QVERIFY(decodeImageFile(renamed).ok());
}

void TestImageFormats::heifCutAnywhere()
{
    for (bool avif : {false, true}) {
        const QString file = heifFile(avif);
        if (file.isEmpty())
            QSKIP("heif-enc (libheif-examples) is not installed");
        const QByteArray whole = readAll(file);
        for (int i = 1; i < 30; ++i) {
            const qsizetype n = whole.size() * i / 30;
            const DecodedImage r = decodeImageData(whole.left(n));
            QVERIFY2(!r.ok(), qPrintable(u"decoded a file cut at %1 of %2 bytes"_qs.arg(n).arg(whole.size())));
            QVERIFY2(r.failure == DecodeFailure::Truncated || (n < 16 && r.failure == DecodeFailure::NotAnImage),
                     qPrintable(u"cut at %1: %2"_qs.arg(n).arg(r.reason)));
        }
        const DecodedImage cut = decodeImageData(whole.left(whole.size() / 2));
        QVERIFY2(cut.reason.startsWith(avif ? u"truncated AVIF"_qs : u"truncated HEIC"_qs), qPrintable(cut.reason));
    }
}

void TestImageFormats::heifGiantDeclaredSize()
{
    const QString file = heifFile(false);
    if (file.isEmpty())
        QSKIP("heif-enc (libheif-examples) is not installed");
    // Every 'ispe' (image spatial extents) property claims 100000 x 100000: refused from the
    // header, before libheif allocates or decodes anything.
    QByteArray bytes = readAll(file);
    int patched = 0;
    for (qsizetype at = bytes.indexOf("ispe"); at >= 0; at = bytes.indexOf("ispe", at + 4), ++patched)
        bytes.replace(at + 8, 8, QByteArray(be32(100000) + be32(100000)));
    QVERIFY(patched > 0);
    const DecodedImage r = decodeImageData(bytes);
    QCOMPARE(int(r.failure), int(DecodeFailure::TooLarge));
    QVERIFY2(r.reason.contains(u"100000 x 100000"), qPrintable(r.reason));
    // Within the limit but lying (1000 x 1000 declared, 64 x 48 coded): never a crash.
    bytes = readAll(file);
    for (qsizetype at = bytes.indexOf("ispe"); at >= 0; at = bytes.indexOf("ispe", at + 4))
        bytes.replace(at + 8, 8, QByteArray(be32(1000) + be32(1000)));
    const DecodedImage lied = decodeImageData(bytes);
    QVERIFY(lied.ok() || !lied.reason.isEmpty());
}

void TestImageFormats::orientation_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<int>("orientation");
    for (const char *format : {"png", "tiff", "webp"}) {
        QTest::addRow("%s rotate 90", format) << QString::fromLatin1(format) << 6;
        QTest::addRow("%s rotate 270", format) << QString::fromLatin1(format) << 8;
        QTest::addRow("%s mirror", format) << QString::fromLatin1(format) << 2;
    }
}

void TestImageFormats::orientation()
{
    QFETCH(QString, format);
    QFETCH(int, orientation);
    const QString path = m_dir.filePath(u"o%1.%2"_qs.arg(orientation).arg(format));
    if (format == u"png") {
        QFile f(m_source);
        QVERIFY(f.open(QIODevice::ReadOnly));
        writeBytes(path, pngWithExif(f.readAll(), orientation));
    } else if (format == u"tiff") {
        QImageWriter writer(path, "tiff");   // Qt's TIFF plugin writes the Orientation tag
        const QImageIOHandler::Transformations t = orientation == 6   ? QImageIOHandler::TransformationRotate90
                                                   : orientation == 8 ? QImageIOHandler::TransformationRotate270
                                                                      : QImageIOHandler::TransformationMirror;
        writer.setTransformation(t);
        if (!writer.write(halves()))
            QSKIP("no TIFF writer (qt6-image-formats-plugins)");
    } else {
        const QString cwebp = QStandardPaths::findExecutable(u"cwebp"_qs), mux = QStandardPaths::findExecutable(u"webpmux"_qs);
        if (cwebp.isEmpty() || mux.isEmpty())
            QSKIP("cwebp / webpmux (Debian's webp) are not installed");
        const QString plain = m_dir.filePath(u"plain.webp"_qs), exif = m_dir.filePath(u"exif.bin"_qs);
        writeBytes(exif, QByteArray("Exif\0\0", 6) + exifOrientation(orientation));
        QVERIFY(run(cwebp, {u"-quiet"_qs, u"-lossless"_qs, m_source, u"-o"_qs, plain}));
        QVERIFY(run(mux, {u"-set"_qs, u"exif"_qs, exif, plain, u"-o"_qs, path}));
    }
    const DecodedImage r = decodeImageFile(path);
    QVERIFY2(r.ok(), qPrintable(r.reason));
    if (orientation == 2) {   // mirrored: red on the right
        QCOMPARE(r.image.width, 64);
        QVERIFY(bluish(pixel(r.image, 8, 24)));
        QVERIFY(reddish(pixel(r.image, 56, 24)));
        return;
    }
    QCOMPARE(r.image.width, 48);
    QCOMPARE(r.image.height, 64);
    // 90 degrees clockwise puts the stored left (red) half on top; 270 at the bottom.
    QVERIFY(orientation == 6 ? reddish(pixel(r.image, 24, 8)) : bluish(pixel(r.image, 24, 8)));
    QVERIFY(orientation == 6 ? bluish(pixel(r.image, 24, 56)) : reddish(pixel(r.image, 24, 56)));
}

void TestImageFormats::deepAndCmykTiff_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QColor>("colour");
    QImage deep(10, 8, QImage::Format_RGBA64);
    deep.fill(QColor::fromRgba64(65535, 32896, 0, 65535));
    const QString deepPath = m_dir.filePath(u"deep16.tif"_qs);
    QTest::newRow("16-bit rgba tiff") << (deep.save(deepPath, "TIFF") ? deepPath : QString()) << QColor(255, 128, 0);
    // Written by tests/fixtures/make_tiny_clip.py with Pillow: Qt has no CMYK writer.
    QTest::newRow("cmyk tiff") << QStringLiteral(COSPACE_TINY_CLIP "/decode/cmyk_red.tif") << QColor(255, 0, 0);
}

void TestImageFormats::deepAndCmykTiff()
{
    QFETCH(QString, path);
    QFETCH(QColor, colour);
    if (path.isEmpty())
        QSKIP("no TIFF writer (qt6-image-formats-plugins)");
    const DecodedImage r = decodeImageFile(path);
    QVERIFY2(r.ok(), qPrintable(r.reason));
    const auto p = pixel(r.image, r.image.width / 2, r.image.height / 2);
    QVERIFY2(std::abs(p[0] - colour.red()) <= 2 && std::abs(p[1] - colour.green()) <= 2 && std::abs(p[2] - colour.blue()) <= 2,
             qPrintable(u"got %1 %2 %3"_qs.arg(p[0]).arg(p[1]).arg(p[2])));
}

void TestImageFormats::animatedWebpFirstFrame()
{
    // gif2webp (Debian's webp) turns the fixture GIF (blue, then red) into an animated WebP.
    const QString tool = QStandardPaths::findExecutable(u"gif2webp"_qs);
    if (tool.isEmpty())
        QSKIP("gif2webp (Debian's webp) is not installed");
    const QString out = m_dir.filePath(u"anim.webp"_qs);
    QVERIFY(run(tool, {u"-quiet"_qs, u"-lossy"_qs, u"-q"_qs, u"95"_qs, QStringLiteral(COSPACE_TINY_CLIP "/decode/two_frames.gif"), u"-o"_qs, out}));
    QVERIFY(readAll(out).contains("ANIM"));
    const DecodedImage r = decodeImageFile(out);
    QVERIFY2(r.ok(), qPrintable(r.reason));
    QCOMPARE(r.image.width, 12);
    QVERIFY(bluish(pixel(r.image, 6, 5)));
}

QTEST_GUILESS_MAIN(TestImageFormats)
#include "tst_imageformats.moc"
