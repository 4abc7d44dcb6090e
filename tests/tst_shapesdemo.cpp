// The shapes generator: deterministic for a seed, captions that describe the drawn scene.

#include "core/data/captionfile.h"
#include "core/data/dataset.h"
#include "core/data/shapesdemo.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;

namespace {
QByteArray treeHash(const QString &dir)
{
    QStringList files;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    files.sort();
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const QString &f : files) {
        QFile file(f);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        hash.addData(QDir(dir).relativeFilePath(f).toUtf8());
        hash.addData(file.readAll());
    }
    return hash.result().toHex();
}
}  // namespace

class TestShapesDemo : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void relation_data();
    void relation();
    void captionsName_data();
    void captionsName();
    void scenesAreValid();
    void generatesDataset();
    void sameSeedSameBytes();
    void cancels();
    void rejectsBadOptions();
};

void TestShapesDemo::relation_data()
{
    QTest::addColumn<float>("ax");
    QTest::addColumn<float>("ay");
    QTest::addColumn<float>("bx");
    QTest::addColumn<float>("by");
    QTest::addColumn<QString>("expected");
    QTest::newRow("left") << 0.2f << 0.5f << 0.8f << 0.45f << "left of";
    QTest::newRow("right") << 0.9f << 0.5f << 0.1f << 0.6f << "right of";
    QTest::newRow("above (y grows down)") << 0.5f << 0.1f << 0.45f << 0.9f << "above";
    QTest::newRow("below") << 0.5f << 0.8f << 0.6f << 0.2f << "below";
}

void TestShapesDemo::relation()
{
    QFETCH(float, ax);
    QFETCH(float, ay);
    QFETCH(float, bx);
    QFETCH(float, by);
    QFETCH(QString, expected);
    Shape a, b;
    a.cx = ax; a.cy = ay; b.cx = bx; b.cy = by;
    QCOMPARE(shapesRelation(a, b), expected);
}

void TestShapesDemo::captionsName_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("one shape") << 1 << QStringList{u"a large red circle"_qs, u"a red circle"_qs};
    QTest::newRow("two shapes") << 2
        << QStringList{u"a large red circle left of a small blue triangle"_qs, u"a red circle and a blue triangle"_qs};
    QTest::newRow("three shapes") << 3
        << QStringList{u"a large red circle left of a small blue triangle"_qs,
                       u"a red circle, a blue triangle and an orange diamond"_qs,
                       u"a large orange diamond below a large red circle"_qs};
}

void TestShapesDemo::captionsName()
{
    QFETCH(int, count);
    QFETCH(QStringList, expected);
    std::vector<Shape> scene(3);
    scene[0] = {0, 0, true, 0.2f, 0.3f};   // large red circle
    scene[1] = {2, 2, false, 0.8f, 0.35f}; // small blue triangle
    scene[2] = {3, 5, true, 0.25f, 0.8f};  // large orange diamond
    scene.resize(count);
    QCOMPARE(shapesCaptions(scene), expected);
}

void TestShapesDemo::scenesAreValid()
{
    int counts[4] = {0, 0, 0, 0};
    for (int i = 0; i < 500; ++i) {
        const std::vector<Shape> scene = shapesScene(7, i);
        QVERIFY(scene.size() >= 1 && scene.size() <= 3);
        ++counts[scene.size()];
        for (const Shape &s : scene) {
            QVERIFY(s.cx > 0 && s.cx < 1 && s.cy > 0 && s.cy < 1);
            QVERIFY(s.kind >= 0 && s.kind < shapeKindNames().size());
            QVERIFY(s.colour >= 0 && s.colour < shapeColourNames().size());
        }
        for (size_t a = 0; a < scene.size(); ++a)
            for (size_t b = a + 1; b < scene.size(); ++b)
                QVERIFY(scene[a].kind != scene[b].kind || scene[a].colour != scene[b].colour);
    }
    QVERIFY(counts[1] > 50 && counts[2] > 50 && counts[3] > 50);
    QVERIFY(shapesScene(7, 3).size() != shapesScene(8, 3).size() || shapesScene(7, 3)[0].cx != shapesScene(8, 3)[0].cx);
}

void TestShapesDemo::generatesDataset()
{
    QTemporaryDir dir;
    JobControl job;
    const ShapesResult r = generateShapesDataset(dir.path(), {1005, 3, 48, 3}, &job);
    QCOMPARE(r.images, 1005);
    QCOMPARE(job.snapshot().done, 1005);
    QVERIFY(r.captions >= 2 * 1005);
    QVERIFY(QFileInfo::exists(dir.filePath(u"images/001/001004.png"_qs)));  // sharded by thousands
    const QImage img(dir.filePath(u"images/000/000000.png"_qs));
    QCOMPARE(img.size(), QSize(48, 48));
    // The dataset reads back through the normal captions reader with no bad rows.
    const Dataset ds = openDataset(dir.path());
    QVERIFY(ds.captions.issues.isEmpty());
    QCOMPARE(ds.captions.rows.size(), r.captions);
    QCOMPARE(ds.imageCount(), 1005);
    QCOMPARE(ds.captions.rows.first().caption, shapesCaptions(shapesScene(3, 0)).first());
    QCOMPARE(scanImages(dir.path()).images.size(), 1005);
    // The drawn pixels carry the first shape's colour at its centre.
    const Shape first = shapesScene(3, 0)[0];
    const QColor centre = img.pixelColor(int(first.cx * 48), int(first.cy * 48));
    QVERIFY2(centre != QColor(245, 245, 245), "shape not drawn at its centre");
}

void TestShapesDemo::sameSeedSameBytes()
{
    QTemporaryDir a, b, c;
    generateShapesDataset(a.path(), {40, 11, 64, 3});
    generateShapesDataset(b.path(), {40, 11, 64, 3});
    generateShapesDataset(c.path(), {40, 12, 64, 3});
    QCOMPARE(treeHash(a.path()).size(), 64);
    QCOMPARE(treeHash(a.path()), treeHash(b.path()));
    QVERIFY(treeHash(a.path()) != treeHash(c.path()));
}

void TestShapesDemo::cancels()
{
    QTemporaryDir dir;
    JobControl job([&job](const JobProgress &p) { if (p.done >= 5) job.cancel(); }, 0);
    QVERIFY_THROWS_EXCEPTION(JobCancelled, generateShapesDataset(dir.path(), {500, 1, 32, 3}, &job));
    QVERIFY(job.snapshot().done < 500);
}

void TestShapesDemo::rejectsBadOptions()
{
    QTemporaryDir dir;
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, generateShapesDataset(dir.path(), {0, 1, 64, 3}));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, generateShapesDataset(dir.path(), {1, 1, 4, 3}));
}

QTEST_GUILESS_MAIN(TestShapesDemo)
#include "tst_shapesdemo.moc"
