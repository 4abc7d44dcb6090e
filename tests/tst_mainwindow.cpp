// The main window on the offscreen platform: opens a generated dataset without blocking, draws
// images and captions on the map, selects by click, renders a non-empty screenshot.

#include "core/data/shapesdemo.h"
#include "core/explorer/workspace.h"
#include "ui/widgets/limitsdialog.h"
#include "ui/explorer/mainwindow.h"
#include "ui/map/mapview.h"

#include <QDoubleSpinBox>
#include <QMenuBar>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;

class TestMainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void opensDatasetAsynchronously();
    void clickSelectsPoint();
    void grabsScreenshot();
    void newerWorkspaceWins();
    void limitSettingsRoundTrip();

private:
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
    int m_images = 0;
    int m_captions = 0;
};

void TestMainWindow::initTestCase()
{
    const ShapesResult r = generateShapesDataset(m_dir.path(), {30, 2, 48, 3});
    m_images = r.images;
    m_captions = r.captions;
    m_window = std::make_unique<MainWindow>();
    m_window->resize(1000, 700);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestMainWindow::opensDatasetAsynchronously()
{
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    m_window->openWorkspace(Workspace::forDataset(m_dir.path()));
    QVERIFY(m_window->isBusy());   // returned before the scan finished
    QVERIFY(ready.wait(20000));
    QVERIFY(!m_window->isBusy());
    const QList<MapPoint> &points = m_window->mapView()->points();
    QCOMPARE(points.size(), m_images + m_captions);
    int images = 0;
    for (const MapPoint &p : points)
        images += p.kind == MapPoint::Image;
    QCOMPARE(images, m_images);
}

void TestMainWindow::clickSelectsPoint()
{
    MapView *map = m_window->mapView();
    map->fitToView();
    QSignalSpy selected(map, &MapView::pointSelected);
    // Find where the first image is drawn by probing the widget grid.
    QPoint hit(-1, -1);
    for (int y = 0; y < map->height() && hit.x() < 0; y += 3)
        for (int x = 0; x < map->width(); x += 3)
            if (map->pointAt(QPointF(x, y)) == 0) { hit = QPoint(x, y); break; }
    QVERIFY(hit.x() >= 0);
    QTest::mouseClick(map, Qt::LeftButton, {}, hit);
    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.first().first().toInt(), 0);
    QCOMPARE(map->selectedIndex(), 0);
}

void TestMainWindow::grabsScreenshot()
{
    const QImage shot = m_window->grab().toImage();
    QVERIFY(shot.width() >= 1000 && shot.height() >= 700);
    // Not a blank image: the map and docks put many distinct colours on screen.
    QSet<QRgb> colours;
    for (int y = 0; y < shot.height(); y += 7)
        for (int x = 0; x < shot.width(); x += 7)
            colours.insert(shot.pixel(x, y));
    QVERIFY2(colours.size() > 20, qPrintable(QString::number(colours.size())));
}

void TestMainWindow::newerWorkspaceWins()
{
    QTemporaryDir small;
    generateShapesDataset(small.path(), {3, 9, 32, 1});
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    m_window->openWorkspace(Workspace::forDataset(m_dir.path()));
    m_window->openWorkspace(Workspace::forDataset(small.path()));
    QVERIFY(ready.wait(20000));
    QTest::qWait(300);   // the first load may finish later; it must be dropped
    QCOMPARE(ready.count(), 1);
    int images = 0;
    for (const MapPoint &p : m_window->mapView()->points())
        images += p.kind == MapPoint::Image;
    QCOMPARE(images, 3);
}

// Settings > Input Limits: stored only where they differ from the default, a damaged stored value
// falls back to the default, the dialog shows and returns the values, and the menu entry exists.
void TestMainWindow::limitSettingsRoundTrip()
{
    QSettings().remove(u"limits"_qs);
    QCOMPARE(loadLimitSettings(), Limits{});
    Limits changed;
    changed.maxCaptionChars = 300;
    changed.maxFilesPerFolder = 12345;
    saveLimitSettings(changed);
    QCOMPARE(loadLimitSettings(), changed);
    QVERIFY(!QSettings().contains(u"limits/max-image-pixels"_qs));   // defaults are not written
    QCOMPARE(QSettings().value(u"limits/max-caption-chars"_qs).toString(), u"300"_qs);
    QSettings().setValue(u"limits/max-files-per-folder"_qs, u"many"_qs);
    QCOMPARE(loadLimitSettings().maxFilesPerFolder, Limits{}.maxFilesPerFolder);

    LimitsDialog dialog;
    dialog.setValue(changed);
    QCOMPARE(dialog.value(), changed);
    QVERIFY(dialog.editor(u"max-model-mb"_qs));
    dialog.editor(u"max-model-mb"_qs)->setValue(64);
    QCOMPARE(dialog.value().maxModelMB, 64);
    QCOMPARE(dialog.editor(u"max-model-mb"_qs)->minimum(), 1.0);

    QStringList menus;
    for (QAction *a : m_window->menuBar()->actions())
        menus << a->text();
    QVERIFY2(menus.contains(u"&Settings"_qs), qPrintable(menus.join(u", "_qs)));
    QSettings().remove(u"limits"_qs);
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
