#pragma once
// The map: a 2-D scatter of images (thumbnails) and captions (text markers) with pan and zoom.
// Paints directly (no item per point) so it stays smooth with many points: dots are written into
// a cached layer image (re-rendered only when the view, the points or their colours change), and
// thumbnails are drawn instead wherever the images on screen are few enough for each to get a few
// pixels (the level of detail follows the on-screen density, so a fit-to-window map of ~20,000
// images shows small pictures). Thumbnails load on a thread pool (mapthumbnails.h) and the view
// repaints when they arrive. Captions sit under the images; an image's own caption can be drawn
// beneath it once it is large. Search hits are ringed (best first) with the rest dimmed.
// Selection: click one point; Shift+drag a rectangle or Ctrl/Alt+drag a lasso (or set the drag
// mode) selects many; Esc clears both. Implemented in mapview.cpp (state, input) and
// mapview_paint.cpp (rendering). GUI thread only.

#include <QCache>
#include <QColor>
#include <QImage>
#include <QList>
#include <QPointF>
#include <QPolygonF>
#include <QSet>
#include <QWidget>

#include "core/explorer/mappoint.h"
#include "ui/map/densitylayer.h"
#include "ui/map/mapthumbnails.h"
#include "ui/map/spatialgrid.h"

#include <functional>

class QVariantAnimation;

namespace cospace {

// How points are coloured, with the legend that explains it. Empty `colours` = by modality in the
// palette's colours (under `title` if set). A ramp legend shows `rampStops` from `rampLow` to `rampHigh`.
struct MapColouring {
    struct Entry {
        QColor colour;
        QString label;
    };
    QString title;
    QList<QRgb> colours;       // one per point, or empty
    QList<Entry> legend;       // categories (drawn as swatches), or empty
    QList<QColor> rampStops;   // a continuous ramp, or empty
    QString rampLow, rampHigh;
};

class MapView : public QWidget
{
    Q_OBJECT
public:
    enum class DragMode { Pan, Rectangle, Lasso };

    explicit MapView(QWidget *parent = nullptr);
    ~MapView() override;

    void setPoints(QList<MapPoint> points);
    // Moves the points (same count and order; otherwise ignored) without refitting: layout animation.
    void setPositions(const QList<QPointF> &positions);
    // Moves the points to `positions` over `ms` milliseconds (eased), then emits animationFinished().
    // Another call, setPoints() or setPositions() of another size stops a running animation.
    void animateTo(const QList<QPointF> &positions, int ms = 400);
    bool isAnimating() const;
    const QList<MapPoint> &points() const { return m_points; }
    void fitToView();
    // A marker for the current query at a layout position (empty label clears it).
    void setQueryMarker(QPointF position, const QString &label);
    bool hasQueryMarker() const { return !m_queryLabel.isEmpty(); }
    // Lines between captions and their ground-truth images, green where the image is the caption's
    // rank-1 match and red where it does not.
    void setPairLinesVisible(bool visible);
    bool pairLinesVisible() const { return m_pairLines; }
    QPointF queryMarker() const { return m_queryPos; }
    void zoomBy(double factor, QPointF anchor);
    double zoom() const { return m_scale; }
    // The layout position at the centre of the widget; setView() restores zoom and centre.
    QPointF centre() const;
    void setView(double zoom, QPointF centre);
    void panBy(QPointF widgetDelta);
    int selectedIndex() const { return m_selected; }
    // Selects one point (or none with -1) as a click would, emitting pointSelected.
    void selectPoint(int index);
    // Index of the point under a widget position, or -1.
    int pointAt(QPointF widgetPos) const;

    void setColouring(MapColouring colouring);
    const MapColouring &colouring() const { return m_colouring; }
    QColor pointColour(int index) const;

    // Many-point selection (rectangle, lasso, or set directly); indices ascending.
    void setDragMode(DragMode mode) { m_dragMode = mode; }
    DragMode dragMode() const { return m_dragMode; }
    const QList<int> &selection() const { return m_selection; }
    void setSelection(QList<int> indices);
    // Selects the points drawn inside a widget-coordinate rectangle or polygon (replacing the selection).
    void selectInRect(const QRectF &widgetRect);
    void selectInPolygon(const QPolygonF &widgetPolygon);
    void clearSelection();   // the click selection and the many-point selection

    // Where thumbnails come from (default: core/data/thumbnails.h for MapPoint::path, which also
    // reads shard members). Called on pool threads.
    void setThumbnailSource(std::function<QImage(const QString &path)> source);
    MapThumbnails *thumbnails() const { return m_thumbs; }

    // Search hits, best first: ringed (the first ones numbered), every other point dimmed. Empty
    // clears. Indices outside the points are ignored.
    void setHighlights(const QList<int> &ranked);
    const QList<int> &highlights() const { return m_highlights; }
    // Pans and zooms so the highlighted points fill the view; false when there are none.
    bool fitToHighlights();
    // Centres point `index`, zooming in until its marker is at least `markerPixels`, and selects it.
    void centreOn(int index, double markerPixels = 64);
    // Each image's first paired caption, drawn under it once its thumbnail is large enough.
    void setCaptionsUnderImages(bool visible);
    bool captionsUnderImages() const { return m_captionsUnder; }

    // Above this many points on screen (default 2,000,000) the density layer (densitylayer.h) is
    // drawn instead of dots while its finest bins are at most 1.5 pixels; tests lower it.
    void setDensityThreshold(qsizetype points);
    const DensityLayer &densityLayer() const { return m_density; }

    // What the last paint drew (tests and the thumbnail benchmark).
    struct PaintStats {
        bool thumbnails = false;   // pictures, not dots
        int images = 0;            // images drawn
        int missing = 0;           // ... of which still without their thumbnail
        double imagePixels = 0;    // their size on screen
        int captionLabels = 0;     // captions drawn under images
        bool density = false;      // the density layer, not dots (many points zoomed out)
    };
    PaintStats lastPaint() const { return m_lastPaint; }

Q_SIGNALS:
    void pointSelected(int index);
    void selectionChanged();
    void animationFinished();

protected:
    void paintEvent(QPaintEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    bool event(QEvent *event) override;

private:
    QPointF toWidget(QPointF layout) const;
    QPointF toLayout(QPointF widget) const;
    double markerSize() const;   // on-screen size of one image, pixels
    bool thumbnailsShown(double size);   // the level of detail: pictures or dots
    QString tooltipFor(int index);   // caption text, or an image's preview and file name
    void viewChanged();          // the dot layer must be redrawn
    // `indices` ascending, unique, in range; `dotMask` the same in dot order when the caller has it.
    void setSortedSelection(QList<int> indices, std::vector<quint8> *dotMask = nullptr);
    void syncDotSelection();     // m_dotSelected from m_selection
    template<typename Inside>
    void selectWhere(const QRectF &widgetBox, Inside inside);   // the points in the box for which inside(widget pos)
    void updateBounds();         // also invalidates the grid: the points moved
    void ensureGrid();
    // mapview_paint.cpp
    void renderDotLayer();
    void paintPairLines(QPainter &painter, double size);
    void paintThumbnails(QPainter &painter, double size);
    void paintImageCaptions(QPainter &painter, const QList<int> &shown, double size);
    void paintHighlights(QPainter &painter, double size);
    QList<int> visibleTopmost(double imageCell, double captionCell);
    void paintOverlays(QPainter &painter, double size);
    void paintQueryMarker(QPainter &painter);
    void paintLegend(QPainter &painter);

    QList<MapPoint> m_points;
    QRectF m_bounds;
    double m_scale = 1.0;        // widget pixels per layout unit
    QPointF m_offset;            // widget position of layout origin
    QPointF m_dragStart;
    QPointF m_dragOffset;
    enum class Gesture { None, Pan, Rectangle, Lasso } m_gesture = Gesture::None;
    QPolygonF m_rubberBand;      // the rectangle's corners or the lasso's path, widget coordinates
    DragMode m_dragMode = DragMode::Pan;
    bool m_fitted = false;
    int m_selected = -1;
    QList<int> m_selection;
    MapColouring m_colouring;
    MapThumbnails *m_thumbs = nullptr;
    SpatialGrid m_grid;          // over m_points' positions; invalidated when they move
    QList<int> m_pairCaptions;   // captions with a ground-truth partner (pair lines)
    bool m_pairLines = true;
    QPointF m_queryPos;
    QString m_queryLabel;
    QList<int> m_highlights;             // search hits, best first
    std::vector<int> m_highlightRank;    // per point: its rank among the hits, or -1
    std::vector<int> m_imageCaption;     // per point: an image's first paired caption (its index), or -1
    QString imageCaption(int index) const;
    bool m_captionsUnder = true;
    PaintStats m_lastPaint;
    QImage m_dotLayer;
    bool m_dotLayerValid = false;
    // The dot layer's input, compact (9 bytes a point instead of a MapPoint's ~64): redrawing a
    // million dots on every pan streams this, not the points. Refreshed when the points move.
    std::vector<float> m_dotXY;          // x0, y0, x1, y1, ... in the grid's spatial order
    std::vector<quint8> m_dotIsCaption;
    std::vector<int> m_dotIndex;         // the point each entry is
    std::vector<int> m_dotOf;            // ... and each point's entry
    std::vector<quint8> m_dotSelected;   // per entry: selected (drawing and lassos stream it in order)
    void syncDotData();
    void pointsMoved();                  // the grid, the dot data and the density layer are stale
    // Drawn instead of dots while more than kDensityMinPoints are on screen and its bins are still
    // about a pixel (densitylayer.h); built from the dot data on first use, again when the points
    // or their colours change.
    DensityLayer m_density;
    qsizetype m_densityThreshold = 2'000'000;   // a dot costs a few ns: ~10 ms of writes per frame here
    bool m_densityValid = false;
    bool m_dotLayerIsDensity = false;    // what the cached layer holds
    bool renderDensity(QPainter &painter);
    QVariantAnimation *m_animation = nullptr;
    QList<QPointF> m_animFrom, m_animTo;
};

}  // namespace cospace
