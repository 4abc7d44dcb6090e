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

// Even-odd point-in-polygon (the closing edge included) with the edges bucketed by horizontal band,
// so a point meets the few edges at its height instead of all of them: a lasso of hundreds of
// vertices over millions of points.
class EvenOddPolygon
{
public:
    explicit EvenOddPolygon(const QPolygonF &polygon)
    {
        const QRectF box = polygon.boundingRect();
        const int n = int(polygon.size());
        m_y0 = box.top();
        m_bands = std::clamp(n, 1, 4096);
        m_bandHeight = std::max(box.height() / m_bands, 1e-12);
        // Bucketed by band as one flat array (counting sort); horizontal edges never cross a ray.
        std::vector<std::pair<int, Edge>> edges;
        for (int i = 0; i < n && n >= 3; ++i) {
            const QPointF a = polygon[i], b = polygon[(i + 1) % n];
            if (a.y() == b.y())
                continue;
            const Edge e{a.x(), a.y(), b.y(), (b.x() - a.x()) / (b.y() - a.y())};
            for (int band = bandOf(std::min(a.y(), b.y())); band <= bandOf(std::max(a.y(), b.y())); ++band)
                edges.push_back({band, e});
        }
        m_start.assign(std::size_t(m_bands) + 1, 0);
        for (const auto &be : edges)
            ++m_start[std::size_t(be.first) + 1];
        for (std::size_t b = 1; b < m_start.size(); ++b)
            m_start[b] += m_start[b - 1];
        m_edges.resize(edges.size());
        std::vector<int> fill(m_start.begin(), m_start.end() - 1);
        for (const auto &be : edges)
            m_edges[std::size_t(fill[std::size_t(be.first)]++)] = be.second;
    }
    bool contains(QPointF p) const
    {
        const int band = bandOf(p.y());
        bool inside = false;
        for (int k = m_start[std::size_t(band)]; k < m_start[std::size_t(band) + 1]; ++k) {
            const Edge &e = m_edges[std::size_t(k)];
            if ((e.ay > p.y()) != (e.by > p.y()) && p.x() < e.ax + (p.y() - e.ay) * e.dxdy)
                inside = !inside;
        }
        return inside;
    }

private:
    struct Edge {
        double ax, ay, by, dxdy;   // from (ax, ay) to y = by, x changing by dxdy per unit of y
    };
    int bandOf(double y) const { return std::clamp(int((y - m_y0) / m_bandHeight), 0, m_bands - 1); }
    double m_y0 = 0, m_bandHeight = 1;
    int m_bands = 1;
    std::vector<int> m_start;    // band b's edges: m_edges[m_start[b] .. m_start[b + 1])
    std::vector<Edge> m_edges;
};

// A lasso tested by pixel: the polygon filled (even-odd, at pixel centres) into a byte mask over its
// bounding box, its outline stroked 3 px wide on top. A pixel the outline does not touch lies wholly
// inside or outside, so its mask byte is the answer; under the outline the exact test decides. Same
// result as EvenOddPolygon, at a byte read per point for the millions inside a big lasso.
class RasterPolygon
{
public:
    explicit RasterPolygon(const QPolygonF &polygon) : m_exact(polygon)
    {
        const QRectF box = polygon.boundingRect();
        m_origin = QPoint(int(std::floor(box.left())), int(std::floor(box.top())));
        const QSize size(int(std::ceil(box.right())) - m_origin.x() + 1, int(std::ceil(box.bottom())) - m_origin.y() + 1);
        if (polygon.size() < 3 || size.width() > kMaxSide || size.height() > kMaxSide)
            return;   // the exact test alone
        m_mask = QImage(size, QImage::Format_Grayscale8);
        m_mask.fill(kOutside);
        QPainter painter(&m_mask);
        painter.setRenderHint(QPainter::Antialiasing, false);
        painter.translate(-m_origin);
        painter.setPen(Qt::NoPen);
        painter.setBrush(QColor(kInside, kInside, kInside));
        painter.drawPolygon(polygon, Qt::OddEvenFill);
        painter.setPen(QPen(QColor(kEdge, kEdge, kEdge), 3));
        painter.setBrush(Qt::NoBrush);
        painter.drawPolygon(polygon);
        painter.end();
        m_bits = m_mask.constBits();
        m_stride = std::size_t(m_mask.bytesPerLine());
        m_width = m_mask.width();
        m_height = m_mask.height();
    }
    bool contains(QPointF p) const
    {
        if (m_mask.isNull())
            return m_exact.contains(p);
        const double fx = p.x() - m_origin.x(), fy = p.y() - m_origin.y();
        if (!(fx >= 0 && fy >= 0 && fx < m_width && fy < m_height))
            return false;
        const uchar v = m_bits[std::size_t(int(fy)) * m_stride + std::size_t(int(fx))];   // truncation: floor here
        return v == kEdge ? m_exact.contains(p) : v == kInside;
    }

private:
    static constexpr int kMaxSide = 8192;
    static constexpr uchar kOutside = 0, kInside = 255, kEdge = 128;
    EvenOddPolygon m_exact;
    QImage m_mask;
    QPoint m_origin;
    const uchar *m_bits = nullptr;
    std::size_t m_stride = 0;
    double m_width = 0, m_height = 0;
};

// Ascending order of non-negative ints in two passes of 16 bits (millions of lasso hits; measured
// faster here than three passes of 11 bits).
void radixSort(std::vector<int> &v)
{
    std::vector<int> tmp(v.size());
    for (int shift : {0, 16}) {
        std::vector<std::size_t> start(65537, 0);
        for (int x : v)
            ++start[std::size_t((unsigned(x) >> shift) & 0xffff) + 1];
        for (std::size_t b = 1; b < start.size(); ++b)
            start[b] += start[b - 1];
        for (int x : v)
            tmp[start[(unsigned(x) >> shift) & 0xffff]++] = x;
        v.swap(tmp);
    }
}

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
        pointsMoved();
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
    m_dotSelected.clear();
    m_colouring = {};   // colourings are per point list: the window applies a new one
    m_queryLabel.clear();
    m_pairCaptions.clear();
    m_highlights.clear();
    m_highlightRank.assign(std::size_t(m_points.size()), -1);
    m_imageCaption.assign(std::size_t(m_points.size()), -1);
    for (int i = 0; i < m_points.size(); ++i) {
        const MapPoint &p = m_points[i];
        if (p.kind != MapPoint::Caption || p.partner < 0 || p.partner >= m_points.size())
            continue;
        m_pairCaptions << i;
        int &first = m_imageCaption[std::size_t(p.partner)];
        if (first < 0 || m_points[first].text.isEmpty())
            first = i;   // the first caption written for the image
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
    m_dotOf.resize(m_dotIndex.size());
    for (std::size_t k = 0; k < m_dotIndex.size(); ++k)
        m_dotOf[std::size_t(m_dotIndex[k])] = int(k);
    // The points read in their own order, the entries written scattered: at millions of points
    // scattered writes cost a fraction of scattered reads of 88-byte records.
    for (qsizetype i = 0; i < m_points.size(); ++i) {
        const MapPoint &p = m_points[i];
        const std::size_t k = std::size_t(m_dotOf[std::size_t(i)]);
        m_dotXY[2 * k] = float(p.pos.x());
        m_dotXY[2 * k + 1] = float(p.pos.y());
        m_dotIsCaption[k] = p.kind == MapPoint::Caption;
    }
    syncDotSelection();
}

void MapView::pointsMoved()
{
    m_grid.invalidate();
    m_dotXY.clear();   // renderDotLayer refreshes both
    m_dotIndex.clear();
    m_dotOf.clear();
    m_dotSelected.clear();
    m_densityValid = false;
}

void MapView::updateBounds()
{
    pointsMoved();
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
    m_densityValid = false;
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

void MapView::setDensityThreshold(qsizetype points)
{
    m_densityThreshold = std::max<qsizetype>(0, points);
    viewChanged();
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
    setSortedSelection(std::move(indices));
}

void MapView::setSortedSelection(QList<int> indices, std::vector<quint8> *dotMask)
{
    if (indices == m_selection)
        return;
    m_selection = std::move(indices);
    if (dotMask && dotMask->size() == m_dotIndex.size())
        m_dotSelected = std::move(*dotMask);
    else
        syncDotSelection();
    viewChanged();
    Q_EMIT selectionChanged();
}

void MapView::syncDotSelection()
{
    m_dotSelected.assign(m_dotIndex.size(), 0);
    if (m_dotOf.size() == std::size_t(m_points.size()))
        for (int i : std::as_const(m_selection))
            m_dotSelected[std::size_t(m_dotOf[std::size_t(i)])] = 1;
}

template<typename Inside>
void MapView::selectWhere(const QRectF &widgetBox, Inside inside)
{
    // Streams the dot data (positions in the grid's order, as drawn) rather than the points, whose
    // records are scattered in that order; the hits come out in that order too, marked in the
    // selection's dot mask, and are put in index order by a radix sort.
    if (m_dotXY.size() != std::size_t(m_points.size()) * 2)
        syncDotData();
    std::vector<quint8> mask(m_dotIndex.size(), 0);
    std::vector<int> hits;
    const QRectF layoutBox = QRectF(toLayout(widgetBox.topLeft()), toLayout(widgetBox.bottomRight())).normalized();
    const double left = widgetBox.left(), right = widgetBox.right(), top = widgetBox.top(), bottom = widgetBox.bottom();
    const double s = m_scale, ox = m_offset.x(), oy = m_offset.y();
    const float *xy = m_dotXY.data();
    m_grid.forEachRange(layoutBox, [&](int begin, int end) {
        for (int k = begin; k < end; ++k) {
            const double x = xy[2 * k] * s + ox, y = xy[2 * k + 1] * s + oy;   // toWidget(), inline
            if (x >= left && x <= right && y >= top && y <= bottom && inside(QPointF(x, y))) {
                mask[std::size_t(k)] = 1;
                hits.push_back(m_dotIndex[std::size_t(k)]);
            }
        }
    });
    radixSort(hits);
    setSortedSelection(QList<int>(hits.begin(), hits.end()), &mask);
}

void MapView::selectInRect(const QRectF &widgetRect)
{
    selectWhere(widgetRect.normalized(), [](QPointF) { return true; });
}

void MapView::selectInPolygon(const QPolygonF &widgetPolygon)
{
    const RasterPolygon raster(widgetPolygon);
    selectWhere(widgetPolygon.boundingRect(), [&raster](QPointF w) { return raster.contains(w); });
}

void MapView::clearSelection()
{
    selectPoint(-1);
    setSelection({});
}

QString MapView::imageCaption(int index) const
{
    const int caption = index >= 0 && std::size_t(index) < m_imageCaption.size() ? m_imageCaption[std::size_t(index)] : -1;
    return caption >= 0 ? m_points[caption].text : QString();
}

QString MapView::tooltipFor(int index)
{
    // Images: a preview from the thumbnail cache (never a file read on the GUI thread), then the name.
    const MapPoint &p = m_points[index];
    if (p.kind != MapPoint::Image)
        return p.text;
    const QImage *thumb = m_thumbs->largest(p.path);
    const QString caption = imageCaption(index);
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
    if (event->type() == QEvent::PaletteChange) {
        m_densityValid = false;
        viewChanged();   // the default colours follow the palette (light/dark)
    }
    return QWidget::event(event);
}

}  // namespace cospace
