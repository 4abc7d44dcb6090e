// The explorer end to end on the offscreen platform, with a tiny model trained on generated shapes:
// typing a query fills the grid with the expected best image, dropping an image ranks captions,
// clicking a point shows its matches, stale searches are discarded, a cancelled job leaves the
// window usable.

#include "tinymodel.h"

#include "core/model/embeddingmodel.h"
#include "core/eval/evaluation.h"
#include "core/base/paths.h"
#include "core/base/runtime.h"
#include "core/data/shapesdemo.h"
#include "core/train/trainer.h"
#include "core/explorer/workspace.h"
#include "core/projection/alignment.h"
#include "ui/explorer/mainwindow.h"
#include "ui/map/mapcolouring.h"
#include "ui/map/mapview.h"
#include "ui/map/selectionpanel.h"

#include <QClipboard>
#include <QLabel>
#include <QSettings>
#include <QTreeWidget>
#include <QFile>
#include <QGuiApplication>

#include <QDropEvent>
#include <QLineEdit>
#include <QListWidget>
#include <QMimeData>
#include <QSignalSpy>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;

class TestExplorer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void embedsAndProjects();
    void layoutCommandDrawsTheSameMap();
    void searchShowsBestImage();
    void staleSearchIsDiscarded();
    void dropRanksCaptions();
    void clickShowsMatches();
    void cancelKeepsWindowUsable();
    void colourModes_data();
    void colourModes();
    void selectionListsAndExports();
    void methodSwitchAnimates();
    void reopenUsesCachedLayout();
    void viewStateRoundTrips();
    void shortcuts();
    void captionsEditDeleteUndo();
    void collectionAddRemoveRescan();
    void dropOntoMapAddsImage();
    void pasteManyCaptions();
    void modelTooltipTellsWeightsFromCode();

private:
    Workspace workspace(ProjectionMethod method = ProjectionMethod::Pca) const;
    QString bestImageFor(const QString &text);

    QTemporaryDir m_dir;
    QString m_data;
    QString m_model;
    std::unique_ptr<MainWindow> m_window;
    std::unique_ptr<EmbeddingModel> m_reference;
    int m_images = 0;
    int m_captions = 0;
};

Workspace TestExplorer::workspace(ProjectionMethod method) const
{
    Workspace w = Workspace::forDataset(m_data);
    w.model = m_model;
    w.method = method;
    return w;
}

void TestExplorer::initTestCase()
{
    initComputeThreads(2);
    QDir(paths::cacheDir() + u"/layouts"_qs).removeRecursively();   // ctest keeps XDG folders between runs
    m_data = m_dir.filePath(u"shapes"_qs);
    const ShapesResult shapes = generateShapesDataset(m_data, {120, 4, 32, 2});
    m_images = shapes.images;
    m_captions = shapes.captions;
    m_model = testing::trainTinyModel(m_data, m_dir.filePath(u"run"_qs), {}, 2, 0.0);
    QVERIFY(!m_model.isEmpty());
    m_reference = loadModel(m_model);

    m_window = std::make_unique<MainWindow>(nullptr, m_dir.filePath(u"store.db"_qs));
    m_window->resize(1100, 750);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestExplorer::embedsAndProjects()
{
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    m_window->openWorkspace(workspace());
    QVERIFY(ready.wait(120000));
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QVERIFY(!m_window->layoutWasCached());
    const QList<MapPoint> &points = m_window->mapView()->points();
    QCOMPARE(points.size(), m_images + m_captions);
    // A projection, not the gallery grid: positions are not all on integer grid coordinates.
    int offGrid = 0;
    for (const MapPoint &p : points)
        offGrid += p.pos.x() != std::floor(p.pos.x());
    QVERIFY(offGrid > points.size() / 2);
    // Every caption of the paired file is linked to its own image; some are the model's rank-1 match.
    int rankOne = 0;
    for (const MapPoint &p : points) {
        if (p.kind != MapPoint::Caption)
            continue;
        QVERIFY(p.partner >= 0 && p.partner < points.size());
        QCOMPARE(points[p.partner].kind, MapPoint::Image);
        rankOne += p.rankOne;
    }
    QVERIFY(rankOne > 0);
}

// `cospace-cli layout` on the same workspace, store and layout cache writes the map the window
// shows, point for point (the core owns the main job; the GUI only draws it).
void TestExplorer::layoutCommandDrawsTheSameMap()
{
    const QString csv = m_dir.filePath(u"layout.csv"_qs);
    QProcess cli;
    cli.start(QStringLiteral(COSPACE_CLI), {u"layout"_qs, u"--dataset"_qs, m_data, u"--model"_qs, m_model, u"--method"_qs,
                                           u"PCA"_qs, u"--store"_qs, m_dir.filePath(u"store.db"_qs), u"--out"_qs, csv,
                                           u"--json"_qs, u"--timing"_qs});
    QVERIFY(cli.waitForFinished(120000));
    const QString stderrText = QString::fromUtf8(cli.readAllStandardError());
    QVERIFY2(cli.exitCode() == 0, qPrintable(stderrText));
    // --timing: one line per stage, in order, each with its seconds.
    for (const QString &stage : {u"loading vectors"_qs, u"looking up the layout cache"_qs, u"writing points"_qs})
        QVERIFY2(QRegularExpression(u"^layout: %1 \\d+\\.\\d\\d s$"_qs.arg(stage), QRegularExpression::MultilineOption)
                     .match(stderrText).hasMatch(), qPrintable(stderrText));
    QVERIFY(stderrText.indexOf(u"loading vectors"_qs) < stderrText.indexOf(u"writing points"_qs));
    const QJsonObject summary = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    QCOMPARE(summary.value(u"method"_qs).toString(), u"pca"_qs);
    QVERIFY(summary.value(u"cached_layout"_qs).toBool());   // the window's projection, from the shared cache
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u"\r\n"_qs, Qt::SkipEmptyParts);
    QCOMPARE(lines.first(), u"kind,path,caption,x,y"_qs);
    const QList<MapPoint> &points = m_window->mapView()->points();
    QCOMPARE(lines.size() - 1, points.size());
    for (int i = 0; i < points.size(); ++i) {
        const QStringList f = lines[i + 1].split(u','); // shapes captions and temp paths have no commas
        QCOMPARE(f.size(), 5);
        const MapPoint &p = points[i];
        QCOMPARE(f[0], p.kind == MapPoint::Image ? u"image"_qs : u"caption"_qs);
        QCOMPARE(f[1], p.kind == MapPoint::Image ? p.path : points[p.partner].path);
        QCOMPARE(f[2], p.kind == MapPoint::Image ? QString() : p.text);
        QVERIFY2(std::abs(f[3].toDouble() - p.pos.x()) < 1e-4 && std::abs(f[4].toDouble() - p.pos.y()) < 1e-4,
                 qPrintable(u"point %1: %2,%3 vs %4,%5"_qs.arg(i).arg(f[3], f[4]).arg(p.pos.x()).arg(p.pos.y())));
    }
}

QString TestExplorer::bestImageFor(const QString &text)
{
    // Brute force with the model itself: the image whose embedding has the highest cosine.
    const Matrix q = m_reference->encodeTexts({text});
    const CaptionFile pairs = readCaptionFile(m_data + u"/captions.tsv"_qs);
    QStringList paths;
    for (const CaptionRow &r : pairs.rows)
        paths << r.image;
    paths.removeDuplicates();
    QString best;
    float bestScore = -2;
    for (const QString &path : paths) {
        const Matrix e = m_reference->encodeImages({readImageFile(path)});
        float s = 0;
        for (int j = 0; j < e.cols; ++j)
            s += e.at(0, j) * q.at(0, j);
        if (s > bestScore) {
            bestScore = s;
            best = path;
        }
    }
    return best;
}

void TestExplorer::searchShowsBestImage()
{
    const QString query = u"a large red circle"_qs;
    QSignalSpy shown(m_window.get(), &MainWindow::searchShown);
    m_window->searchEdit()->setText(query);   // typing: debounced, then searched off the GUI thread
    QVERIFY(shown.wait(20000));
    QCOMPARE(shown.last().first().toString(), query);
    QListWidget *grid = m_window->searchResultsView();
    QVERIFY(grid->count() > 0);
    QCOMPARE(grid->item(0)->data(Qt::UserRole).toString(), bestImageFor(query));
    QVERIFY(grid->item(0)->text().contains(u'%'));   // score and calibrated percentile shown
    // The query is placed on the map, near the images it matches best.
    QTRY_VERIFY(m_window->mapView()->hasQueryMarker());
}

void TestExplorer::staleSearchIsDiscarded()
{
    QSignalSpy shown(m_window.get(), &MainWindow::searchShown);
    m_window->runSearch(u"a blue square"_qs);
    m_window->runSearch(u"a green triangle"_qs);   // supersedes the first before it answers
    QVERIFY(shown.wait(20000));
    QTest::qWait(300);
    for (const QList<QVariant> &emission : shown)
        QCOMPARE(emission.first().toString(), u"a green triangle"_qs);
}

void TestExplorer::dropRanksCaptions()
{
    const QString image = m_data + u"/images/000/000007.png"_qs;
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(image)});
    QSignalSpy shown(m_window.get(), &MainWindow::matchesShown);
    // What a drag from a file manager delivers: enter, then drop, on the window.
    QDragEnterEvent enter(QPoint(200, 200), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_window.get(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(200, 200), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_window.get(), &drop);
    QVERIFY2(shown.wait(20000), qPrintable(m_window->lastError()));
    QCOMPARE(shown.last().first().toString(), u"000007.png"_qs);
    QListWidget *matches = m_window->matchesView();
    QVERIFY(matches->count() > 0);
    // The top caption is the one the model scores highest for this image.
    const Matrix e = m_reference->encodeImages({readImageFile(image)});
    const CaptionFile pairs = readCaptionFile(m_data + u"/captions.tsv"_qs);
    QStringList texts;
    for (const CaptionRow &r : pairs.rows)
        texts << r.caption;
    const Matrix t = m_reference->encodeTexts(texts);
    int best = 0;
    float bestScore = -2;
    for (int i = 0; i < t.rows; ++i) {
        float s = 0;
        for (int j = 0; j < t.cols; ++j)
            s += t.at(i, j) * e.at(0, j);
        if (s > bestScore) {
            bestScore = s;
            best = i;
        }
    }
    QCOMPARE(matches->item(0)->data(Qt::UserRole).toString(), texts[best]);
}

void TestExplorer::clickShowsMatches()
{
    MapView *map = m_window->mapView();
    map->fitToView();
    QPoint hit(-1, -1);
    int index = -1;
    for (int y = 0; y < map->height() && hit.x() < 0; y += 2)
        for (int x = 0; x < map->width(); x += 2) {
            index = map->pointAt(QPointF(x, y));
            if (index >= 0 && map->points()[index].kind == MapPoint::Image) { hit = QPoint(x, y); break; }
        }
    QVERIFY(hit.x() >= 0);
    QSignalSpy shown(m_window.get(), &MainWindow::matchesShown);
    QTest::mouseClick(map, Qt::LeftButton, {}, hit);
    QVERIFY(shown.wait(20000));
    QCOMPARE(shown.last().first().toString(), map->points()[map->selectedIndex()].text);
    QVERIFY(m_window->matchesView()->count() > 0);
}

void TestExplorer::cancelKeepsWindowUsable()
{
    // A fresh store forces a full re-embed; cancel it straight away.
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    Workspace w = workspace(ProjectionMethod::Umap);
    w.captionFiles.clear();
    MainWindow other(nullptr, m_dir.filePath(u"other.db"_qs));
    QSignalSpy otherReady(&other, &MainWindow::ready);
    other.openWorkspace(w);
    other.cancelJob();
    QVERIFY(otherReady.wait(60000));
    QVERIFY(!other.isBusy());
    QVERIFY2(other.lastError().contains(u"Cancelled"), qPrintable(other.lastError()));
    // The window still works: the same workspace opens fully afterwards.
    other.openWorkspace(workspace());
    QVERIFY(otherReady.wait(120000));
    QVERIFY2(other.lastError().isEmpty(), qPrintable(other.lastError()));
    QCOMPARE(other.mapView()->points().size(), m_images + m_captions);
}

void TestExplorer::colourModes_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<int>("minLegend");   // legend entries expected at least
    QTest::newRow("modality") << u"modality"_qs << 0;
    QTest::newRow("folder") << u"folder"_qs << 1;
    QTest::newRow("cluster") << u"cluster"_qs << 2;
    QTest::newRow("similarity") << u"similarity"_qs << 0;
}

void TestExplorer::colourModes()
{
    QFETCH(QString, mode);
    QFETCH(int, minLegend);
    MapView *map = m_window->mapView();
    QVERIFY(!m_window->isBusy());
    if (mode == u"similarity") {   // needs a query: its cosine with every point
        QSignalSpy shown(m_window.get(), &MainWindow::searchShown);
        m_window->runSearch(u"a small blue square"_qs);
        QVERIFY(shown.wait(20000));
    }
    QSignalSpy applied(m_window.get(), &MainWindow::colouringApplied);
    m_window->setColourBy(colourByFromKey(mode));
    QVERIFY(applied.count() > 0 || applied.wait(20000));   // cluster colours come from the thread pool
    const MapColouring &c = map->colouring();
    if (mode == u"modality") {
        QVERIFY(c.colours.isEmpty());
        QCOMPARE(map->pointColour(0), map->palette().color(QPalette::Highlight));
        return;
    }
    QCOMPARE(c.colours.size(), map->points().size());
    QVERIFY2(c.legend.size() >= minLegend, qPrintable(QString::number(c.legend.size())));
    if (mode == u"folder") {
        QCOMPARE(c.legend.first().label, u"images"_qs);   // forDataset: the images/ folder
        for (int i = 0; i < map->points().size(); ++i)
            if (map->points()[i].kind == MapPoint::Image)
                QCOMPARE(QColor::fromRgba(c.colours[i]), c.legend.first().colour);
    } else if (mode == u"cluster") {
        QSet<QRgb> distinct(c.colours.begin(), c.colours.end());
        QCOMPARE(distinct.size(), c.legend.size());
    } else {
        QVERIFY(!c.rampStops.isEmpty());
        // The best-matching point wears the top of the ramp, the worst the bottom.
        QCOMPARE(QColor::fromRgba(*std::max_element(c.colours.begin(), c.colours.end(), [](QRgb a, QRgb b) {
                     return qGray(a) < qGray(b); })).rgb(), c.rampStops.last().rgb());
    }
    m_window->setColourBy(ColourBy::Modality);
}

void TestExplorer::selectionListsAndExports()
{
    MapView *map = m_window->mapView();
    map->fitToView();
    // Everything, by a rectangle over the whole widget; then a lasso around the left half.
    map->selectInRect(QRectF(map->rect()));
    const int n = int(map->points().size());
    QCOMPARE(map->selection().size(), n);
    SelectionPanel *panel = m_window->selectionPanel();
    QCOMPARE(panel->list()->count(), n);
    map->selectInPolygon(QPolygonF(QRectF(0, 0, map->width() / 2.0, map->height())));
    QList<int> left;
    for (int i = 0; i < n; ++i)
        if (map->points()[i].pos.x() < map->centre().x())
            left << i;
    QCOMPARE(map->selection(), left);
    QCOMPARE(panel->list()->count(), left.size());
    // The CSV: a header and one row per point, image rows with their path, caption rows their text.
    const QStringList lines = panel->csv().split(u"\r\n"_qs, Qt::SkipEmptyParts);
    QCOMPARE(lines.first(), u"modality,path,caption,x,y"_qs);
    QCOMPARE(lines.size(), left.size() + 1);
    const MapPoint &first = map->points()[left.first()];
    QVERIFY2(lines[1].startsWith(first.kind == MapPoint::Image ? u"image,"_qs + first.path : u"caption,"_qs),
             qPrintable(lines[1]));
    QTemporaryDir dir;
    const QString file = dir.filePath(u"sel.csv"_qs);
    QCOMPARE(panel->exportCsv(file), QString());
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(f.readAll()), panel->csv());
    panel->copyToClipboard();
    QCOMPARE(QGuiApplication::clipboard()->text(), panel->csv());
    // Esc on the map clears it.
    map->setFocus();
    QTest::keyClick(map, Qt::Key_Escape);
    QVERIFY(map->selection().isEmpty());
    QCOMPARE(panel->list()->count(), 0);
}

void TestExplorer::methodSwitchAnimates()
{
    MapView *map = m_window->mapView();
    QVERIFY(!m_window->isBusy());
    const QList<MapPoint> before = map->points();
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    QSignalSpy finished(map, &MapView::animationFinished);
    m_window->setProjectionMethod(ProjectionMethod::Umap);
    QVERIFY(ready.wait(120000));
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QCOMPARE(m_window->workspace().method, ProjectionMethod::Umap);
    // The transition starts where the old layout was and glides to the new one.
    QVERIFY(map->isAnimating() || finished.count() == 1);
    QVERIFY(finished.count() == 1 || finished.wait(5000));
    const QList<MapPoint> &after = map->points();
    const QList<MapPoint> &projected = m_window->projectedPoints();
    QCOMPARE(after.size(), before.size());
    QCOMPARE(projected.size(), after.size());
    // It ends at the new layout, only rotated/scaled/moved onto the old one (Procrustes).
    Matrix shown(int(after.size()), 2), raw(int(after.size()), 2), old(int(after.size()), 2);
    for (int i = 0; i < after.size(); ++i) {
        shown.at(i, 0) = float(after[i].pos.x()), shown.at(i, 1) = float(after[i].pos.y());
        raw.at(i, 0) = float(projected[i].pos.x()), raw.at(i, 1) = float(projected[i].pos.y());
        old.at(i, 0) = float(before[i].pos.x()), old.at(i, 1) = float(before[i].pos.y());
    }
    const Similarity2D fit = procrustes2D(raw, shown);
    QVERIFY2(fit.rmsd < 1e-3 * std::max(1.0, fit.scale()), qPrintable(QString::number(fit.rmsd)));
    // ... and as close to the old layout as such a transform gets (the alignment was applied).
    const Matrix expected = alignLayout(raw, old);
    for (int i = 0; i < after.size(); ++i)
        QVERIFY(std::abs(expected.at(i, 0) - shown.at(i, 0)) < 1e-2 && std::abs(expected.at(i, 1) - shown.at(i, 1)) < 1e-2);
    m_window->setProjectionMethod(ProjectionMethod::Pca);
    QVERIFY(ready.wait(120000));
}

void TestExplorer::reopenUsesCachedLayout()
{
    // PCA was projected above; opening the same workspace again reads the layout from the cache.
    QCOMPARE(m_window->workspace().method, ProjectionMethod::Pca);
    const QList<MapPoint> first = m_window->projectedPoints();
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    m_window->openWorkspace(workspace());
    QVERIFY(ready.wait(120000));
    QVERIFY(m_window->layoutWasCached());
    const QList<MapPoint> &again = m_window->projectedPoints();
    QCOMPARE(again.size(), first.size());
    for (int i = 0; i < again.size(); ++i)
        QCOMPARE(again[i].pos, first[i].pos);
    QVERIFY(!QDir(paths::cacheDir() + u"/layouts"_qs).entryList({u"*.npy"_qs}).isEmpty());
}

void TestExplorer::viewStateRoundTrips()
{
    MapView *map = m_window->mapView();
    m_window->setColourBy(ColourBy::Folder);
    map->setView(map->zoom() * 3, map->points()[5].pos);
    map->selectPoint(7);
    const double zoom = map->zoom();
    const QPointF centre = map->centre();
    const MapPoint selected = map->points()[7];
    QTemporaryDir dir;
    const QString file = dir.filePath(u"view.cospace"_qs);
    QCOMPARE(m_window->saveWorkspaceTo(file), QString());
    QCOMPARE(QSettings().value(u"recent/workspaces"_qs).toStringList().value(0), QFileInfo(file).absoluteFilePath());
    // Look elsewhere, then open the file again: the saved view comes back.
    m_window->setColourBy(ColourBy::Modality);
    map->fitToView();
    map->selectPoint(-1);
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    QCOMPARE(m_window->openWorkspaceFile(file), QString());
    QVERIFY(ready.wait(120000));
    QCOMPARE(m_window->colourBy(), ColourBy::Folder);
    QVERIFY2(std::abs(map->zoom() / zoom - 1) < 1e-9, qPrintable(u"%1 vs %2"_qs.arg(map->zoom()).arg(zoom)));
    QVERIFY(QLineF(map->centre(), centre).length() < 1e-6);
    QVERIFY(map->selectedIndex() >= 0);
    QCOMPARE(map->points()[map->selectedIndex()].text, selected.text);
    QCOMPARE(map->points()[map->selectedIndex()].path, selected.path);
    // A later re-projection does not jump back to the saved view.
    m_window->setColourBy(ColourBy::Modality);
    map->fitToView();
    const double fitted = map->zoom();
    m_window->setProjectionMethod(ProjectionMethod::Pca);
    QVERIFY(ready.wait(120000));
    QCOMPARE(map->zoom(), fitted);
}

void TestExplorer::shortcuts()
{
    MapView *map = m_window->mapView();
    m_window->activateWindow();
    map->setFocus();
    // + zooms once (the View menu's shortcut and the map's own key handling do not both fire).
    const double zoom = map->zoom();
    QTest::keyClick(map, Qt::Key_Plus);
    QVERIFY2(std::abs(map->zoom() / zoom - 1.25) < 1e-9, qPrintable(QString::number(map->zoom() / zoom)));
    QTest::keyClick(map, Qt::Key_Minus);
    QVERIFY(std::abs(map->zoom() / zoom - 1) < 1e-9);
    // ... while a text field still gets + and - as text (combined prompts need them).
    QLineEdit *search = m_window->searchEdit();
    search->clear();
    search->setFocus();
    QTest::keyClicks(search, u"cat + dog - fur"_qs);
    QCOMPARE(search->text(), u"cat + dog - fur"_qs);
    QCOMPARE(map->zoom(), zoom);
    search->clear();
    // Ctrl+F goes to the search field from anywhere.
    map->setFocus();
    QTest::keyClick(m_window.get(), Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(search->hasFocus());
}

static int captionPoints(const MapView *map, const QString &text)
{
    int n = 0;
    for (const MapPoint &p : map->points())
        n += p.kind == MapPoint::Caption && p.text == text;
    return n;
}

void TestExplorer::captionsEditDeleteUndo()
{
    MapView *map = m_window->mapView();
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    // Type a caption and press Enter: it is embedded and appears on the map.
    QLineEdit *edit = m_window->captionEdit();
    edit->setFocus();
    QTest::keyClicks(edit, u"a purple star"_qs);
    QTest::keyClick(edit, Qt::Key_Return);
    QVERIFY(ready.wait(120000));
    QCOMPARE(captionPoints(map, u"a purple star"_qs), 1);
    // Edit it in the Captions list (what F2 and typing commit): the map follows.
    QListWidget *list = m_window->captionsView();
    QListWidgetItem *item = list->findItems(u"a purple star"_qs, Qt::MatchExactly).value(0);
    QVERIFY(item);
    QVERIFY(item->flags() & Qt::ItemIsEditable);
    item->setText(u"a purple hexagon"_qs);
    QVERIFY(ready.wait(120000));
    QCOMPARE(captionPoints(map, u"a purple star"_qs), 0);
    QCOMPARE(captionPoints(map, u"a purple hexagon"_qs), 1);
    QCOMPARE(m_window->workspace().captions, QStringList{u"a purple hexagon"_qs});
    // Delete it with the Delete key; Undo brings it back.
    item = list->findItems(u"a purple hexagon"_qs, Qt::MatchExactly).value(0);
    QVERIFY(item);
    list->setCurrentItem(item);
    list->setFocus();
    QTRY_VERIFY(list->hasFocus());
    QTest::keyClick(list, Qt::Key_Delete);
    QVERIFY(ready.wait(120000));
    QCOMPARE(captionPoints(map, u"a purple hexagon"_qs), 0);
    QVERIFY(m_window->workspace().captions.isEmpty());
    QVERIFY(m_window->canUndoDelete());
    m_window->undoDelete();
    QVERIFY(ready.wait(120000));
    QCOMPARE(captionPoints(map, u"a purple hexagon"_qs), 1);
    QVERIFY(!m_window->canUndoDelete());
    // A caption from the paired file is not editable and Delete leaves it alone.
    QListWidgetItem *fromFile = nullptr;
    for (int i = 0; i < list->count() && !fromFile; ++i)
        if (list->item(i)->data(Qt::UserRole).toInt() < 0)
            fromFile = list->item(i);
    QVERIFY(fromFile);
    QVERIFY(!(fromFile->flags() & Qt::ItemIsEditable));
    const int points = int(map->points().size());
    list->clearSelection();
    list->setCurrentItem(fromFile);
    QTest::keyClick(list, Qt::Key_Delete);
    QVERIFY(!ready.wait(500));
    QCOMPARE(map->points().size(), points);
    m_window->deleteCaptions({0});
    QVERIFY(ready.wait(120000));
}

void TestExplorer::collectionAddRemoveRescan()
{
    MapView *map = m_window->mapView();
    auto images = [map] {
        int n = 0;
        for (const MapPoint &p : map->points())
            n += p.kind == MapPoint::Image;
        return n;
    };
    QTemporaryDir extra;
    QVERIFY(QFile::copy(m_data + u"/images/000/000001.png"_qs, extra.filePath(u"one.png"_qs)));
    QVERIFY(QFile::copy(m_data + u"/images/000/000002.png"_qs, extra.filePath(u"two.png"_qs)));
    QFile broken(extra.filePath(u"broken.png"_qs));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("not a png at all");
    broken.close();
    const int before = images();
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    m_window->addFolderPath(extra.path());
    QVERIFY(ready.wait(120000));
    QCOMPARE(images(), before + 2);
    // The Collection lists both folders; the broken file sits under its folder with a reason.
    QTreeWidget *tree = m_window->collectionView();
    QTreeWidgetItem *added = nullptr;
    int folders = 0;
    for (int i = 0; i < tree->topLevelItemCount(); ++i)
        if (tree->topLevelItem(i)->data(0, kCollectionKindRole).toString() == u"folder") {
            ++folders;
            if (tree->topLevelItem(i)->data(0, Qt::UserRole).toString() == QDir::cleanPath(extra.path()))
                added = tree->topLevelItem(i);
        }
    QCOMPARE(folders, 2);
    QVERIFY(added);
    QCOMPARE(added->text(1), u"3"_qs);   // scanned: two images and the broken file
    QStringList children;
    for (int i = 0; i < added->childCount(); ++i)
        children << added->child(i)->text(0);
    QVERIFY2(children.join(u'|').contains(u"broken.png: "_qs), qPrintable(children.join(u'|')));
    // Re-scan picks up a new file.
    QVERIFY(QFile::copy(m_data + u"/images/000/000003.png"_qs, extra.filePath(u"three.png"_qs)));
    m_window->rescan();
    QVERIFY(ready.wait(120000));
    QCOMPARE(images(), before + 3);
    // Removing the folder takes its images off the map.
    m_window->removeCollectionEntry(QDir::cleanPath(extra.path()));
    QVERIFY(ready.wait(120000));
    QCOMPARE(images(), before);
}

void TestExplorer::dropOntoMapAddsImage()
{
    QTemporaryDir extra;
    const QString image = QDir::cleanPath(extra.filePath(u"dropped.png"_qs));
    QVERIFY(QFile::copy(m_data + u"/images/000/000004.png"_qs, image));
    MapView *map = m_window->mapView();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(image)});
    const QPointF onMap = QPointF(map->mapTo(m_window.get(), map->rect().center()));
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    QSignalSpy matched(m_window.get(), &MainWindow::matchesShown);
    QDragEnterEvent enter(onMap.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_window.get(), &enter);
    QDropEvent drop(onMap, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_window.get(), &drop);
    QVERIFY(m_window->workspace().folders.contains(image));   // onto the map: joins the collection
    QVERIFY(ready.wait(120000));
    int found = 0;
    for (const MapPoint &p : map->points())
        found += p.kind == MapPoint::Image && p.path == image;
    QCOMPARE(found, 1);
    QVERIFY(matched.count() > 0 || matched.wait(20000));   // and its captions are ranked as well
    m_window->removeCollectionEntry(image);
    QVERIFY(ready.wait(120000));
}

void TestExplorer::pasteManyCaptions()
{
    QGuiApplication::clipboard()->setText(u"a green star\n\n  a tiny  yellow moon \nthree red dots\n"_qs);
    QLineEdit *edit = m_window->captionEdit();
    edit->setFocus();
    QTRY_VERIFY(edit->hasFocus());
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    QTest::keySequence(edit, QKeySequence::Paste);
    QVERIFY(ready.wait(120000));
    QCOMPARE(m_window->workspace().captions,
             (QStringList{u"a green star"_qs, u"a tiny yellow moon"_qs, u"three red dots"_qs}));
    QCOMPARE(captionPoints(m_window->mapView(), u"a tiny yellow moon"_qs), 1);
    QVERIFY(edit->text().isEmpty());
    m_window->deleteCaptions({0, 1, 2});
    QVERIFY(ready.wait(120000));
}

// The model line's tooltip says what opening the model ran (issue 17): a CLIP weights file runs none of
// its own code, a Cospace checkpoint or bundle is TorchScript. Runs last: it swaps the window's model.
void TestExplorer::modelTooltipTellsWeightsFromCode()
{
    const auto modelLine = [this]() -> QLabel * {
        for (QLabel *label : m_window->findChildren<QLabel *>())
            if (label->text().contains(u"modality gap"_qs))
                return label;
        return nullptr;
    };
    const QString weights = QStringLiteral(COSPACE_TEST_DATA "/clip/checkpoints/openai/model.pt");
    for (const QString &model : {weights, m_model}) {
        Workspace w = workspace();
        w.model = model;
        QSignalSpy ready(m_window.get(), &MainWindow::ready);
        m_window->openWorkspace(w);
        QVERIFY(ready.wait(120000));
        QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
        const QLabel *line = modelLine();
        QVERIFY(line);
        const QString tip = line->toolTip();
        QVERIFY2(tip.contains(model), qPrintable(tip));
        if (model == weights) {
            QVERIFY2(line->text().contains(u"model.pt"_qs), qPrintable(line->text()));
            QVERIFY2(tip.contains(u"Weights only"_qs) && !tip.contains(u"TorchScript"_qs), qPrintable(tip));
        } else {
            QVERIFY2(tip.contains(u"code, not just weights"_qs) && !tip.contains(u"Weights only"_qs), qPrintable(tip));
        }
    }
}

QTEST_MAIN(TestExplorer)
#include "tst_explorer.moc"
