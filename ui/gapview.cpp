#include "ui/gapview.h"

#include "core/probeanalysis.h"

#include <QPainter>
#include <QPainterPath>

#include <cmath>

namespace cospace {

GapView::GapView(QWidget *parent) : QWidget(parent)
{
    setMinimumSize(180, 150);
    setToolTip(tr("The modality gap: the arrow joins the centroid of the probe images (blue) to that of their "
                  "captions (orange). Its length on the map is only indicative; the number is measured in the "
                  "embedding space."));
}

void GapView::setEpoch(const Matrix &layout, int epoch, double gap, double temperature)
{
    m_layout = layout;
    m_epoch = epoch;
    m_gap = gap;
    m_temperature = temperature;
    const int p = layout.rows / 2;
    const auto [ix, iy] = layoutCentroid(layout, 0, p);
    const auto [cx, cy] = layoutCentroid(layout, p, p);
    m_imageCentroid = QPointF(ix, iy);
    m_captionCentroid = QPointF(cx, cy);
    update();
}

void GapView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    painter.setRenderHint(QPainter::Antialiasing, true);
    const QString caption = m_epoch > 0
        ? tr("epoch %1 · gap %2 · temperature %3").arg(m_epoch).arg(m_gap, 0, 'f', 3).arg(m_temperature, 0, 'f', 4)
        : tr("modality gap");
    const int textHeight = fontMetrics().height() + 4;
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(QRect(4, 2, width() - 8, textHeight), Qt::AlignLeft | Qt::AlignVCenter, caption);
    if (m_layout.rows < 2)
        return;
    QRectF bounds;
    for (int i = 0; i < m_layout.rows; ++i)
        bounds |= QRectF(QPointF(m_layout.at(i, 0), m_layout.at(i, 1)), QSizeF(1e-6, 1e-6));
    const QRectF area = QRectF(rect()).adjusted(8, textHeight + 4, -8, -8);
    const double scale = std::min(area.width() / bounds.width(), area.height() / bounds.height());
    auto map = [&](QPointF p) { return area.center() + (p - bounds.center()) * scale; };
    const int p = m_layout.rows / 2;
    const QColor imageColour(31, 119, 180), captionColour(230, 126, 34);
    painter.setPen(Qt::NoPen);
    for (int i = 0; i < m_layout.rows; ++i) {
        QColor c = i < p ? imageColour : captionColour;
        c.setAlpha(90);
        painter.setBrush(c);
        painter.drawEllipse(map(QPointF(m_layout.at(i, 0), m_layout.at(i, 1))), 2.0, 2.0);
    }
    const QPointF a = map(m_imageCentroid), b = map(m_captionCentroid);
    painter.setPen(QPen(palette().color(QPalette::Text), 2));
    painter.drawLine(a, b);
    const double angle = std::atan2(b.y() - a.y(), b.x() - a.x());
    QPainterPath head;
    head.moveTo(b);
    head.lineTo(b - QPointF(std::cos(angle - 0.4), std::sin(angle - 0.4)) * 9);
    head.lineTo(b - QPointF(std::cos(angle + 0.4), std::sin(angle + 0.4)) * 9);
    head.closeSubpath();
    painter.fillPath(head, palette().color(QPalette::Text));
    for (const auto &[point, colour] : {std::pair{a, imageColour}, std::pair{b, captionColour}}) {
        painter.setPen(QPen(Qt::white, 1.5));
        painter.setBrush(colour);
        painter.drawEllipse(point, 5.5, 5.5);
    }
}

}  // namespace cospace
