#pragma once
// The probe set's similarity heatmap for one epoch: probe captions (rows) x probe images (columns),
// cosine similarity as colour. Rows and columns share one order, so the diagonal is always the true
// pairs; the order is the probe order, worst pairs first (rank of the caption's own image, then its
// cosine) or best first. Hover names the cell; a click emits cellClicked(caption, image) in probe
// indices. GUI thread only.

#include "core/train/probeanalysis.h"

#include <QImage>
#include <QWidget>

namespace cospace {

class HeatmapView : public QWidget
{
    Q_OBJECT
public:
    enum class Order { Probe, WorstFirst, BestFirst };

    explicit HeatmapView(QWidget *parent = nullptr);

    // Labels for tooltips (probe captions and image file names); may be empty.
    void setLabels(QStringList captions, QStringList images);
    void setAnalysis(const ProbeAnalysis &analysis);
    void setOrder(Order order);
    Order order() const { return m_order; }
    const QList<int> &displayOrder() const { return m_orderIndex; }   // display position -> probe index

    int rows() const { return m_analysis.pairs; }
    int columns() const { return m_analysis.pairs; }
    // The (caption, image) probe indices under a widget position, or (-1, -1).
    QPair<int, int> cellAt(QPointF pos) const;
    QRectF cellRect(int caption, int image) const;   // widget rectangle of a cell

Q_SIGNALS:
    void cellClicked(int caption, int image);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    bool event(QEvent *event) override;

private:
    void rebuild();
    QRectF area() const;

    ProbeAnalysis m_analysis;
    Order m_order = Order::Probe;
    QList<int> m_orderIndex;
    QList<int> m_position;   // probe index -> display position
    QImage m_image;
    QStringList m_captions, m_images;
    QPair<int, int> m_marked{-1, -1};
};

}  // namespace cospace
