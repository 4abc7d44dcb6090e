// MapView, part one: state, view transform, selection and input. Rendering is in mapview_paint.cpp.

#include "ui/map/mapview.h"

#include <QBuffer>
#include <QEasingCurve>
#include <QHelpEvent>
#include <QImageReader>
#include <QKeyEvent>
#include <QPainter>
#include <QToolTip>
#include <QVariantAnimation>
#include <QWheelEvent>

#include <cmath>

namespace cospace {

namespace {
constexpr double kLayoutPointSpacing = 1.0;  // grid layouts put neighbours one unit apart
constexpr double kMinDragPixels = 4.0;       // a shorter rubber band is a click

}  // namespace

MapView::MapView(QWidget *parent) : QWidget(parent)
{
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
    setMinimumSize(320, 240);
    m_thumbs = new MapThumbnails(this);
    connect(m_thumbs, &MapThumbnails::arrived, this, qOverload<>(&QWidget::update));
    m_animation = new QVariantAnimation(this);
    m_animation->setStartValue(0.0);
    m_animation->setEndValue(1.0);
    m_animation->setEasingCurve(QEasingCurve::InOutCubic);
    connect(m_animation, &QVariantAnimation::valueChanged, this, [this](const QVariant &value) {
        const double t = value.toDouble();
        if (m_animFrom.size() != m_points.size() || m_animTo.size() != m_points.size())
            return;
        for (int i = 0; i < m_points.size(); ++i)
            m_points[i].pos = m_animFrom[i] + (m_animTo[i] - m_animFrom[i]) * t;
        m_grid.invalidate();
        m_dotXY.clear();
        viewChanged();
    });
    connect(m_animation, &QVariantAnimation::finished, this, [this] {
        if (m_animTo.size() == m_points.size())
            setPositions(m_animTo);   // exactly the target, whatever the last frame was
        Q_EMIT animationFinished();
    });
}

MapView::~MapView() = default;

void MapView::setPoints(QList<MapPoint> points)
{
    const bool hadSelection = !m_selection.isEmpty();
    m_animation->stop();
    m_points = std::move(points);
    updateBounds();
    m_selected = -1;
    m_selection.clear();
    m_selectedMask.fill(false, m_points.size());
    m_colouring = {};   // colourings are per point list: the window applies a new one
    m_queryLabel.clear();
    m_pairCaptions.clear();
    m_highlights.clear();
    m_highlightRank.assign(std::size_t(m_points.size()), -1);
    m_imageCaption = QStringList(m_points.size(), QString());
    for (int i = 0; i < m_points.size(); ++i) {
        const MapPoint &p = m_points[i];
        if (p.kind != MapPoint::Caption || p.partner < 0 || p.partner >= m_points.size())
            continue;
        m_pairCaptions << i;
        if (m_imageCaption[p.partner].isEmpty())
            m_imageCaption[p.partner] = p.text;   // the first caption written for the image
    }
    fitToView();
    if (hadSelection)
        Q_EMIT selectionChanged();   // indices into the old points: listeners must forget them
}

void MapView::ensureGrid()
{
    if (!m_grid.isValid())
        m_grid.build(int(m_points.size()), [this](int i) { return m_points[i].pos; });
}

void MapView::syncDotData()
{
    // In the grid's row-major cell order: neighbours on screen are neighbours in memory, so the
    // dot layer's pixel writes stay in cache (at a million points that halves the redraw).
    ensureGrid();
    m_dotIndex = m_grid.order();
    m_dotXY.resize(m_dotIndex.size() * 2);
    m_dotIsCaption.resize(m_dotIndex.size());
    for (std::size_t k = 0; k < m_dotIndex.size(); ++k) {
        const MapPoint &p = m_points[m_dotIndex[k]];
        m_dotXY[2 * k] = float(p.pos.x());
        m_dotXY[2 * k + 1] = float(p.pos.y());
        m_dotIsCaption[k] = p.kind == MapPoint::Caption;
    }
}

void MapView::updateBounds()
{
    m_grid.invalidate();
    m_dotXY.clear();   // stale: the points moved (renderDotLayer refreshes it)
    double minX = 1e300, minY = 1e300, maxX = -1e300, maxY = -1e300;
    for (const MapPoint &p : m_points) {
        minX = std::min(minX, p.pos.x());
        maxX = std::max(maxX, p.pos.x());
        minY = std::min(minY, p.pos.y());
        maxY = std::max(maxY, p.pos.y());
    }
    m_bounds = m_points.isEmpty() ? QRectF() : QRectF(QPointF(minX, minY), QPointF(maxX + 1e-9, maxY + 1e-9));
}

void MapView::setPositions(const QList<QPointF> &positions)
{
    if (positions.size() != m_points.size())
        return;   // positions for another set of points (a superseded layout)
    if (m_animation->state() == QAbstractAnimation::Running && positions.constData() != m_animTo.constData())
        m_animation->stop();
    for (int i = 0; i < positions.size(); ++i)
        m_points[i].pos = positions[i];
    updateBounds();
    viewChanged();
}

void MapView::animateTo(const QList<QPointF> &positions, int ms)
{
    if (positions.size() != m_points.size())
        return;
    m_animation->stop();
    m_animFrom.clear();
    for (const MapPoint &p : m_points)
        m_animFrom << p.pos;
    m_animTo = positions;
    m_animation->setDuration(std::max(1, ms));
    m_animation->start();
}

bool MapView::isAnimating() const { return m_animation->state() == QAbstractAnimation::Running; }

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

void MapView::setColouring(MapColouring colouring)
{
    m_colouring = std::move(colouring);
    if (!m_colouring.colours.isEmpty() && m_colouring.colours.size() != m_points.size())
        m_colouring.colours.clear();   // computed for another set of points
    viewChanged();
}

QColor MapView::pointColour(int index) const
{
    if (index < 0 || index >= m_points.size())
        return {};
    if (!m_colouring.colours.isEmpty())
        return QColor::fromRgba(m_colouring.colours[index]);
    return m_points[index].kind == MapPoint::Image ? palette().color(QPalette::Highlight) : QColor(230, 126, 34);
}

void MapView::setThumbnailSource(std::function<QImage(const QString &)> source)
{
    m_thumbs->setSource(std::move(source));
    update();
}

void MapView::setHighlights(const QList<int> &ranked)
{
    m_highlights.clear();
    m_highlightRank.assign(std::size_t(m_points.size()), -1);
    for (int i : ranked)
        if (i >= 0 && i < m_points.size() && m_highlightRank[std::size_t(i)] < 0) {
            m_highlightRank[std::size_t(i)] = int(m_highlights.size());
            m_highlights << i;
        }
    viewChanged();
}

bool MapView::fitToHighlights()
{
    if (m_highlights.isEmpty())
        return false;
    double minX = 1e300, minY = 1e300, maxX = -1e300, maxY = -1e300;   // (QRectF::united skips empty rects)
    for (int i : std::as_const(m_highlights)) {
        minX = std::min(minX, m_points[i].pos.x());
        maxX = std::max(maxX, m_points[i].pos.x());
        minY = std::min(minY, m_points[i].pos.y());
        maxY = std::max(maxY, m_points[i].pos.y());
    }
    QRectF box(QPointF(minX, minY), QPointF(maxX, maxY));
    // At least a few neighbours' spacing around them, so a single hit is not zoomed to a pixel.
    const double pad = std::max({2.0, box.width() * 0.1, box.height() * 0.1});
    box.adjust(-pad, -pad, pad, pad);
    const double zoom = std::min(width() / box.width(), height() / box.height());
    setView(std::min(zoom, 128.0 / (kLayoutPointSpacing * 0.9)), box.center());
    return true;
}

void MapView::centreOn(int index, double markerPixels)
{
    if (index < 0 || index >= m_points.size())
        return;
    const double zoom = std::max(m_scale, std::min(markerPixels, 128.0) / (kLayoutPointSpacing * 0.9));
    setView(zoom, m_points[index].pos);
    selectPoint(index);
}

void MapView::setCaptionsUnderImages(bool visible)
{
    m_captionsUnder = visible;
    update();
}

void MapView::viewChanged()
{
    m_dotLayerValid = false;
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
    viewChanged();
}

void MapView::zoomBy(double factor, QPointF anchor)
{
    const QPointF layout = toLayout(anchor);
    m_scale = std::clamp(m_scale * factor, 1e-6, 1e6);
    m_offset = anchor - layout * m_scale;
    viewChanged();
}

void MapView::panBy(QPointF widgetDelta)
{
    m_offset += widgetDelta;
    viewChanged();
}

QPointF MapView::centre() const { return toLayout(QPointF(width() / 2.0, height() / 2.0)); }

void MapView::setView(double zoom, QPointF centre)
{
    if (!(zoom > 0) || !std::isfinite(centre.x()) || !std::isfinite(centre.y()))
        return;
    m_scale = std::clamp(zoom, 1e-6, 1e6);
    m_offset = QPointF(width() / 2.0, height() / 2.0) - centre * m_scale;
    m_fitted = true;
    viewChanged();
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
    const_cast<MapView *>(this)->ensureGrid();   // a cache: pointAt() is logically const
    const QRectF around(toLayout(widgetPos - QPointF(radius, radius)), toLayout(widgetPos + QPointF(radius, radius)));
    m_grid.forEachNear(around, [&](int i) {
        const QPointF d = toWidget(m_points[i].pos) - widgetPos;
        const double dist = d.x() * d.x() + d.y() * d.y();
        if (dist < bestDist || (dist == bestDist && i > best)) {   // the topmost of equals, as drawn
            bestDist = dist;
            best = i;
        }
    });
    return best;
}

void MapView::selectPoint(int index)
{
    if (index >= m_points.size())
        index = -1;
    if (index == m_selected)
        return;
    m_selected = index;
    Q_EMIT pointSelected(index);
    update();
}

void MapView::setSelection(QList<int> indices)
{
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    indices.removeIf([this](int i) { return i < 0 || i >= m_points.size(); });
    if (indices == m_selection)
        return;
    m_selection = std::move(indices);
    m_selectedMask.fill(false, m_points.size());
    for (int i : m_selection)
        m_selectedMask[i] = true;
    viewChanged();
    Q_EMIT selectionChanged();
}

void MapView::selectInRect(const QRectF &widgetRect)
{
    const QRectF r = widgetRect.normalized();
    QList<int> hits;
    for (int i = 0; i < m_points.size(); ++i)
        if (r.contains(toWidget(m_points[i].pos)))
            hits << i;
    setSelection(std::move(hits));
}

void MapView::selectInPolygon(const QPolygonF &widgetPolygon)
{
    const QRectF box = widgetPolygon.boundingRect();
    QList<int> hits;
    for (int i = 0; i < m_points.size(); ++i) {
        const QPointF w = toWidget(m_points[i].pos);
        if (box.contains(w) && widgetPolygon.containsPoint(w, Qt::OddEvenFill))
            hits << i;
    }
    setSelection(std::move(hits));
}

void MapView::clearSelection()
{
    selectPoint(-1);
    setSelection({});
}

QString MapView::tooltipFor(int index)
{
    // Images: a preview from the thumbnail cache (never a file read on the GUI thread), then the name.
    const MapPoint &p = m_points[index];
    if (p.kind != MapPoint::Image)
        return p.text;
    const QImage *thumb = m_thumbs->largest(p.path);
    const QString caption = m_imageCaption.value(index);
    const QString text = caption.isEmpty() ? p.text.toHtmlEscaped() : u"%1<br><i>%2</i>"_qs.arg(caption.toHtmlEscaped(), p.text.toHtmlEscaped());
    if (!thumb)
        return text;
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    thumb->save(&buffer, "PNG");
    return u"<img src=\"data:image/png;base64,%1\"><br>%2"_qs.arg(QString::fromLatin1(png.toBase64()), text);
}

void MapView::wheelEvent(QWheelEvent *event)
{
    const double steps = event->angleDelta().y() / 120.0;
    zoomBy(std::pow(1.2, steps), event->position());
    event->accept();
}

void MapView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    m_dragStart = event->position();
    m_dragOffset = m_offset;
    const Qt::KeyboardModifiers mods = event->modifiers();
    if (mods & Qt::ShiftModifier || (m_dragMode == DragMode::Rectangle && !(mods & (Qt::ControlModifier | Qt::AltModifier))))
        m_gesture = Gesture::Rectangle;
    else if (mods & (Qt::ControlModifier | Qt::AltModifier) || m_dragMode == DragMode::Lasso)
        m_gesture = Gesture::Lasso;
    else
        m_gesture = Gesture::Pan;
    m_rubberBand = QPolygonF{m_dragStart};
    if (m_gesture == Gesture::Pan)
        selectPoint(pointAt(event->position()));
}

void MapView::mouseMoveEvent(QMouseEvent *event)
{
    const QPointF at = event->position();
    switch (m_gesture) {
    case Gesture::Pan:
        m_offset = m_dragOffset + (at - m_dragStart);
        viewChanged();
        break;
    case Gesture::Rectangle:
        m_rubberBand = QPolygonF(QRectF(m_dragStart, at).normalized());
        update();
        break;
    case Gesture::Lasso:
        if (m_rubberBand.isEmpty() || QLineF(m_rubberBand.last(), at).length() >= 2)
            m_rubberBand << at;
        update();
        break;
    case Gesture::None: break;
    }
}

void MapView::mouseReleaseEvent(QMouseEvent *event)
{
    const Gesture gesture = std::exchange(m_gesture, Gesture::None);
    const bool dragged = QLineF(m_dragStart, event->position()).length() >= kMinDragPixels
                         || m_rubberBand.boundingRect().width() + m_rubberBand.boundingRect().height() >= kMinDragPixels;
    if (gesture == Gesture::Rectangle) {
        if (dragged)
            selectInRect(QRectF(m_dragStart, event->position()));
        else
            selectPoint(pointAt(event->position()));
    } else if (gesture == Gesture::Lasso) {
        m_rubberBand << event->position();
        if (dragged && m_rubberBand.size() >= 3)
            selectInPolygon(m_rubberBand);
        else
            selectPoint(pointAt(event->position()));
    }
    m_rubberBand.clear();
    update();
}

void MapView::keyPressEvent(QKeyEvent *event)
{
    const QPointF centre(width() / 2.0, height() / 2.0);
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomBy(1.25, centre); break;
    case Qt::Key_Minus: zoomBy(0.8, centre); break;
    case Qt::Key_Left: panBy({40, 0}); break;
    case Qt::Key_Right: panBy({-40, 0}); break;
    case Qt::Key_Up: panBy({0, 40}); break;
    case Qt::Key_Down: panBy({0, -40}); break;
    case Qt::Key_0: fitToView(); break;
    case Qt::Key_Escape: clearSelection(); break;
    default: QWidget::keyPressEvent(event);
    }
}

void MapView::resizeEvent(QResizeEvent *)
{
    if (!m_fitted)
        fitToView();
    viewChanged();
}

bool MapView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int i = pointAt(help->pos());
        if (i >= 0)
            QToolTip::showText(help->globalPos(), tooltipFor(i), this);
        else
            QToolTip::hideText();
        return true;
    }
    if (event->type() == QEvent::PaletteChange)
        viewChanged();   // the default colours follow the palette (light/dark)
    return QWidget::event(event);
}

}  // namespace cospace
