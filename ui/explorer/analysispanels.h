#pragma once
// What a shared space says about the collection, as the explorer shows it: the Clusters,
// Zero-shot, Duplicates and Hubness docks, the Axes toolbar and the labels drawn over the map. One
// object so the main window gains them with one line; each view is its own class and file. Every
// view runs its work through ExplorerEngine::analyse (the session's thread, the model's owner) and
// forgets its results when a new map is shown. GUI thread.

#include <QObject>

#include <functional>

class QMainWindow;

namespace cospace {

class AxesToolBar;
class ClustersDock;
class DuplicatesDock;
class ExplorerEngine;
class HubnessDock;
class MapLabelOverlay;
class MapPanel;
class ZeroShotDock;

class AnalysisPanels : public QObject
{
    Q_OBJECT
public:
    // `rescan`: the collection changed on disk (files moved); `repeatSearch`: the ranking changed.
    AnalysisPanels(QMainWindow *window, ExplorerEngine *engine, MapPanel *mapPanel, std::function<void()> rescan,
                   std::function<void()> repeatSearch);

    ClustersDock *clusters() const { return m_clusters; }
    ZeroShotDock *zeroShot() const { return m_zeroShot; }
    DuplicatesDock *duplicates() const { return m_duplicates; }
    HubnessDock *hubness() const { return m_hubness; }
    AxesToolBar *axes() const { return m_axes; }
    MapLabelOverlay *labels() const { return m_labels; }

private:
    void mapReplaced();

    MapLabelOverlay *m_labels = nullptr;
    ClustersDock *m_clusters = nullptr;
    ZeroShotDock *m_zeroShot = nullptr;
    DuplicatesDock *m_duplicates = nullptr;
    HubnessDock *m_hubness = nullptr;
    AxesToolBar *m_axes = nullptr;
};

}  // namespace cospace
