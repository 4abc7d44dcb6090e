#include "ui/map/maplabels.h"

#include "ui/map/mapview.h"

#include <QEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace cospace {

namespace {
constexpr int kMinPixels = 11, kMaxPixels = 30;   // label font sizes, smallest and largest cluster
}

MapLabelOverlay::MapLabelOverlay(MapView *map) : QWidget(map), m_map(map)
{
    setAttribute(Qt::WA_TransparentForMouseEvents);
    setAttribute(Qt::WA_NoSystemBackground);
    setGeometry(map->rect());
    map->installEventFilter(this);
    show();
}

void MapLabelOverlay::setLabels(QList<Label> labels)
{
    std::stable_sort(labels.begin(), labels.end(), [](const Label &a, const Label &b) { return a.weight > b.weight; });
    m_labels = std::move(labels);
    update();
}

void MapLabelOverlay::setAxes(const QString &left, const QString &right, const QString &bottom, const QString &top)
{
    m_left = left;
    m_right = right;
    m_bottom = bottom;
    m_top = top;
    update();
}

bool MapLabelOverlay::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_map && event->type() == QEvent::Resize)
        setGeometry(m_map->rect());
    return QWidget::eventFilter(watched, event);
}

// Greedy, biggest first: a label is drawn at its cluster's centre unless it would cover one
// already placed (or leave the view).
QList<MapLabelOverlay::Placed> MapLabelOverlay::place() const
{
    QList<Placed> placed;
    if (m_labels.isEmpty())
        return placed;
    const double maxWeight = std::max(1, m_labels.first().weight);
    const QPointF centre = m_map->centre(), mid(width() / 2.0, height() / 2.0);
    const double zoom = m_map->zoom();
    QFont f = font();
    f.setBold(true);
    for (const Label &label : m_labels) {
        const QPointF at = mid + (label.pos - centre) * zoom;
        const int pixels = int(std::lround(kMinPixels + (kMaxPixels - kMinPixels) * std::sqrt(label.weight / maxWeight)));
        f.setPixelSize(pixels);
        const QFontMetricsF fm(f);
        QRectF box(at.x() - fm.horizontalAdvance(label.text) / 2 - 4, at.y() - fm.height() / 2 - 2,
                   fm.horizontalAdvance(label.text) + 8, fm.height() + 4);
        if (!rect().intersects(box.toAlignedRect()))
            continue;
        // A label whose cluster is on screen but near an edge is pulled in whole.
        box.moveLeft(std::clamp(box.left(), 0.0, std::max(0.0, width() - box.width())));
        box.moveTop(std::clamp(box.top(), 0.0, std::max(0.0, height() - box.height())));
        const bool overlaps = std::any_of(placed.begin(), placed.end(), [&](const Placed &p) { return p.box.intersects(box); });
        if (!overlaps)
            placed.append({box, label.text, pixels});
    }
    return placed;
}

QStringList MapLabelOverlay::visibleLabels() const
{
    QStringList texts;
    for (const Placed &p : place())
        texts << p.text;
    return texts;
}

void MapLabelOverlay::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    QFont f = font();
    f.setBold(true);
    const QColor text = palette().color(QPalette::WindowText);
    QColor halo = palette().color(QPalette::Window);
    halo.setAlpha(200);
    for (const Placed &p : place()) {
        f.setPixelSize(p.pixelSize);
        // Text with a halo in the window colour: readable over dots and thumbnails alike.
        QPainterPath path;
        const QFontMetricsF fm(f);
        path.addText(p.box.left() + 4, p.box.top() + 2 + fm.ascent(), f, p.text);
        painter.strokePath(path, QPen(halo, 4, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        painter.fillPath(path, text);
    }
    paintAxes(painter);
}

void MapLabelOverlay::paintAxes(QPainter &painter)
{
    if (m_left.isEmpty() && m_right.isEmpty() && m_bottom.isEmpty() && m_top.isEmpty())
        return;
    QFont f = font();
    f.setBold(true);
    f.setPixelSize(14);
    painter.setFont(f);
    QColor back = palette().color(QPalette::Window);
    back.setAlpha(215);
    auto tag = [&](const QString &s, Qt::Alignment align) {
        if (s.isEmpty())
            return;
        const QRect area = rect().adjusted(12, 12, -12, -12);
        const QRect box = painter.fontMetrics().boundingRect(area, int(align), s).adjusted(-6, -3, 6, 3);
        painter.setPen(palette().color(QPalette::Mid));
        painter.setBrush(back);
        painter.drawRoundedRect(box, 4, 4);
        painter.setPen(palette().color(QPalette::WindowText));
        painter.drawText(area, int(align), s);
    };
    tag(u"\u2190 "_qs + m_left, Qt::AlignLeft | Qt::AlignBottom);
    tag(m_right + u" \u2192"_qs, Qt::AlignRight | Qt::AlignBottom);
    tag(m_top.isEmpty() ? QString() : u"\u2191 "_qs + m_top, Qt::AlignHCenter | Qt::AlignTop);
    tag(m_bottom.isEmpty() ? QString() : u"\u2193 "_qs + m_bottom, Qt::AlignHCenter | Qt::AlignBottom);
}

}  // namespace cospace
