#pragma once
// The map: a 2-D scatter of images (thumbnails) and captions (text markers) with pan and zoom.
// Paints directly (no item per point) so it stays smooth with many points: dots when zoomed
// out, thumbnails when an image gets large enough on screen. Thumbnails load on a thread pool
// into a bounded cache and the view repaints when they arrive. GUI thread only.

#include <QCache>
#include <QImage>
#include <QList>
#include <QPointF>
#include <QSet>
#include <QWidget>

namespace cospace {

struct MapPoint {
    enum Kind { Image, Caption };
    Kind kind = Image;
    QPointF pos;          // layout coordinates, any scale
    QString path;         // image file (Image)
    QString text;         // caption text (Caption) or file name (Image)
    int partner = -1;     // Caption: index of the image it was written for (ground truth), -1 if none
    bool rankOne = false; // Caption: its partner is the image the model ranks first for it
};

class MapView : public QWidget
{
    Q_OBJECT
public:
    explicit MapView(QWidget *parent = nullptr);

    void setPoints(QList<MapPoint> points);
    // Moves the points (same count and order; otherwise ignored) without refitting: layout animation.
    void setPositions(const QList<QPointF> &positions);
    const QList<MapPoint> &points() const { return m_points; }
    void fitToView();
    // A marker for the current query at a layout position (empty label clears it).
    void setQueryMarker(QPointF position, const QString &label);
    bool hasQueryMarker() const { return !m_queryLabel.isEmpty(); }
    // Lines between captions and their ground-truth images, green where the image is the caption's
    // rank-1 match and red where it is not.
    void setPairLinesVisible(bool visible);
    bool pairLinesVisible() const { return m_pairLines; }
    QPointF queryMarker() const { return m_queryPos; }
    void zoomBy(double factor, QPointF anchor);
    double zoom() const { return m_scale; }
    int selectedIndex() const { return m_selected; }
    // Index of the point under a widget position, or -1.
    int pointAt(QPointF widgetPos) const;

Q_SIGNALS:
    void pointSelected(int index);

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
    void requestThumbnail(const QString &path);

    QList<MapPoint> m_points;
    QRectF m_bounds;
    double m_scale = 1.0;        // widget pixels per layout unit
    QPointF m_offset;            // widget position of layout origin
    QPointF m_dragStart;
    QPointF m_dragOffset;
    bool m_dragging = false;
    bool m_fitted = false;
    int m_selected = -1;
    QCache<QString, QImage> m_thumbnails{4000};
    bool m_pairLines = true;
    QPointF m_queryPos;
    QString m_queryLabel;
    QSet<QString> m_pending;
};

}  // namespace cospace
