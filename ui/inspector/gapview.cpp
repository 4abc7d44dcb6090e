#include "ui/inspector/gapview.h"

#include "core/train/probeanalysis.h"
#include "ui/map/mapview.h"

#include <QEvent>

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

namespace {

void drawArrow(QPainter &painter, QPointF a, QPointF b, const QColor &colour, double width)
{
    painter.setPen(QPen(colour, width));
    painter.drawLine(a, b);
    const double angle = std::atan2(b.y() - a.y(), b.x() - a.x());
    QPainterPath head;
    head.moveTo(b);
    head.lineTo(b - QPointF(std::cos(angle - 0.4), std::sin(angle - 0.4)) * (4 + 3 * width));
    head.lineTo(b - QPointF(std::cos(angle + 0.4), std::sin(angle + 0.4)) * (4 + 3 * width));
    head.closeSubpath();
    painter.fillPath(head, colour);
}

}  // namespace

void GapView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    painter.setRenderHint(QPainter::Antialiasing, true);
    const QString caption = m_epoch > 0
        ? tr("epoch %1 · modality gap %2\ntemperature %3").arg(m_epoch).arg(m_gap, 0, 'f', 3).arg(m_temperature, 0, 'f', 4)
        : tr("modality gap");
    const int textHeight = 2 * fontMetrics().height() + 4;
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(QRect(4, 2, width() - 8, textHeight), Qt::AlignLeft | Qt::AlignTop, caption);
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
    drawArrow(painter, a, b, palette().color(QPalette::Text), 2);
    for (const auto &[point, colour] : {std::pair{a, imageColour}, std::pair{b, captionColour}}) {
        painter.setPen(QPen(Qt::white, 1.5));
        painter.setBrush(colour);
        painter.drawEllipse(point, 5.5, 5.5);
    }
}

GapOverlay::GapOverlay(MapView *map) : QWidget(map), m_map(map)
{
    setAttribute(Qt::WA_TransparentForMouseEvents);
    setAttribute(Qt::WA_NoSystemBackground);
    setGeometry(map->rect());
    map->installEventFilter(this);
}

void GapOverlay::setCentroids(QPointF image, QPointF caption)
{
    m_image = image;
    m_caption = caption;
    update();
}

QPointF GapOverlay::widgetPosition(QPointF layout) const
{
    return QPointF(width() / 2.0, height() / 2.0) + (layout - m_map->centre()) * m_map->zoom();
}

bool GapOverlay::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_map && event->type() == QEvent::Resize)
        setGeometry(m_map->rect());
    return QWidget::eventFilter(watched, event);
}

void GapOverlay::paintEvent(QPaintEvent *)
{
    if (m_image == m_caption)
        return;
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing, true);
    const QPointF a = widgetPosition(m_image), b = widgetPosition(m_caption);
    drawArrow(painter, a, b, QColor(40, 40, 40, 200), 2.5);
    painter.setPen(QPen(Qt::white, 1.5));
    painter.setBrush(QColor(31, 119, 180));
    painter.drawEllipse(a, 6, 6);
    painter.setBrush(QColor(230, 126, 34));
    painter.drawEllipse(b, 6, 6);
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText((a + b) / 2 + QPointF(8, -8), tr("modality gap"));
}

}  // namespace cospace
