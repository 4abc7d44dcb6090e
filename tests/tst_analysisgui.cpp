// The explorer's analysis views on the offscreen platform, with the default model on 30 Noto emoji in
// folders named by category (tests/data/analysis) plus a planted re-encoded copy: the Clusters dock
// labels the hearts "heart" on the map (fewer labels when zoomed out), Zero-shot fills its confusion
// matrix above chance, Duplicates finds the copy and moves (never deletes) it, Hubness counts
// k-occurrence with and without CSLS, and the Axes toolbar places images by prompt pairs.

#include "core/base/paths.h"
#include "core/base/runtime.h"
#include "core/explorer/workspace.h"
#include "ui/explorer/analysispanels.h"
#include "ui/explorer/axestoolbar.h"
#include "ui/explorer/clustersdock.h"
#include "ui/explorer/duplicatesdock.h"
#include "ui/explorer/hubnessdock.h"
#include "ui/explorer/mainwindow.h"
#include "ui/explorer/zeroshotdock.h"
#include "ui/map/maplabels.h"
#include "ui/map/mapview.h"

#include <QDir>
#include <numeric>
#include <QImage>
#include <QListWidget>
#include <QPainter>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace cospace;

class TestAnalysisGui : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void clustersLabelTheHearts();
    void labelsThinOutWhenZoomedOut();
    void zeroShotConfusion();
    void duplicatesFoundAndMoved();
    void hubnessMeasured();
    void semanticAxes();

private:
    double meanX(const QString &folder) const;

    QTemporaryDir m_dir;
    QString m_images;
    std::unique_ptr<MainWindow> m_window;
    AnalysisPanels *m_panels = nullptr;
};

void TestAnalysisGui::initTestCase()
{
    initComputeThreads(2);
    QDir(paths::cacheDir() + u"/layouts"_qs).removeRecursively();
    const QString source = QStringLiteral(COSPACE_TEST_DATA "/analysis/emoji");
    m_images = m_dir.filePath(u"emoji"_qs);
    for (const QString &sub : QDir(source).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QVERIFY(QDir().mkpath(m_images + u'/' + sub));
        for (const QString &f : QDir(source + u'/' + sub).entryList(QDir::Files))
            QVERIFY(QFile::copy(source + u'/' + sub + u'/' + f, m_images + u'/' + sub + u'/' + f));
    }
    // The planted duplicate: the red heart at half size, flattened on white, as JPEG.
    QImage heart(source + u"/heart/2764-fe0f.png"_qs), flat(64, 64, QImage::Format_RGB32);
    flat.fill(Qt::white);
    QPainter(&flat).drawImage(0, 0, heart);
    QVERIFY(flat.scaled(32, 32, Qt::IgnoreAspectRatio, Qt::SmoothTransformation).save(m_images + u"/heart/copy.jpg"_qs, "JPEG", 75));

    m_window = std::make_unique<MainWindow>(nullptr, m_dir.filePath(u"store.db"_qs));
    m_window->resize(1280, 800);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_panels = m_window->analysisPanels();
    QVERIFY(m_panels);
    Workspace w;
    w.name = u"emoji"_qs;
    w.folders = {m_images};
    w.captions = {u"a red heart"_qs, u"a cat face"_qs, u"a car"_qs, u"a tree"_qs, u"love"_qs, u"a kitten"_qs,
                  u"a police car"_qs, u"a palm tree"_qs};
    w.model = u"default"_qs;
    w.method = ProjectionMethod::Pca;
    QSignalSpy ready(m_window.get(), &MainWindow::ready);
    QSignalSpy clustered(m_panels->clusters(), &ClustersDock::clustersShown);
    m_window->openWorkspace(w);
    QVERIFY(ready.wait(300000));
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QVERIFY(clustered.wait(300000));   // "Label automatically" clusters every new map
}

void TestAnalysisGui::clustersLabelTheHearts()
{
    const QList<ClusterSummary> &clusters = m_panels->clusters()->clusters();
    QVERIFY(clusters.size() >= 2);
    const QList<MapPoint> &points = m_window->mapView()->points();
    QString heartLabel;
    int most = 0;
    for (const ClusterSummary &c : clusters) {
        int hearts = 0;
        for (int i : c.members)
            hearts += points[i].path.contains(u"/heart/"_qs);
        if (hearts > most) {
            most = hearts;
            heartLabel = c.label;
        }
    }
    QCOMPARE(heartLabel, u"heart"_qs);
    QCOMPARE(m_panels->clusters()->list()->count(), clusters.size());
    m_window->mapView()->fitToView();
    QVERIFY(m_panels->labels()->visibleLabels().contains(u"heart"_qs));
    // Clicking a cluster in the panel selects its points.
    m_panels->clusters()->list()->setCurrentRow(0);
    Q_EMIT m_panels->clusters()->list()->itemClicked(m_panels->clusters()->list()->item(0));
    QCOMPARE(m_window->mapView()->selection().size(), clusters[0].members.size());
    m_window->mapView()->clearSelection();
    const QString shot = m_dir.filePath(u"labels.png"_qs);
    QVERIFY(m_window->grab().save(shot));
    if (const QString keep = qEnvironmentVariable("COSPACE_ANALYSIS_SCREENSHOT"); !keep.isEmpty())
        m_window->grab().save(keep);
}

void TestAnalysisGui::labelsThinOutWhenZoomedOut()
{
    MapView *map = m_window->mapView();
    map->fitToView();
    const int fitted = int(m_panels->labels()->visibleLabels().size());
    QVERIFY(fitted >= 2);
    const QPointF centre = map->centre();
    const double zoom = map->zoom();
    map->setView(zoom * 0.4, centre);   // further out: labels crowd, the small ones give way
    const int mid = int(m_panels->labels()->visibleLabels().size());
    QVERIFY2(mid >= 1 && mid <= fitted, qPrintable(u"%1 labels zoomed out, %2 fitted"_qs.arg(mid).arg(fitted)));
    map->setView(zoom * 0.02, centre);  // far out: every cluster centre within a few pixels
    const QStringList far = m_panels->labels()->visibleLabels();
    QCOMPARE(far.size(), 1);            // only the biggest cluster's label
    QCOMPARE(far.first(), m_panels->labels()->labels().first().text);
    map->fitToView();
}

void TestAnalysisGui::zeroShotConfusion()
{
    ZeroShotDock *dock = m_panels->zeroShot();
    // The class names come from the folders the images sit in.
    QSignalSpy done(dock, &ZeroShotDock::classified);
    dock->classify();
    QVERIFY(done.wait(120000));
    QVERIFY(dock->result().accuracy.has_value());
    QVERIFY2(*dock->result().accuracy > 0.25, qPrintable(QString::number(*dock->result().accuracy)));
    QCOMPARE(dock->confusionTable()->rowCount(), 4);
    QCOMPARE(m_window->mapView()->colouring().title, u"Zero-shot class"_qs);
    QCOMPARE(m_window->mapView()->colouring().legend.size(), 4);
}

void TestAnalysisGui::duplicatesFoundAndMoved()
{
    DuplicatesDock *dock = m_panels->duplicates();
    QSignalSpy found(dock, &DuplicatesDock::found);
    dock->find();
    QVERIFY(found.wait(120000));
    int group = -1, original = -1;
    for (int g = 0; g < dock->result().groups.size(); ++g)
        for (int i : dock->result().groups[g].members) {
            if (dock->paths()[i].endsWith(u"/heart/copy.jpg"_qs))
                group = g;
            if (dock->paths()[i].endsWith(u"/heart/2764-fe0f.png"_qs))
                original = i;
        }
    QVERIFY2(group >= 0, "the planted copy is in no group");
    QVERIFY(dock->result().groups[group].members.contains(original));
    QVERIFY(dock->groupsView()->topLevelItemCount() >= 1);
    QVERIFY(dock->outliersView()->count() > 0);
    QVERIFY(dock->exportCsv(m_dir.filePath(u"dups.csv"_qs)).isEmpty());
    // Keep the original, move the rest: the copy lands in the folder, nothing is deleted.
    const QString aside = m_dir.filePath(u"aside"_qs);
    QVERIFY(dock->moveAllBut(group, original, aside).isEmpty());
    QVERIFY(QFileInfo::exists(aside + u"/copy.jpg"_qs));
    QVERIFY(QFileInfo::exists(m_images + u"/heart/2764-fe0f.png"_qs));
    QVERIFY(!QFileInfo::exists(m_images + u"/heart/copy.jpg"_qs));
}

void TestAnalysisGui::hubnessMeasured()
{
    HubnessDock *dock = m_panels->hubness();
    QSignalSpy shown(dock, &HubnessDock::measuredShown);
    QSignalSpy searched(m_window.get(), &MainWindow::searchShown);
    dock->setRerank(Rerank::Csls);
    dock->measure();
    QVERIFY(shown.wait(120000));
    const HubnessDock::Measured &m = dock->measured();
    QCOMPARE(m.method, Rerank::Csls);
    QCOMPARE(int(m.raw.size()), int(m.corrected.size()));
    // Every caption query contributes its 10 best images: the counts sum to 10 x captions.
    QCOMPARE(std::accumulate(m.raw.begin(), m.raw.end(), 0), 10 * 8);
    QCOMPARE(std::accumulate(m.corrected.begin(), m.corrected.end(), 0), 10 * 8);
    // Search still answers with the correction on.
    m_window->runSearch(u"heart"_qs);
    QVERIFY(searched.wait(60000));
    QVERIFY(m_window->searchResultsView()->count() > 0);
    dock->setRerank(Rerank::None);
}

double TestAnalysisGui::meanX(const QString &folder) const
{
    double sum = 0;
    int n = 0;
    for (const MapPoint &p : m_window->mapView()->points())
        if (p.kind == MapPoint::Image && p.path.contains(u'/' + folder + u'/')) {
            sum += p.pos.x();
            ++n;
        }
    return n ? sum / n : 0;
}

void TestAnalysisGui::semanticAxes()
{
    AxesToolBar *axes = m_panels->axes();
    const QList<MapPoint> before = m_window->mapView()->points();
    QSignalSpy moved(axes, &AxesToolBar::pointsMoved);
    axes->apply(u"heart | car"_qs);
    QVERIFY(moved.wait(60000));
    QVERIFY(axes->active());
    QTRY_VERIFY(!m_window->mapView()->isAnimating());
    // x grows towards "heart": the hearts sit right of the cars.
    QVERIFY2(meanX(u"heart"_qs) > meanX(u"car"_qs), qPrintable(u"%1 vs %2"_qs.arg(meanX(u"heart"_qs)).arg(meanX(u"car"_qs))));
    axes->backToProjection();
    QTRY_VERIFY(!m_window->mapView()->isAnimating());
    QVERIFY(!axes->active());
    QCOMPARE(m_window->mapView()->points().size(), before.size());
    QCOMPARE(m_window->mapView()->points().first().pos, before.first().pos);
}

QTEST_MAIN(TestAnalysisGui)
#include "tst_analysisgui.moc"
