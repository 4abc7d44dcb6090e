#include "ui/mapview.h"

#include <QHelpEvent>
#include <QImageReader>
#include <QKeyEvent>
#include <QPainter>
#include <QPointer>
#include <QThreadPool>
#include <QToolTip>
#include <QWheelEvent>

#include <cmath>

namespace cospace {

namespace {
constexpr double kLayoutPointSpacing = 1.0;  // grid layouts put neighbours one unit apart
constexpr int kThumbnailPixels = 64;
constexpr double kThumbnailThreshold = 14.0; // draw thumbnails once an image is this many pixels
}  // namespace

MapView::MapView(QWidget *parent) : QWidget(parent)
{
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
    setMinimumSize(320, 240);
}

void MapView::setPoints(QList<MapPoint> points)
{
    m_points = std::move(points);
    m_bounds = QRectF();
    for (const MapPoint &p : m_points)
        m_bounds |= QRectF(p.pos, QSizeF(1e-9, 1e-9));
    m_selected = -1;
    m_queryLabel.clear();
    fitToView();
}

void MapView::setPositions(const QList<QPointF> &positions)
{
    if (positions.size() != m_points.size())
        return;   // positions for another set of points (a superseded layout)
    m_bounds = QRectF();
    for (int i = 0; i < positions.size(); ++i) {
        m_points[i].pos = positions[i];
        m_bounds |= QRectF(positions[i], QSizeF(1e-9, 1e-9));
    }
    update();
}

void MapView::setPairLinesVisible(bool visible)
{
    m_pairLines = visible;
    update();
}

void MapView::setQueryMarker(QPointF position, const QString &label)
{
    m_queryPos = position;
    m_queryLabel = label;
    update();
}

void MapView::fitToView()
{
    const QRectF b = m_bounds.isValid() ? m_bounds.adjusted(-1, -1, 1, 1) : QRectF(-1, -1, 2, 2);
    const double sx = width() / b.width();
    const double sy = height() / b.height();
    m_scale = std::max(1e-6, std::min(sx, sy) * 0.95);
    m_offset = QPointF(width() / 2.0, height() / 2.0) - b.center() * m_scale;
    m_fitted = width() > 0;
    update();
}

void MapView::zoomBy(double factor, QPointF anchor)
{
    const QPointF layout = toLayout(anchor);
    m_scale = std::clamp(m_scale * factor, 1e-6, 1e6);
    m_offset = anchor - layout * m_scale;
    update();
}

QPointF MapView::toWidget(QPointF layout) const { return layout * m_scale + m_offset; }
QPointF MapView::toLayout(QPointF widget) const { return (widget - m_offset) / m_scale; }

double MapView::markerSize() const
{
    return std::min(128.0, kLayoutPointSpacing * m_scale * 0.9);
}

int MapView::pointAt(QPointF widgetPos) const
{
    const double radius = std::max(4.0, markerSize() / 2);
    int best = -1;
    double bestDist = radius * radius;
    for (int i = 0; i < m_points.size(); ++i) {
        const QPointF d = toWidget(m_points[i].pos) - widgetPos;
        const double dist = d.x() * d.x() + d.y() * d.y();
        if (dist <= bestDist) {
            bestDist = dist;
            best = i;
        }
    }
    return best;
}

void MapView::requestThumbnail(const QString &path)
{
    if (m_pending.contains(path) || m_pending.size() > 256)
        return;
    m_pending.insert(path);
    QPointer<MapView> self(this);
    QThreadPool::globalInstance()->start([self, path] {
        QImageReader reader(path);
        reader.setAutoTransform(true);
        QSize size = reader.size();
        if (size.isValid())
            reader.setScaledSize(size.scaled(kThumbnailPixels, kThumbnailPixels, Qt::KeepAspectRatio));
        QImage image = reader.read();
        QMetaObject::invokeMethod(qApp, [self, path, image = std::move(image)] {
            if (!self)
                return;
            self->m_pending.remove(path);
            self->m_thumbnails.insert(path, new QImage(image.isNull() ? QImage(1, 1, QImage::Format_ARGB32) : image));
            self->update();
        });
    });
}

void MapView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing, false);
    const QColor imageColour = palette().color(QPalette::Highlight);
    const QColor captionColour(230, 126, 34);
    const double size = markerSize();
    const bool thumbnails = size >= kThumbnailThreshold;
    const QRectF visible = QRectF(rect()).adjusted(-size, -size, size, size);
    if (m_pairLines) {
        // Two batches (matched / mismatched), under the points. Zoomed out, thousands of lines would
        // hide the map: only the selected point's pairs are drawn until thumbnails show.
        const bool all = size >= kThumbnailThreshold;
        QList<QLineF> good, bad;
        for (int i = 0; i < m_points.size(); ++i) {
            const MapPoint &p = m_points[i];
            if (p.kind != MapPoint::Caption || p.partner < 0 || p.partner >= m_points.size())
                continue;
            if (!all && i != m_selected && p.partner != m_selected)
                continue;
            const QLineF line(toWidget(p.pos), toWidget(m_points[p.partner].pos));
            if (visible.contains(line.p1()) || visible.contains(line.p2()))
                (p.rankOne ? good : bad) << line;
        }
        const int alpha = all ? 150 : 220;
        painter.setRenderHint(QPainter::Antialiasing, true);
        painter.setPen(QPen(QColor(44, 160, 44, alpha), 1));
        painter.drawLines(good);
        painter.setPen(QPen(QColor(214, 39, 40, alpha), 1));
        painter.drawLines(bad);
        painter.setRenderHint(QPainter::Antialiasing, false);
    }
    painter.setPen(Qt::NoPen);
    for (int i = 0; i < m_points.size(); ++i) {
        const MapPoint &p = m_points[i];
        const QPointF w = toWidget(p.pos);
        if (!visible.contains(w))
            continue;
        if (p.kind == MapPoint::Image && thumbnails) {
            const QRectF target(w.x() - size / 2, w.y() - size / 2, size, size);
            if (const QImage *thumb = m_thumbnails.object(p.path)) {
                painter.setRenderHint(QPainter::SmoothPixmapTransform, true);
                const QSizeF s = QSizeF(thumb->size()).scaled(target.size(), Qt::KeepAspectRatio);
                painter.drawImage(QRectF(target.center() - QPointF(s.width() / 2, s.height() / 2), s), *thumb);
            } else {
                requestThumbnail(p.path);
                painter.setBrush(imageColour.lighter(160));
                painter.drawRect(target);
            }
        } else if (p.kind == MapPoint::Image) {
            painter.setBrush(imageColour);
            painter.drawRect(QRectF(w.x() - 1.5, w.y() - 1.5, 3, 3));
        } else {
            painter.setBrush(captionColour);
            const double r = thumbnails ? 5 : 2.5;
            painter.drawPolygon(QPolygonF{w + QPointF(0, -r), w + QPointF(r, 0), w + QPointF(0, r), w + QPointF(-r, 0)});
        }
    }
    if (m_selected >= 0 && m_selected < m_points.size()) {
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(palette().color(QPalette::Highlight), 2));
        const double s = std::max(size, 8.0) + 4;
        const QPointF w = toWidget(m_points[m_selected].pos);
        painter.drawRect(QRectF(w.x() - s / 2, w.y() - s / 2, s, s));
    }
    if (!m_queryLabel.isEmpty()) {
        // The query: a ringed cross-hair with its text, drawn above the points.
        const QPointF w = toWidget(m_queryPos);
        painter.setRenderHint(QPainter::Antialiasing, true);
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(QColor(214, 39, 40), 2.5));
        painter.drawEllipse(w, 9, 9);
        painter.drawLine(w + QPointF(-14, 0), w + QPointF(-5, 0));
        painter.drawLine(w + QPointF(5, 0), w + QPointF(14, 0));
        painter.drawLine(w + QPointF(0, -14), w + QPointF(0, -5));
        painter.drawLine(w + QPointF(0, 5), w + QPointF(0, 14));
        const QString text = fontMetrics().elidedText(m_queryLabel, Qt::ElideRight, 240);
        const QRectF box = QRectF(fontMetrics().boundingRect(text)).adjusted(-4, -2, 4, 2)
                               .translated(w + QPointF(16, -10) - QPointF(0, fontMetrics().ascent() / 2.0));
        painter.setPen(Qt::NoPen);
        painter.setBrush(QColor(214, 39, 40, 220));
        painter.drawRoundedRect(box, 3, 3);
        painter.setPen(Qt::white);
        painter.drawText(box, Qt::AlignCenter, text);
    }
    if (m_points.isEmpty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("Drop image folders here, or use File ▸ Add Folder (Ctrl+O)"));
    }
}

void MapView::wheelEvent(QWheelEvent *event)
{
    const double steps = event->angleDelta().y() / 120.0;
    zoomBy(std::pow(1.2, steps), event->position());
    event->accept();
}

void MapView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton) {
        m_dragging = true;
        m_dragStart = event->position();
        m_dragOffset = m_offset;
        const int hit = pointAt(event->position());
        if (hit != m_selected) {
            m_selected = hit;
            Q_EMIT pointSelected(hit);
            update();
        }
    }
}

void MapView::mouseMoveEvent(QMouseEvent *event)
{
    if (m_dragging) {
        m_offset = m_dragOffset + (event->position() - m_dragStart);
        update();
    }
}

void MapView::mouseReleaseEvent(QMouseEvent *) { m_dragging = false; }

void MapView::keyPressEvent(QKeyEvent *event)
{
    const QPointF centre(width() / 2.0, height() / 2.0);
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomBy(1.25, centre); break;
    case Qt::Key_Minus: zoomBy(0.8, centre); break;
    case Qt::Key_Left: m_offset.rx() += 40; update(); break;
    case Qt::Key_Right: m_offset.rx() -= 40; update(); break;
    case Qt::Key_Up: m_offset.ry() += 40; update(); break;
    case Qt::Key_Down: m_offset.ry() -= 40; update(); break;
    case Qt::Key_0: fitToView(); break;
    case Qt::Key_Escape:
        if (m_selected >= 0) {
            m_selected = -1;
            Q_EMIT pointSelected(-1);
            update();
        }
        break;
    default: QWidget::keyPressEvent(event);
    }
}

void MapView::resizeEvent(QResizeEvent *)
{
    if (!m_fitted)
        fitToView();
}

bool MapView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int i = pointAt(help->pos());
        if (i >= 0)
            QToolTip::showText(help->globalPos(), m_points[i].text, this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

}  // namespace cospace
