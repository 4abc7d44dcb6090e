#pragma once
// The Axes toolbar: semantic axes typed as prompt pairs ("night | day", "indoor | outdoor";
// core/projection/semanticaxes.h). Apply places every image and caption of the map by its scores
// (x from the first pair, y from the second or, without one, the first principal component of the
// rest), gliding there, with the axes named along the map's edges; Projection glides back to the
// layout the axes replaced. GUI thread; the scores are computed on the explorer's session thread.

#include <QList>
#include <QToolBar>

#include "core/explorer/mappoint.h"

class QLineEdit;
class QMainWindow;

namespace cospace {

class ExplorerEngine;
class MapLabelOverlay;
class MapPanel;

class AxesToolBar : public QToolBar
{
    Q_OBJECT
public:
    AxesToolBar(ExplorerEngine *engine, MapPanel *panel, MapLabelOverlay *overlay, QMainWindow *window);

    void apply(const QString &x, const QString &y = {});   // empty y: PCA of the rest
    void backToProjection();
    void mapReplaced();          // a new layout: the axes are off
    bool active() const { return !m_before.isEmpty(); }
    QLineEdit *xEdit() const { return m_x; }
    QLineEdit *yEdit() const { return m_y; }

Q_SIGNALS:
    void pointsMoved();          // the axes layout (or the projection again) is on the map
    void failed(const QString &message);

private:
    ExplorerEngine *m_engine;
    MapPanel *m_panel;
    MapLabelOverlay *m_overlay;
    QLineEdit *m_x = nullptr;
    QLineEdit *m_y = nullptr;
    QList<MapPoint> m_before;    // the projection the axes replaced
    quint64 m_request = 0;
};

}  // namespace cospace
