#pragma once
// A small companion to the map: the probe layout in miniature (images blue, captions orange), the
// two modality centroids and the modality-gap vector between them, with the gap measured in the
// embedding space and the temperature of that epoch. Scrubbing the timeline shows the gap open or
// close. GapOverlay draws the same vector on the map itself, following its pan and zoom.
// GUI thread only.

#include "core/base/matrix.h"

#include <QWidget>

namespace cospace {

class MapView;

class GapView : public QWidget
{
    Q_OBJECT
public:
    explicit GapView(QWidget *parent = nullptr);

    // layout: 2P x 2 (P image rows, then P captions); gap: in the embedding space.
    void setEpoch(const Matrix &layout, int epoch, double gap, double temperature);
    // The two centroids on the layout (image, caption); zero before setEpoch.
    QPointF imageCentroid() const { return m_imageCentroid; }
    QPointF captionCentroid() const { return m_captionCentroid; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    Matrix m_layout;
    int m_epoch = 0;
    double m_gap = 0, m_temperature = 0;
    QPointF m_imageCentroid, m_captionCentroid;
};

// A transparent child of a MapView that draws an arrow from the image centroid to the caption
// centroid (layout coordinates), mapped through the view's public zoom() and centre().
class GapOverlay : public QWidget
{
    Q_OBJECT
public:
    explicit GapOverlay(MapView *map);
    void setCentroids(QPointF image, QPointF caption);   // equal points hide the arrow
    void clear() { setCentroids({}, {}); }
    QPointF widgetPosition(QPointF layout) const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;

private:
    MapView *m_map;
    QPointF m_image, m_caption;
};

}  // namespace cospace
