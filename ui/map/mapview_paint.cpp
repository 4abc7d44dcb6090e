// MapView, part two: rendering. Where the images on screen are too many for pictures, every point
// is a few pixels written straight into a cached layer image (a million points take milliseconds;
// QPainter per point would take seconds), re-rendered only when the view, the points or their
// colours change. Otherwise only the points on screen are drawn, images as thumbnails, the topmost
// per screen cell. See mapview.h.

#include "ui/map/mapview.h"

#include <QPainter>
#include <QPainterPath>

#include <cmath>

namespace cospace {

namespace {
constexpr double kThumbnailThreshold = 14.0; // thumbnails at any density from here, and every pair line
// Level of detail by on-screen density: pictures as long as each image on screen gets at least
// kMinThumbnailPixels of spacing and there are at most kMaxImagesOnScreen of them (a fit-to-window
// map of ~20,000 images); below that, dots. Small pictures are drawn at kSmallPicture pixels, the
// topmost per cell of that size, so a full screen holds a few thousand of them.
constexpr double kMinThumbnailPixels = 3.0;
constexpr int kMaxImagesOnScreen = 40'000;
constexpr double kSmallPicture = 18.0;   // and at most 4x the spacing
constexpr double kCaptionLabelMin = 44.0;    // images this large get their caption written under them
constexpr int kMaxCaptionLabels = 400;
constexpr double kDimmedOpacity = 0.3;      // points that are not search hits, while there are hits
constexpr double kMaxDensityBinPixels = 1.5;   // the density layer's finest bins, at most (mapview.h)
const QColor kCaptionColour(230, 126, 34);
const QColor kQueryColour(214, 39, 40);

// Writes a small square (images) or diamond (captions) of radius r at (x, y) into ARGB32 pixels.
struct DotWriter {
    quint32 *bits;
    int stride, width, height;
    void square(int x, int y, int r, quint32 c) const
    {
        for (int dy = -r; dy <= r; ++dy) {
            const int yy = y + dy;
            if (yy < 0 || yy >= height)
                continue;
            quint32 *row = bits + qsizetype(yy) * stride;
            for (int xx = std::max(0, x - r); xx <= std::min(width - 1, x + r); ++xx)
                row[xx] = c;
        }
    }
    void diamond(int x, int y, int r, quint32 c) const
    {
        for (int dy = -r; dy <= r; ++dy) {
            const int yy = y + dy, span = r - std::abs(dy);
            if (yy < 0 || yy >= height)
                continue;
            quint32 *row = bits + qsizetype(yy) * stride;
            for (int xx = std::max(0, x - span); xx <= std::min(width - 1, x + span); ++xx)
                row[xx] = c;
        }
    }
};
}  // namespace

void MapView::renderDotLayer()
{
    const qreal dpr = devicePixelRatioF();
    const QSize pixels = (QSizeF(size()) * dpr).toSize();
    if (m_dotLayer.size() != pixels)
        m_dotLayer = QImage(pixels, QImage::Format_ARGB32_Premultiplied);
    m_dotLayer.setDevicePixelRatio(dpr);
    m_dotLayer.fill(Qt::transparent);
    m_dotLayerValid = true;
    const DotWriter out{reinterpret_cast<quint32 *>(m_dotLayer.bits()), int(m_dotLayer.bytesPerLine() / 4),
                        pixels.width(), pixels.height()};
    const int unit = std::max(1, int(std::lround(dpr)));
    const double s = m_scale * dpr, ox = m_offset.x() * dpr, oy = m_offset.y() * dpr;
    const quint32 image = qPremultiply(palette().color(QPalette::Highlight).rgba());
    const quint32 caption = qPremultiply(kCaptionColour.rgba());
    const bool coloured = !m_colouring.colours.isEmpty();
    const bool anySelected = !m_selection.isEmpty();
    const bool dim = !m_highlights.isEmpty();
    if (m_dotXY.size() != std::size_t(m_points.size()) * 2)
        syncDotData();
    // The screen (and a dot's reach beyond it) in layout units: only the grid rows it crosses are read.
    const QRectF screenLayout = QRectF(toLayout(QPointF(-8, -8)), toLayout(QPointF(width() + 8, height() + 8))).normalized();
    m_dotLayerIsDensity = false;
    const qsizetype onScreen = m_grid.countNear(screenLayout);   // about: whole grid cells
    if (onScreen > m_densityThreshold) {
        QPainter painter(&m_dotLayer);
        m_dotLayerIsDensity = renderDensity(painter);
    }
    if (!m_dotLayerIsDensity) {
        // Level of detail: when the 3x3 dots on screen would cover it more than kMaxOverdraw times over,
        // they only hide each other; single pixels (captions 3 px) show the same density for a ninth of
        // the writes. Counted on screen, so zooming in brings the larger dots back.
        constexpr double kMaxOverdraw = 2.0;
        const bool dense = 9.0 * double(onScreen) > kMaxOverdraw * pixels.width() * pixels.height();
        const int imageRadius = dense ? 0 : unit, captionRadius = dense ? unit : 2 * unit;
        const float *xy = m_dotXY.data();
        const QRgb *colours = m_colouring.colours.constData();
        const double maxX = out.width + 8, maxY = out.height + 8;
        m_grid.forEachRange(screenLayout, [&](int begin, int end) {
            for (int k = begin; k < end; ++k) {
                const double x = xy[2 * k] * s + ox, y = xy[2 * k + 1] * s + oy;
                if (x < -8 || y < -8 || x > maxX || y > maxY || (anySelected && m_dotSelected[std::size_t(k)]))
                    continue;
                const bool isCaption = m_dotIsCaption[std::size_t(k)];
                quint32 c = coloured ? qPremultiply(colours[m_dotIndex[std::size_t(k)]]) : (isCaption ? caption : image);
                if (dim)   // faded towards transparent: the search hits stand out
                    c = qPremultiply(qRgba(qRed(c), qGreen(c), qBlue(c), int(255 * kDimmedOpacity)));
                if (isCaption)
                    out.diamond(int(x), int(y), captionRadius, c);
                else
                    out.square(int(x), int(y), imageRadius, c);
            }
        });
    }
    // Selected points on top, larger, ringed in the text colour so they stand out in any colouring
    // (a selection of millions: a pixel in a one-pixel ring, or they would only hide each other).
    const quint32 ring = qPremultiply(palette().color(QPalette::Text).rgba());
    const bool many = 49.0 * double(m_selection.size()) > 2.0 * pixels.width() * pixels.height();
    const int ringRadius = many ? unit : 3 * unit, fillRadius = many ? 0 : 2 * unit;
    auto drawSelected = [&](int i, double x, double y, bool isCaption) {
        const quint32 c = coloured ? qPremultiply(m_colouring.colours[i]) : (isCaption ? caption : image);
        out.square(int(x), int(y), ringRadius, ring);
        out.square(int(x), int(y), fillRadius, c);
    };
    if (many) {   // the dots on screen, in their compact spatial order, rather than millions of point records
        const float *xy = m_dotXY.data();
        m_grid.forEachRange(screenLayout, [&](int begin, int end) {
            for (int k = begin; k < end; ++k)
                if (m_dotSelected[std::size_t(k)])
                    drawSelected(m_dotIndex[std::size_t(k)], xy[2 * k] * s + ox, xy[2 * k + 1] * s + oy, m_dotIsCaption[std::size_t(k)]);
        });
    } else {
        for (int i : std::as_const(m_selection)) {
            const MapPoint &p = m_points[i];
            const double x = p.pos.x() * s + ox, y = p.pos.y() * s + oy;
            if (x >= -8 && y >= -8 && x <= out.width + 8 && y <= out.height + 8)
                drawSelected(i, x, y, p.kind == MapPoint::Caption);
        }
    }
}

// The density layer instead of dots, when its finest bins are still about a pixel here. False (and
// nothing drawn) when they are not: then there are few enough points on screen for dots.
bool MapView::renderDensity(QPainter &painter)
{
    const double s = m_scale * devicePixelRatioF();
    if (!m_densityValid) {
        const QRgb image = palette().color(QPalette::Highlight).rgb(), caption = kCaptionColour.rgb();
        const QRgb *colours = m_colouring.colours.isEmpty() ? nullptr : m_colouring.colours.constData();
        m_density.build(m_bounds, m_dotIndex.size(), m_dotXY.data(), [&](std::size_t k) {
            return colours ? colours[m_dotIndex[k]] : m_dotIsCaption[k] ? caption : image;
        });
        m_densityValid = true;
    }
    if (m_density.binPixels(s) > kMaxDensityBinPixels)
        return false;
    painter.setOpacity(m_highlights.isEmpty() ? 1.0 : kDimmedOpacity);
    m_density.draw(painter, s, m_offset * devicePixelRatioF(), m_dotLayer.rect());
    return true;
}

void MapView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing, false);
    const double size = markerSize();
    const bool thumbnails = thumbnailsShown(size);
    m_lastPaint = {};
    m_lastPaint.thumbnails = thumbnails;
    if (m_pairLines)
        paintPairLines(painter, size);
    if (thumbnails) {
        paintThumbnails(painter, size);
    } else {
        if (!m_dotLayerValid || m_dotLayer.size() != (QSizeF(this->size()) * devicePixelRatioF()).toSize())
            renderDotLayer();
        painter.drawImage(QPointF(0, 0), m_dotLayer);
        m_lastPaint.density = m_dotLayerIsDensity;
    }
    paintHighlights(painter, thumbnails ? std::max(size, std::min(kSmallPicture, 4 * size)) : 6.0);
    paintOverlays(painter, size);
    paintQueryMarker(painter);
    if (!m_points.isEmpty())
        paintLegend(painter);
    if (m_points.isEmpty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("Drop image folders here, or use File ▸ Add Folder (Ctrl+O)"));
    }
}

void MapView::paintPairLines(QPainter &painter, double size)
{
    // Two batches (matched / mismatched), under the points. Zoomed out, thousands of lines would
    // hide the map: only the selected point's pairs are drawn until thumbnails show.
    const bool all = size >= kThumbnailThreshold;
    const QRectF visible = QRectF(rect()).adjusted(-size, -size, size, size);
    QList<QLineF> good, bad;
    for (int i : std::as_const(m_pairCaptions)) {
        const MapPoint &p = m_points[i];
        if (!all && i != m_selected && p.partner != m_selected)
            continue;
        const QLineF line(toWidget(p.pos), toWidget(m_points[p.partner].pos));
        if (visible.contains(line.p1()) || visible.contains(line.p2()))
            (p.rankOne ? good : bad) << line;
    }
    if (good.isEmpty() && bad.isEmpty())
        return;
    const int alpha = all ? 150 : 220;
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setPen(QPen(QColor(44, 160, 44, alpha), 1));
    painter.drawLines(good);
    painter.setPen(QPen(QColor(214, 39, 40, alpha), 1));
    painter.drawLines(bad);
    painter.setRenderHint(QPainter::Antialiasing, false);
}

QList<int> MapView::visibleTopmost(double imageCell, double captionCell)
{
    // Level of detail: of the points whose markers would stack in one screen cell only the topmost
    // (highest index, as drawn last) is drawn, so a dense cluster costs what the screen can show.
    ensureGrid();
    const double margin = imageCell;
    const QRectF screen = QRectF(rect()).adjusted(-margin, -margin, margin, margin);
    const int cols[2] = {int(screen.width() / imageCell) + 1, int(screen.width() / captionCell) + 1};
    const int rows[2] = {int(screen.height() / imageCell) + 1, int(screen.height() / captionCell) + 1};
    std::vector<int> top[2] = {std::vector<int>(std::size_t(cols[0]) * rows[0], -1),
                               std::vector<int>(std::size_t(cols[1]) * rows[1], -1)};
    const double cell[2] = {imageCell, captionCell};
    m_grid.forEachNear(QRectF(toLayout(screen.topLeft()), toLayout(screen.bottomRight())), [&](int i) {
        const QPointF w = toWidget(m_points[i].pos) - screen.topLeft();
        if (w.x() < 0 || w.y() < 0 || w.x() >= screen.width() || w.y() >= screen.height())
            return;
        const int k = m_points[i].kind == MapPoint::Image ? 0 : 1;
        int &slot = top[k][std::size_t(int(w.y() / cell[k])) * cols[k] + int(w.x() / cell[k])];
        // Search hits win their cell, then the topmost (highest index, drawn last).
        const auto rank = [this](int j) { return j < 0 ? -2 : m_highlightRank[std::size_t(j)] >= 0 ? 1 : 0; };
        if (slot < 0 || rank(i) > rank(slot) || (rank(i) == rank(slot) && i > slot))
            slot = i;
    });
    QList<int> out;
    for (const std::vector<int> &t : top)
        for (int i : t)
            if (i >= 0)
                out << i;
    std::sort(out.begin(), out.end());
    return out;
}

bool MapView::thumbnailsShown(double size)
{
    if (size >= kThumbnailThreshold)
        return true;
    if (size < kMinThumbnailPixels)
        return false;
    ensureGrid();
    int onScreen = 0;
    const QRectF screen(toLayout(QPointF(0, 0)), toLayout(QPointF(width(), height())));
    m_grid.forEachNear(screen.normalized(), [&](int i) { onScreen += m_points[i].kind == MapPoint::Image; });
    return onScreen <= kMaxImagesOnScreen;
}

void MapView::paintThumbnails(QPainter &painter, double markerSize)
{
    constexpr int kSmoothLimit = 600;   // above this many thumbnails, scale without filtering
    // Small markers are drawn larger than their spacing (a mosaic, topmost per cell): pictures
    // recognisable at first sight instead of specks.
    const double size = std::max(markerSize, std::min(kSmallPicture, 4 * markerSize));
    const double captionRadius = size >= 32 ? 5 : 3;
    const QList<int> shown = visibleTopmost(std::max(size, 8.0), 2 * captionRadius + 2);
    const bool coloured = !m_colouring.colours.isEmpty();
    const bool dim = !m_highlights.isEmpty();
    const QColor imageColour = palette().color(QPalette::Highlight);
    const double pixels = size * devicePixelRatioF();
    painter.setPen(Qt::NoPen);
    QList<int> images;
    // Captions first, under the pictures: at a glance the map shows images, not caption markers.
    for (int i : shown) {
        const MapPoint &p = m_points[i];
        if (p.kind != MapPoint::Caption) {
            images << i;
            continue;
        }
        const QPointF w = toWidget(p.pos);
        painter.setOpacity(dim && m_highlightRank[std::size_t(i)] < 0 ? kDimmedOpacity : 1.0);
        painter.setBrush(coloured ? QColor::fromRgba(m_colouring.colours[i]) : kCaptionColour);
        const double r = captionRadius;
        painter.drawPolygon(QPolygonF{w + QPointF(0, -r), w + QPointF(r, 0), w + QPointF(0, r), w + QPointF(-r, 0)});
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform, images.size() < kSmoothLimit);
    for (int i : std::as_const(images)) {
        const MapPoint &p = m_points[i];
        const QPointF w = toWidget(p.pos);
        const QRectF target(w.x() - size / 2, w.y() - size / 2, size, size);
        painter.setOpacity(dim && m_highlightRank[std::size_t(i)] < 0 ? kDimmedOpacity : 1.0);
        if (coloured) {   // the colouring as a thin outline: the picture (transparent ones too) stays readable
            painter.setPen(QPen(QColor::fromRgba(m_colouring.colours[i]), size >= 32 ? 3 : 2));
            painter.setBrush(Qt::NoBrush);
            painter.drawRect(target.adjusted(-1, -1, 1, 1));
            painter.setPen(Qt::NoPen);
        }
        ++m_lastPaint.images;
        if (const QImage *image = p.path.isEmpty() ? nullptr : m_thumbs->image(p.path, pixels)) {
            const QSizeF s = QSizeF(image->size()).scaled(target.size(), Qt::KeepAspectRatio);
            painter.drawImage(QRectF(target.center() - QPointF(s.width() / 2, s.height() / 2), s), *image);
        } else {
            ++m_lastPaint.missing;
            painter.fillRect(target, imageColour.lighter(160));
        }
    }
    painter.setOpacity(1.0);
    m_lastPaint.imagePixels = size;
    if (m_captionsUnder && size >= kCaptionLabelMin)
        paintImageCaptions(painter, images, size);
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(palette().color(QPalette::Highlight), 3));
    const QRectF visible = QRectF(rect()).adjusted(-size, -size, size, size);
    for (int i : std::as_const(m_selection)) {
        const QPointF w = toWidget(m_points[i].pos);
        if (visible.contains(w)) {
            const double s = m_points[i].kind == MapPoint::Image ? size + 4 : 14;
            painter.drawRect(QRectF(w.x() - s / 2, w.y() - s / 2, s, s));
        }
    }
}

// An image's own caption under its picture, elided to a little more than its width, on a
// translucent band so it reads over any neighbour.
void MapView::paintImageCaptions(QPainter &painter, const QList<int> &shown, double size)
{
    QFont font = painter.font();
    font.setPointSizeF(std::max(6.0, font.pointSizeF() * (size >= 80 ? 0.9 : 0.75)));
    painter.setFont(font);
    const QFontMetricsF fm(font);
    QColor band = palette().color(QPalette::Base);
    band.setAlpha(200);
    int drawn = 0;
    for (int i : shown) {
        const QString caption = imageCaption(i);
        if (caption.isEmpty() || ++drawn > kMaxCaptionLabels)
            continue;
        const QPointF w = toWidget(m_points[i].pos);
        const double width = size * 1.3;
        const QString text = fm.elidedText(caption, Qt::ElideRight, width);
        const QRectF box(w.x() - width / 2, w.y() + size / 2 + 1, width, fm.height());
        const QRectF tight = fm.boundingRect(box, Qt::AlignHCenter | Qt::AlignTop, text).adjusted(-2, 0, 2, 0);
        painter.fillRect(tight, band);
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(box, Qt::AlignHCenter | Qt::AlignTop, text);
        ++m_lastPaint.captionLabels;
    }
    painter.setFont(this->font());
}

// Search hits: a ring around each (on dots and pictures alike), the first ten numbered.
void MapView::paintHighlights(QPainter &painter, double size)
{
    if (m_highlights.isEmpty())
        return;
    constexpr int kNumbered = 10;
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setBrush(Qt::NoBrush);
    const QRectF visible = QRectF(rect()).adjusted(-size, -size, size, size);
    const double r = size / 2 + 4;
    for (qsizetype k = m_highlights.size() - 1; k >= 0; --k) {   // the best on top
        const QPointF w = toWidget(m_points[m_highlights[k]].pos);
        if (!visible.contains(w))
            continue;
        painter.setPen(QPen(Qt::white, 4.5));
        painter.drawEllipse(w, r, r);
        painter.setPen(QPen(kQueryColour, 2.5));
        painter.drawEllipse(w, r, r);
        if (k >= kNumbered)
            continue;
        const QString label = QString::number(k + 1);
        const QRectF badge(w.x() + r * 0.7 - 7, w.y() - r * 0.7 - 7, 14, 14);
        painter.setPen(Qt::NoPen);
        painter.setBrush(kQueryColour);
        painter.drawEllipse(badge);
        painter.setPen(Qt::white);
        QFont f = painter.font();
        f.setPixelSize(10);
        f.setBold(true);
        painter.setFont(f);
        painter.drawText(badge, Qt::AlignCenter, label);
        painter.setFont(font());
        painter.setBrush(Qt::NoBrush);
    }
    painter.setRenderHint(QPainter::Antialiasing, false);
}

void MapView::paintOverlays(QPainter &painter, double size)
{
    if (m_selected >= 0 && m_selected < m_points.size()) {
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(palette().color(QPalette::Highlight), 2));
        const double s = std::max(size, 8.0) + 4;
        const QPointF w = toWidget(m_points[m_selected].pos);
        painter.drawRect(QRectF(w.x() - s / 2, w.y() - s / 2, s, s));
    }
    if (m_rubberBand.size() >= 2) {
        painter.setRenderHint(QPainter::Antialiasing, true);
        QColor fill = palette().color(QPalette::Highlight);
        fill.setAlpha(40);
        painter.setBrush(fill);
        painter.setPen(QPen(palette().color(QPalette::Highlight), 1, Qt::DashLine));
        painter.drawPolygon(m_rubberBand);
        painter.setRenderHint(QPainter::Antialiasing, false);
    }
}

void MapView::paintQueryMarker(QPainter &painter)
{
    if (m_queryLabel.isEmpty())
        return;
    // The query: a ringed cross-hair with its text, drawn above the points.
    const QPointF w = toWidget(m_queryPos);
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(kQueryColour, 2.5));
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
    painter.setRenderHint(QPainter::Antialiasing, false);
}

void MapView::paintLegend(QPainter &painter)
{
    // Top-left box: the colouring's title, then swatches or a ramp. By modality when not coloured.
    QList<MapColouring::Entry> entries = m_colouring.legend;
    const bool ramp = !m_colouring.rampStops.isEmpty();
    if (m_colouring.colours.isEmpty() || (entries.isEmpty() && !ramp))
        entries = {{palette().color(QPalette::Highlight), tr("Image")}, {kCaptionColour, tr("Caption")}};
    const QString title = m_colouring.title.isEmpty() ? tr("Modality") : m_colouring.title;
    const QFontMetrics fm = fontMetrics();
    const int line = fm.height() + 2, pad = 6, swatch = fm.height() - 4;
    constexpr int kMaxEntries = 12;
    const int shown = ramp && !m_colouring.colours.isEmpty() ? 2 : int(std::min<qsizetype>(entries.size(), kMaxEntries));
    int width = fm.horizontalAdvance(title);
    for (int i = 0; i < shown && !(ramp && !m_colouring.colours.isEmpty()); ++i)
        width = std::max(width, swatch + 6 + fm.horizontalAdvance(fm.elidedText(entries[i].label, Qt::ElideMiddle, 200)));
    if (ramp && !m_colouring.colours.isEmpty())
        width = std::max(width, 160);
    const QRect box(8, 8, width + 2 * pad, line * (shown + 1) + 2 * pad - 2 + (entries.size() > kMaxEntries ? line : 0));
    QColor back = palette().color(QPalette::Window);
    back.setAlpha(215);
    painter.setPen(palette().color(QPalette::Mid));
    painter.setBrush(back);
    painter.drawRoundedRect(box, 4, 4);
    painter.setPen(palette().color(QPalette::WindowText));
    int y = box.top() + pad;
    painter.drawText(QRect(box.left() + pad, y, width, line), Qt::AlignLeft | Qt::AlignVCenter, title);
    y += line;
    if (ramp && !m_colouring.colours.isEmpty()) {
        const QRect bar(box.left() + pad, y + 2, width, swatch);
        QLinearGradient gradient(bar.topLeft(), bar.topRight());
        for (int i = 0; i < m_colouring.rampStops.size(); ++i)
            gradient.setColorAt(double(i) / std::max<qsizetype>(1, m_colouring.rampStops.size() - 1), m_colouring.rampStops[i]);
        painter.fillRect(bar, gradient);
        const QRect labels(box.left() + pad, y + line, width, line);   // under the bar: readable on any stop
        painter.drawText(labels, Qt::AlignLeft | Qt::AlignVCenter, m_colouring.rampLow);
        painter.drawText(labels, Qt::AlignRight | Qt::AlignVCenter, m_colouring.rampHigh);
        return;
    }
    for (int i = 0; i < shown; ++i, y += line) {
        painter.fillRect(QRect(box.left() + pad, y + 2, swatch, swatch), entries[i].colour);
        painter.drawText(QRect(box.left() + pad + swatch + 6, y, width - swatch - 6, line), Qt::AlignLeft | Qt::AlignVCenter,
                         fm.elidedText(entries[i].label, Qt::ElideMiddle, 200));
    }
    if (entries.size() > kMaxEntries)
        painter.drawText(QRect(box.left() + pad, y, width, line), Qt::AlignLeft | Qt::AlignVCenter,
                         tr("… %n more", nullptr, int(entries.size() - kMaxEntries)));
}

}  // namespace cospace
