#pragma once
// A small companion to the map: the probe layout in miniature (images blue, captions orange), the
// two modality centroids and the modality-gap vector between them, with the gap measured in the
// embedding space and the temperature of that epoch. Scrubbing the timeline shows the gap open or
// close. (Drawn here rather than on MapView, which has no public layout-to-widget transform.)
// GUI thread only.

#include "core/matrix.h"

#include <QWidget>

namespace cospace {

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

}  // namespace cospace
