#pragma once
// Text drawn over the map without touching MapView: cluster labels at their clusters and the names
// of semantic axes along the edges. A transparent child of the MapView (mouse events go through to
// the map) that repaints whenever the map does and follows its zoom and centre.
//
// Level of detail: labels are placed greedily, largest cluster first, at a size that grows with the
// cluster's share of the points; one that would overlap a label already placed is left out. Zoomed
// out the clusters' centres crowd together, so only the biggest clusters show, large; zooming in
// spreads them and the smaller ones appear. GUI thread only.

#include <QList>
#include <QPointF>
#include <QString>
#include <QWidget>

namespace cospace {

class MapView;

class MapLabelOverlay : public QWidget
{
    Q_OBJECT
public:
    struct Label {
        QPointF pos;      // map coordinates
        QString text;
        int weight = 1;   // points in the cluster: the priority and the size
    };
    explicit MapLabelOverlay(MapView *map);

    void setLabels(QList<Label> labels);
    const QList<Label> &labels() const { return m_labels; }
    // Axis names: x from `left` to `right`, y from `bottom` to `top`; empty strings hide them.
    void setAxes(const QString &left, const QString &right, const QString &bottom = {}, const QString &top = {});
    // The labels drawn at the current view (for tests): their texts, biggest first.
    QStringList visibleLabels() const;

protected:
    void paintEvent(QPaintEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Placed {
        QRectF box;
        QString text;
        int pixelSize;
    };
    QList<Placed> place() const;
    void paintAxes(QPainter &painter);

    MapView *m_map;
    QList<Label> m_labels;
    QString m_left, m_right, m_bottom, m_top;
};

}  // namespace cospace
