#pragma once
// The explorer's map and what belongs to it: the MapView (the window's central widget), the Map
// toolbar (model, projection, colouring, the model's name and modality gap), the View menu's map
// entries, the Selection dock, colourings (clusters computed on the global thread pool) and the
// animated transition from one layout to the next. GUI thread only.

#include "core/base/jobrunner.h"
#include "core/explorer/collection.h"
#include "core/search/search.h"
#include "ui/map/mapcolouring.h"
#include "ui/map/mapview.h"

#include <QObject>

class QComboBox;
class QDockWidget;
class QLabel;
class QMainWindow;
class QMenu;

namespace cospace {

class SelectionPanel;

class MapPanel : public QObject
{
    Q_OBJECT
public:
    explicit MapPanel(QMainWindow *window);
    MapView *map() const { return m_map; }
    SelectionPanel *selectionPanel() const { return m_selection; }
    void addViewActions(QMenu *view);   // zoom, fit, pair lines, colour by, drag selects, clear selection

    void selectWorkspace(const Workspace &workspace);   // the toolbar shows its model and method
    void setModelInfo(const QString &name, double modalityGap, const QString &source, bool runsCode);
    void setNoModel();

    // Until the space is embedded and projected: the images as a grid, each caption beside its image.
    void showGallery(const CollectionSnapshot &snapshot);
    // The gallery or a projection in progress: no transition, colours follow.
    void showPoints(QList<MapPoint> points);
    void showPositions(const QList<QPointF> &positions);
    // A finished layout (`points` already aligned to the map shown, `projected` before that). With
    // `glide`, items on the map glide to their new places and new ones appear in place, in the
    // user's view; without, the points are simply shown.
    void showLayout(const QList<MapPoint> &points, const QList<MapPoint> &projected, bool glide);
    const QList<MapPoint> &projectedPoints() const { return m_projected; }

    void setColourBy(ColourBy by);
    ColourBy colourBy() const { return m_colourBy; }
    void setFolders(const QStringList &folders);
    void setSimilarities(const QList<float> &scores, const QString &label);   // empty: no query
    // Search hits on the map: rings on these (best first), the rest dimmed; empty clears. Hits are
    // matched to map points by image path.
    void showSearchHits(const QList<SearchHit> &hits);
    // Centres the image at `path` on the map (zooming in to see it) and selects it.
    bool centreOnImage(const QString &path);
    WorkspaceView currentView() const;
    void restoreView(const WorkspaceView &view);   // zoom, centre, selected item

Q_SIGNALS:
    void methodChosen(cospace::ProjectionMethod method);
    void modelChosen(const QString &spec);
    void colouringApplied();

private:
    void buildToolBar(QMainWindow *window);
    void buildSelectionDock(QMainWindow *window);
    void chooseModel(int index);
    void applyColouring();

    MapView *m_map = nullptr;
    SelectionPanel *m_selection = nullptr;
    QComboBox *m_model = nullptr;
    QComboBox *m_method = nullptr;
    QComboBox *m_colourCombo = nullptr;
    QLabel *m_modelInfo = nullptr;
    QMenu *m_colourMenu = nullptr;
    ColourBy m_colourBy = ColourBy::Modality;
    quint64 m_colouringId = 0;   // the newest colouring request; older cluster jobs are dropped
    QStringList m_folders;
    QList<float> m_similarity;   // the query's cosine per map point, or empty
    QString m_similarityLabel;
    QList<MapPoint> m_projected;
    JobRunner m_runner;
};

}  // namespace cospace
