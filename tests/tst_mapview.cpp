// The map widget on its own, offscreen: rectangle and lasso selection (by API and by mouse), the
// spatial grid against brute force, colourings and their legend, animated moves ending exactly at
// the target, view state, the render benchmark's report; pictures at fit-to-window by on-screen
// density, search hits ringed and jumped to, captions under images; the density layer (issue 21:
// many millions of points) and the banded lasso test against QPolygonF.

#include "ui/map/mapview.h"
#include "ui/map/renderbench.h"
#include "ui/map/spatialgrid.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include <numeric>

using namespace cospace;

class TestMapView : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void rectangleSelection_data();
    void rectangleSelection();
    void lassoSelection();
    void shiftDragSelectsRectangle();
    void ctrlDragSelectsLasso();
    void escapeClearsSelection();
    void newPointsClearSelection();
    void gridMatchesBruteForce();
    void colouringPaintsPoints();
    void animationEndsAtTarget();
    void viewRoundTrips();
    void renderBenchReports();
    void picturesAtFitByDensity_data();
    void picturesAtFitByDensity();
    void searchHitsRingedAndJumpedTo();
    void captionsUnderImages();
    void densityLayerBins_data();
    void densityLayerBins();
    void densityLayerWhenZoomedOut();
    void dotSizeFollowsPointsOnScreen();
    void selectionDrawnOnDots_data();
    void selectionDrawnOnDots();
    void lassoMatchesContainsPoint_data();
    void lassoMatchesContainsPoint();

private:
    std::unique_ptr<MapView> m_map;
};

// A 10 x 10 grid of points at integer layout positions 0..9; odd indices are captions.
static QList<MapPoint> gridPoints()
{
    QList<MapPoint> points;
    for (int i = 0; i < 100; ++i) {
        MapPoint p;
        p.kind = i % 2 ? MapPoint::Caption : MapPoint::Image;
        p.pos = QPointF(i % 10, i / 10);
        p.text = QString::number(i);
        points << p;
    }
    return points;
}

void TestMapView::init()
{
    m_map = std::make_unique<MapView>();
    m_map->resize(400, 400);
    m_map->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_map.get()));
    m_map->setPoints(gridPoints());
    m_map->setView(30, QPointF(4.5, 4.5));   // layout (x, y) -> widget (200 + 30 (x - 4.5), ...)
}

static QPointF widgetOf(double x, double y) { return QPointF(200 + 30 * (x - 4.5), 200 + 30 * (y - 4.5)); }

void TestMapView::rectangleSelection_data()
{
    QTest::addColumn<QRectF>("layoutRect");
    QTest::addColumn<QList<int>>("expected");
    QTest::newRow("one point") << QRectF(2.9, 2.9, 0.2, 0.2) << QList<int>{33};
    QTest::newRow("2x2 block") << QRectF(0.5, 0.5, 1.9, 1.9) << QList<int>{11, 12, 21, 22};
    QTest::newRow("row") << QRectF(-0.5, 8.8, 20, 0.4) << QList<int>{90, 91, 92, 93, 94, 95, 96, 97, 98, 99};
    QTest::newRow("empty") << QRectF(3.2, 3.2, 0.5, 0.5) << QList<int>{};
}

void TestMapView::rectangleSelection()
{
    QFETCH(QRectF, layoutRect);
    QFETCH(QList<int>, expected);
    QSignalSpy changed(m_map.get(), &MapView::selectionChanged);
    m_map->selectInRect(QRectF(widgetOf(layoutRect.left(), layoutRect.top()), widgetOf(layoutRect.right(), layoutRect.bottom())));
    QCOMPARE(m_map->selection(), expected);
    QCOMPARE(changed.count(), expected.isEmpty() ? 0 : 1);
}

void TestMapView::lassoSelection()
{
    // A triangle over the lower-left half of the 0..3 block: (x, y) with x <= y, 0 <= x, y <= 3.
    const QPolygonF lasso{widgetOf(-0.4, -0.6), widgetOf(-0.4, 3.4), widgetOf(3.6, 3.4)};
    m_map->selectInPolygon(lasso);
    QList<int> expected;
    for (int y = 0; y <= 3; ++y)
        for (int x = 0; x <= y; ++x)
            expected << y * 10 + x;
    QCOMPARE(m_map->selection(), expected);
}

void TestMapView::shiftDragSelectsRectangle()
{
    QSignalSpy changed(m_map.get(), &MapView::selectionChanged);
    const QPoint from = widgetOf(4.5, 4.5).toPoint(), to = widgetOf(6.5, 5.5).toPoint();
    QTest::mousePress(m_map.get(), Qt::LeftButton, Qt::ShiftModifier, from);
    QTest::mouseMove(m_map.get(), (from + to) / 2);
    QTest::mouseMove(m_map.get(), to);
    QTest::mouseRelease(m_map.get(), Qt::LeftButton, Qt::ShiftModifier, to);
    QCOMPARE(m_map->selection(), (QList<int>{55, 56}));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(m_map->centre(), QPointF(4.5, 4.5));   // selecting does not pan
}

void TestMapView::ctrlDragSelectsLasso()
{
    // A lasso drawn around points 22 and 23 only.
    const QList<QPointF> path{widgetOf(1.6, 1.6), widgetOf(3.4, 1.6), widgetOf(3.4, 2.4), widgetOf(1.6, 2.4), widgetOf(1.6, 1.7)};
    QTest::mousePress(m_map.get(), Qt::LeftButton, Qt::ControlModifier, path[0].toPoint());
    for (const QPointF &p : path)
        QTest::mouseMove(m_map.get(), p.toPoint());
    QTest::mouseRelease(m_map.get(), Qt::LeftButton, Qt::ControlModifier, path.last().toPoint());
    QCOMPARE(m_map->selection(), (QList<int>{22, 23}));
}

void TestMapView::escapeClearsSelection()
{
    m_map->setSelection({3, 1, 2, 2});
    QCOMPARE(m_map->selection(), (QList<int>{1, 2, 3}));   // sorted, unique
    m_map->selectPoint(5);
    QSignalSpy selected(m_map.get(), &MapView::pointSelected);
    QTest::keyClick(m_map.get(), Qt::Key_Escape);
    QVERIFY(m_map->selection().isEmpty());
    QCOMPARE(m_map->selectedIndex(), -1);
    QCOMPARE(selected.count(), 1);
}

void TestMapView::newPointsClearSelection()
{
    m_map->setSelection({1, 2});
    QSignalSpy changed(m_map.get(), &MapView::selectionChanged);
    m_map->setPoints(gridPoints());
    QVERIFY(m_map->selection().isEmpty());
    QCOMPARE(changed.count(), 1);   // a selection panel learns that its indices are gone
}

void TestMapView::gridMatchesBruteForce()
{
    QRandomGenerator rng(3);
    QList<QPointF> points;
    for (int i = 0; i < 5000; ++i)
        points << QPointF(rng.generateDouble() * 100, rng.generateDouble() * rng.generateDouble() * 40);
    SpatialGrid grid;
    grid.build(int(points.size()), [&](int i) { return points[i]; });
    for (const QRectF &r : {QRectF(10, 5, 7, 3), QRectF(-5, -5, 10, 10), QRectF(90, 30, 50, 50), QRectF(200, 0, 1, 1)}) {
        QSet<int> found, expected;
        grid.forEachNear(r, [&](int i) { if (r.contains(points[i])) found.insert(i); });
        for (int i = 0; i < points.size(); ++i)
            if (r.contains(points[i]))
                expected.insert(i);
        QCOMPARE(found, expected);
    }
}

void TestMapView::colouringPaintsPoints()
{
    MapColouring c;
    c.title = u"Cluster"_qs;
    for (int i = 0; i < 100; ++i)
        c.colours << (i < 50 ? qRgb(255, 0, 0) : qRgb(0, 0, 255));
    c.legend = {{Qt::red, u"cluster 1"_qs}, {Qt::blue, u"cluster 2"_qs}};
    m_map->setColouring(c);
    QCOMPARE(m_map->pointColour(0), QColor(Qt::red));
    QCOMPARE(m_map->pointColour(99), QColor(Qt::blue));
    // 100 points are few enough for pictures at any zoom (issue 20): an image keeps its picture
    // (here the placeholder) inside a thin outline of its colour; captions are filled diamonds.
    m_map->setView(10, QPointF(4.5, 4.5));   // 18 px pictures, 10 px apart
    QImage shot = m_map->grab().toImage();
    QCOMPARE(shot.pixelColor(QPoint(200 - 45 - 10, 200 - 45)), QColor(Qt::red));   // image 0's outline
    QVERIFY(shot.pixelColor(QPoint(200 - 45, 200 - 45)) != QColor(Qt::red));       // its picture
    QCOMPARE(shot.pixelColor(QPoint(200 + 45, 200 + 45)), QColor(Qt::blue));        // caption 99 at (9, 9)
    // Zoomed out below a few pixels per image: dots in the colouring.
    m_map->setView(1, QPointF(4.5, 4.5));
    shot = m_map->grab().toImage();
    QCOMPARE(shot.pixelColor(QPoint(200 - 5, 200 - 5)), QColor(Qt::red));     // image 0 at (0, 0)
    QCOMPARE(shot.pixelColor(QPoint(350, 350)), m_map->palette().color(QPalette::Base));   // away from the points
    // Colours for another number of points are ignored (a stale colouring job).
    c.colours.removeLast();
    m_map->setColouring(c);
    QVERIFY(m_map->colouring().colours.isEmpty());
}

void TestMapView::animationEndsAtTarget()
{
    QList<QPointF> target;
    for (int i = 0; i < 100; ++i)
        target << QPointF(-(i % 10), i / 10 * 2.0);
    QSignalSpy finished(m_map.get(), &MapView::animationFinished);
    m_map->animateTo(target, 200);
    QVERIFY(m_map->isAnimating());
    QTest::qWait(80);
    const QPointF mid = m_map->points()[9].pos;   // from (9, 0) to (-9, 0)
    QVERIFY2(mid.x() < 9 && mid.x() > -9, qPrintable(QString::number(mid.x())));
    QVERIFY(finished.wait(2000));
    QVERIFY(!m_map->isAnimating());
    for (int i = 0; i < 100; ++i)
        QCOMPARE(m_map->points()[i].pos, target[i]);
}

void TestMapView::viewRoundTrips()
{
    m_map->zoomBy(2.5, QPointF(50, 70));
    const double zoom = m_map->zoom();
    const QPointF centre = m_map->centre();
    m_map->fitToView();
    m_map->setView(zoom, centre);
    QCOMPARE(m_map->zoom(), zoom);
    QVERIFY(QLineF(m_map->centre(), centre).length() < 1e-9);
}

void TestMapView::renderBenchReports()
{
    QString text;
    QTextStream out(&text);
    const RenderBenchResult r = runRenderBench(2000, out, QSize(320, 240));
    QCOMPARE(r.frames, 200);
    QVERIFY(r.p50Ms > 0 && r.p50Ms <= r.p95Ms && r.p95Ms <= r.maxMs);
    QVERIFY2(text.contains(u"p50") && text.contains(u"p95") && text.contains(u"max"), qPrintable(text));
    QVERIFY2(r.hoverP95Ms > 0 && r.lassoMs > 0, qPrintable(text));
    QVERIFY2(text.contains(u"hover") && text.contains(u"lasso") && text.contains(u"bytes per point"), qPrintable(text));
}

// Issue 20: the level of detail follows the images on screen, not the zoom alone. A map of
// 20,000 images at fit-to-window shows pictures (and every one arrives); 200,000 show dots.
void TestMapView::picturesAtFitByDensity_data()
{
    QTest::addColumn<int>("images");
    QTest::addColumn<bool>("pictures");
    QTest::newRow("3,800 emoji-like") << 3800 << true;
    QTest::newRow("20,000 photos") << 20000 << true;
    QTest::newRow("200,000") << 200000 << false;
}

void TestMapView::picturesAtFitByDensity()
{
    QFETCH(int, images);
    QFETCH(bool, pictures);
    MapView map;
    map.resize(1000, 700);
    map.show();
    QVERIFY(QTest::qWaitForWindowExposed(&map));
    map.setThumbnailSource([](const QString &path) {
        QImage img(24, 24, QImage::Format_RGB32);
        img.fill(QColor::fromHsv(int(qHash(path) % 360), 200, 220));
        return img;
    });
    // Laid out as the layouts are: about sqrt(N) units across.
    QList<MapPoint> points;
    const int side = int(std::ceil(std::sqrt(double(images))));
    for (int i = 0; i < images; ++i)
        points.append({MapPoint::Image, QPointF(i % side, i / side), u"img%1"_qs.arg(i), {}});
    map.setPoints(points);
    map.fitToView();
    map.repaint();
    QCOMPARE(map.lastPaint().thumbnails, pictures);
    if (!pictures)
        return;
    QVERIFY(map.lastPaint().imagePixels >= 8);   // small pictures, not specks
    QTRY_COMPARE_WITH_TIMEOUT((map.repaint(), map.lastPaint().missing), 0, 60000);
    QVERIFY(map.lastPaint().images > 500);
}

void TestMapView::searchHitsRingedAndJumpedTo()
{
    const double before = m_map->zoom();
    m_map->setHighlights({7, 3, 3, 1000, -1});   // duplicates and strangers ignored
    QCOMPARE(m_map->highlights(), (QList<int>{7, 3}));
    // Rings are drawn in the query colour around the hits (dots and pictures alike).
    const QImage shot = m_map->grab().toImage();
    const QPoint hit = (QPointF(200, 200) + 30 * (QPointF(7 % 10, 7 / 10) - QPointF(4.5, 4.5))).toPoint();
    bool ring = false;
    for (int dx = -20; dx <= 20 && !ring; ++dx)
        for (int dy = -20; dy <= 20 && !ring; ++dy) {
            const QColor c = shot.pixelColor(hit + QPoint(dx, dy));
            ring = c.red() > 180 && c.green() < 80 && c.blue() < 80;
        }
    QVERIFY(ring);
    QVERIFY(m_map->fitToHighlights());
    QVERIFY(m_map->zoom() > before);   // the two neighbours fill the view
    const QPointF c = m_map->centre();
    QVERIFY2(std::abs(c.x() - 5) < 1e-3 && std::abs(c.y()) < 1e-3, qPrintable(u"centre %1 %2"_qs.arg(c.x()).arg(c.y())));   // between (7, 0) and (3, 0)
    m_map->centreOn(42);
    QCOMPARE(m_map->selectedIndex(), 42);
    QVERIFY((m_map->centre() - QPointF(2, 4)).manhattanLength() < 1e-6);
    m_map->setHighlights({});
    QVERIFY(!m_map->fitToHighlights());
}

void TestMapView::captionsUnderImages()
{
    QList<MapPoint> points = gridPoints();
    for (int i = 1; i < points.size(); i += 2)
        points[i].partner = i - 1;   // each caption describes the image before it
    m_map->setThumbnailSource([](const QString &) {
        QImage img(32, 32, QImage::Format_RGB32);
        img.fill(Qt::darkGreen);
        return img;
    });
    for (MapPoint &p : points)
        p.path = p.kind == MapPoint::Image ? u"img"_qs + p.text : QString();
    m_map->setPoints(points);
    m_map->centreOn(44, 90);
    m_map->repaint();
    QVERIFY(m_map->lastPaint().thumbnails);
    QVERIFY(m_map->lastPaint().captionLabels > 0);
    m_map->setCaptionsUnderImages(false);
    m_map->repaint();
    QCOMPARE(m_map->lastPaint().captionLabels, 0);
}

// A bin's colour is the mean of its points' colours, its opacity grows with their count, empty bins
// stay transparent, and each level halves the previous one (summing 2 x 2 bins).
void TestMapView::densityLayerBins_data()
{
    QTest::addColumn<int>("crowd");       // points stacked in the crowded bin
    QTest::addColumn<QRgb>("colourA");    // half of them
    QTest::addColumn<QRgb>("colourB");    // the other half
    QTest::newRow("one colour") << 50 << qRgb(200, 0, 0) << qRgb(200, 0, 0);
    QTest::newRow("two colours mix") << 50 << qRgb(200, 0, 0) << qRgb(0, 0, 200);
    QTest::newRow("a few") << 4 << qRgb(0, 120, 0) << qRgb(0, 240, 0);
}

void TestMapView::densityLayerBins()
{
    QFETCH(int, crowd);
    QFETCH(QRgb, colourA);
    QFETCH(QRgb, colourB);
    // 256 points on a 16 x 16 lattice (one per bin), plus `crowd` more on the bin at (3, 5).
    std::vector<float> xy;
    std::vector<QRgb> colour;
    for (int i = 0; i < 256; ++i) {
        xy.insert(xy.end(), {float(i % 16) + 0.5f, float(i / 16) + 0.5f});
        colour.push_back(qRgb(0, 0, 0));
    }
    for (int i = 0; i < crowd; ++i) {
        xy.insert(xy.end(), {3.5f, 5.5f});
        colour.push_back(i % 2 ? colourB : colourA);
    }
    DensityLayer layer;
    layer.build(QRectF(0, 0, 16, 16), colour.size(), xy.data(), [&](std::size_t k) { return colour[k]; }, 16);
    QCOMPARE(layer.levels(), 2);   // 16 x 16, then 8 x 8 (small enough to stop)
    QCOMPARE(layer.level(0).size(), QSize(16, 16));
    QCOMPARE(layer.level(1).size(), QSize(8, 8));
    QCOMPARE(layer.binOf(QPointF(3.5, 5.5)), QPoint(3, 5));
    const QColor lone = layer.level(0).pixelColor(0, 0), crowded = layer.level(0).pixelColor(3, 5);
    QVERIFY2(lone.alpha() > 0 && lone.alpha() < crowded.alpha(), qPrintable(u"%1 %2"_qs.arg(lone.alpha()).arg(crowded.alpha())));
    QCOMPARE(lone.rgb(), qRgb(0, 0, 0));
    // The crowd plus the lattice point under it: (crowd/2 A + crowd/2 B + black) / (crowd + 1).
    const double n = crowd + 1;
    const QColor mean(int(std::lround((qRed(colourA) + qRed(colourB)) * crowd / 2 / n)),
                      int(std::lround((qGreen(colourA) + qGreen(colourB)) * crowd / 2 / n)),
                      int(std::lround((qBlue(colourA) + qBlue(colourB)) * crowd / 2 / n)));
    QVERIFY2(std::abs(crowded.red() - mean.red()) <= 2 && std::abs(crowded.green() - mean.green()) <= 2
                 && std::abs(crowded.blue() - mean.blue()) <= 2,
             qPrintable(u"%1 vs %2"_qs.arg(crowded.name(), mean.name())));
    // Level 1's bin (1, 2) sums level 0's (2..3, 4..5): the crowd makes it the densest.
    const QImage &coarse = layer.level(1);
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x)
            QVERIFY(coarse.pixelColor(x, y).alpha() <= coarse.pixelColor(1, 2).alpha());
    // Nothing outside the points: a layer over a larger box leaves those bins empty.
    layer.build(QRectF(0, 0, 32, 16), colour.size(), xy.data(), [&](std::size_t k) { return colour[k]; }, 32);
    const QImage &wide = layer.level(0);
    QCOMPARE(wide.width(), 2 * wide.height());   // square bins
    QCOMPARE(wide.pixelColor(layer.binOf(QPointF(20.5, 3.5))).alpha(), 0);
    QVERIFY(wide.pixelColor(layer.binOf(QPointF(7.5, 3.5))).alpha() > 0);
}

// With more points on screen than the threshold the map draws the density layer (coloured where
// the points are, empty elsewhere, recoloured with the colouring, dimmed under search hits); closer
// in, dots again.
void TestMapView::densityLayerWhenZoomedOut()
{
    MapView map;
    map.resize(400, 300);
    map.show();
    QVERIFY(QTest::qWaitForWindowExposed(&map));
    map.setDensityThreshold(1000);
    // Two dense squares of 35,000 points each, far apart: (0..20, 0..20) and (80..100, 0..20).
    QList<MapPoint> points;
    QRandomGenerator rng(5);
    for (int i = 0; i < 70000; ++i)
        points.append({MapPoint::Image, QPointF(rng.generateDouble() * 20 + (i % 2 ? 80 : 0), rng.generateDouble() * 20), {}, {}});
    map.setPoints(points);
    map.fitToView();
    map.repaint();
    QVERIFY(map.lastPaint().density);
    QVERIFY(map.densityLayer().isValid());
    auto pixelAt = [&map](QPointF layout) {
        const QPointF w = (layout - map.centre()) * map.zoom() + QPointF(map.width() / 2.0, map.height() / 2.0);
        return map.grab().toImage().pixelColor(w.toPoint());
    };
    const QColor base = map.palette().color(QPalette::Base);
    QVERIFY(pixelAt(QPointF(10, 10)) != base);
    QCOMPARE(pixelAt(QPointF(50, 10)), base);   // between the squares
    MapColouring red;
    red.colours = QList<QRgb>(points.size(), qRgb(255, 0, 0));
    map.setColouring(red);
    const QColor coloured = pixelAt(QPointF(90, 10));
    QVERIFY2(coloured.red() > 200 && coloured.green() < 60 && coloured.blue() < 60, qPrintable(coloured.name()));
    map.setHighlights({0});
    const QColor dimmed = pixelAt(QPointF(90, 10));
    QVERIFY2(dimmed.green() > coloured.green() + 60, qPrintable(dimmed.name()));   // faded towards the base colour
    map.setHighlights({});
    // Zoomed in until few points are on screen: dots, no density layer.
    map.setView(40, QPointF(10, 10));
    map.repaint();
    QVERIFY(!map.lastPaint().density);
    map.setDensityThreshold(1'000'000);
    map.fitToView();
    map.repaint();
    QVERIFY(!map.lastPaint().density);
}

// Dots are single pixels only while those on screen would hide each other: zoomed into a sparse corner
// of a big map they are 3x3 again, however many points lie elsewhere.
void TestMapView::dotSizeFollowsPointsOnScreen()
{
    QList<MapPoint> points;
    for (int i = 0; i < 200000; ++i)   // far away, off screen
        points.append({MapPoint::Image, QPointF(10000 + i % 400, 10000 + i / 400), {}, {}});
    for (int i = 0; i < 25; ++i)       // on screen: a 5 x 5 lattice 10 units apart
        points.append({MapPoint::Image, QPointF(10 * (i % 5), 10 * (i / 5)), {}, {}});
    m_map->setPoints(points);
    m_map->setView(2, QPointF(20, 20));   // 20 px apart, 1.8 px markers: dots
    const QImage shot = m_map->grab().toImage();
    QVERIFY(!m_map->lastPaint().thumbnails);
    const QPoint at = ((QPointF(20, 20) - m_map->centre()) * 2 + QPointF(200, 200)).toPoint();
    const QColor base = m_map->palette().color(QPalette::Base);
    QVERIFY(shot.pixelColor(at) != base);
    QVERIFY(shot.pixelColor(at + QPoint(1, 0)) != base);   // 3x3, not a single pixel
    QVERIFY(shot.pixelColor(at + QPoint(0, 1)) != base);
}

// Selected points are drawn ringed over the dots, where they are now (after a move), also when
// thousands are selected (then drawn from the dot data, a one-pixel ring each).
void TestMapView::selectionDrawnOnDots_data()
{
    QTest::addColumn<int>("count");
    QTest::newRow("one of 100") << 100;
    QTest::newRow("all of 9,000") << 9000;
}

void TestMapView::selectionDrawnOnDots()
{
    QFETCH(int, count);
    const int side = int(std::sqrt(double(count)));
    QList<MapPoint> points;
    for (int i = 0; i < count; ++i)
        points.append({MapPoint::Image, QPointF(i % side, i / side), {}, {}});
    m_map->setPoints(points);
    const double zoom = 2;   // points 2 px apart: dots, not pictures
    m_map->setView(zoom, QPointF((side - 1) / 2.0, (side - 1) / 2.0));
    m_map->setSelection(count > 100 ? [&] { QList<int> all(count); std::iota(all.begin(), all.end(), 0); return all; }() : QList<int>{0});
    auto widget = [&](QPointF layout) { return ((layout - m_map->centre()) * zoom + QPointF(200, 200)).toPoint(); };
    const QColor ring = m_map->palette().color(QPalette::Text), base = m_map->palette().color(QPalette::Base);
    auto ringed = [&](QPoint at) {
        const QImage shot = m_map->grab().toImage();
        for (int dx = -3; dx <= 3; ++dx)
            for (int dy = -3; dy <= 3; ++dy)
                if (shot.pixelColor(at + QPoint(dx, dy)) == ring)
                    return true;
        return false;
    };
    QVERIFY(ringed(widget(QPointF(0, 0))));
    QVERIFY(!m_map->lastPaint().thumbnails);
    // Point 0 moves to the middle of an empty row below the lattice: its ring follows it.
    QList<QPointF> moved;
    for (const MapPoint &p : points)
        moved << p.pos;
    moved[0] = QPointF((side - 1) / 2.0, side + 10);
    m_map->setPositions(moved);
    QVERIFY(ringed(widget(moved[0])));
    QCOMPARE(m_map->grab().toImage().pixelColor(widget(moved[0] + QPointF(6, 0))), base);
}

// The lasso's banded even-odd test selects exactly what QPolygonF::containsPoint contains, for
// convex, star-shaped and self-crossing lassos over scattered points.
void TestMapView::lassoMatchesContainsPoint_data()
{
    QTest::addColumn<int>("vertices");
    QTest::addColumn<double>("wobble");   // 0: a circle; more: a star; above 1: it crosses itself
    QTest::newRow("circle 64") << 64 << 0.0;
    QTest::newRow("star 9") << 9 << 0.7;
    QTest::newRow("self-crossing 300") << 300 << 1.6;
    QTest::newRow("triangle") << 3 << 0.0;
}

void TestMapView::lassoMatchesContainsPoint()
{
    QFETCH(int, vertices);
    QFETCH(double, wobble);
    QRandomGenerator rng{quint32(vertices)};
    QList<MapPoint> points;
    for (int i = 0; i < 4000; ++i)
        points.append({MapPoint::Caption, QPointF(rng.generateDouble() * 13 - 1.5, rng.generateDouble() * 13 - 1.5), {}, {}});
    m_map->setPoints(points);
    m_map->setView(30, QPointF(4.5, 4.5));
    QPolygonF lasso;
    for (int k = 0; k < vertices; ++k) {
        const double a = 2 * M_PI * k / vertices, r = 150 * (1 - wobble * 0.5 * (1 + std::sin(a * 7 + k)));
        lasso << QPointF(200 + r * std::cos(a), 200 + r * std::sin(a * (wobble > 1 ? 3 : 1)));
    }
    m_map->selectInPolygon(lasso);
    QList<int> expected;
    for (int i = 0; i < points.size(); ++i) {
        const QPointF w = (points[i].pos - m_map->centre()) * m_map->zoom() + QPointF(200, 200);
        if (lasso.containsPoint(w, Qt::OddEvenFill))
            expected << i;
    }
    QVERIFY(expected.size() > 20);
    QCOMPARE(m_map->selection(), expected);
}

QTEST_MAIN(TestMapView)
#include "tst_mapview.moc"
