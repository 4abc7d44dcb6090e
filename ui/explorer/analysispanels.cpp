#include "ui/explorer/analysispanels.h"

#include "ui/explorer/axestoolbar.h"
#include "ui/explorer/clustersdock.h"
#include "ui/explorer/duplicatesdock.h"
#include "ui/explorer/explorerengine.h"
#include "ui/explorer/hubnessdock.h"
#include "ui/explorer/mappanel.h"
#include "ui/explorer/zeroshotdock.h"
#include "ui/map/maplabels.h"

#include <QMainWindow>
#include <QStatusBar>

namespace cospace {

AnalysisPanels::AnalysisPanels(QMainWindow *window, ExplorerEngine *engine, MapPanel *mapPanel,
                               std::function<void()> rescan, std::function<void()> repeatSearch)
    : QObject(window)
{
    MapView *map = mapPanel->map();
    m_labels = new MapLabelOverlay(map);
    m_clusters = new ClustersDock(engine, map, m_labels, window);
    m_zeroShot = new ZeroShotDock(engine, map, window);
    m_duplicates = new DuplicatesDock(engine, map, std::move(rescan), window);
    m_hubness = new HubnessDock(engine, map, std::move(repeatSearch), window);
    window->addDockWidget(Qt::RightDockWidgetArea, m_clusters);
    for (QDockWidget *dock : {static_cast<QDockWidget *>(m_zeroShot), static_cast<QDockWidget *>(m_duplicates),
                              static_cast<QDockWidget *>(m_hubness)})
        window->tabifyDockWidget(m_clusters, dock);
    m_clusters->raise();
    m_axes = new AxesToolBar(engine, mapPanel, m_labels, window);
    connect(m_axes, &AxesToolBar::pointsMoved, m_clusters, &ClustersDock::refreshLabelPositions);
    connect(m_axes, &AxesToolBar::failed, window, [window](const QString &m) { window->statusBar()->showMessage(m, 8000); });
    // Queued: the window shows the new layout first (its own slot), then the views start over on it.
    connect(engine, &ExplorerEngine::layoutReady, this, &AnalysisPanels::mapReplaced, Qt::QueuedConnection);
    connect(engine, &ExplorerEngine::pointsUpdated, m_clusters, &ClustersDock::refreshLabelPositions, Qt::QueuedConnection);
}

void AnalysisPanels::mapReplaced()
{
    m_axes->mapReplaced();
    m_zeroShot->mapReplaced();
    m_duplicates->mapReplaced();
    m_hubness->mapReplaced();
    m_clusters->mapReplaced();   // last: with "Label automatically" it starts a job
}

}  // namespace cospace
