#include "ui/inspector/heatmapview.h"

#include <QFileInfo>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <numeric>

namespace cospace {

namespace {

// Cosine -1..1 through a dark-blue -> teal -> yellow ramp (viridis-like, readable on any theme).
QRgb rampColour(float cosine)
{
    static const QColor stops[] = {QColor(68, 1, 84), QColor(59, 82, 139), QColor(33, 145, 140),
                                   QColor(94, 201, 98), QColor(253, 231, 37)};
    const double t = std::clamp((double(cosine) + 1.0) / 2.0, 0.0, 1.0) * 4.0;
    const int i = std::min(3, int(t));
    const double f = t - i;
    const QColor &a = stops[i], &b = stops[i + 1];
    return qRgb(int(a.red() + (b.red() - a.red()) * f), int(a.green() + (b.green() - a.green()) * f),
                int(a.blue() + (b.blue() - a.blue()) * f));
}

}  // namespace

HeatmapView::HeatmapView(QWidget *parent) : QWidget(parent)
{
    setMinimumSize(200, 200);
    setMouseTracking(true);
    setCursor(Qt::CrossCursor);
}

void HeatmapView::setLabels(QStringList captions, QStringList images)
{
    m_captions = std::move(captions);
    m_images = std::move(images);
}

void HeatmapView::setAnalysis(const ProbeAnalysis &analysis)
{
    m_analysis = analysis;
    m_marked = {-1, -1};
    rebuild();
}

void HeatmapView::setOrder(Order order)
{
    m_order = order;
    rebuild();
}

void HeatmapView::rebuild()
{
    const int p = m_analysis.pairs;
    m_orderIndex.resize(p);
    std::iota(m_orderIndex.begin(), m_orderIndex.end(), 0);
    if (m_order != Order::Probe) {
        // Worst first: the caption's own image ranked lowest, ties broken by the lower cosine.
        auto worse = [this](int a, int b) {
            const int ra = m_analysis.captionRank[std::size_t(a)], rb = m_analysis.captionRank[std::size_t(b)];
            if (ra != rb)
                return ra > rb;
            return m_analysis.similarity.at(a, a) < m_analysis.similarity.at(b, b);
        };
        std::stable_sort(m_orderIndex.begin(), m_orderIndex.end(), worse);
        if (m_order == Order::BestFirst)
            std::reverse(m_orderIndex.begin(), m_orderIndex.end());
    }
    m_position.resize(p);
    for (int k = 0; k < p; ++k)
        m_position[m_orderIndex[k]] = k;
    m_image = QImage(std::max(1, p), std::max(1, p), QImage::Format_RGB32);
    m_image.fill(palette().color(QPalette::Window));
    for (int r = 0; r < p; ++r) {
        auto *line = reinterpret_cast<QRgb *>(m_image.scanLine(r));
        for (int c = 0; c < p; ++c)
            line[c] = rampColour(m_analysis.similarity.at(m_orderIndex[r], m_orderIndex[c]));
    }
    update();
}

QRectF HeatmapView::area() const
{
    const double side = std::max(1, std::min(width(), height()) - 8);
    return QRectF((width() - side) / 2, (height() - side) / 2, side, side);
}

QPair<int, int> HeatmapView::cellAt(QPointF pos) const
{
    const QRectF a = area();
    const int p = m_analysis.pairs;
    if (p == 0 || !a.contains(pos))
        return {-1, -1};
    const int row = std::clamp(int((pos.y() - a.top()) / a.height() * p), 0, p - 1);
    const int col = std::clamp(int((pos.x() - a.left()) / a.width() * p), 0, p - 1);
    return {m_orderIndex[row], m_orderIndex[col]};
}

QRectF HeatmapView::cellRect(int caption, int image) const
{
    const QRectF a = area();
    const double cell = a.width() / std::max(1, m_analysis.pairs);
    return QRectF(a.left() + m_position.value(image) * cell, a.top() + m_position.value(caption) * cell, cell, cell);
}

void HeatmapView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    if (m_analysis.pairs == 0) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("No probe embeddings yet"));
        return;
    }
    painter.drawImage(area(), m_image);
    if (m_marked.first >= 0) {
        painter.setPen(QPen(Qt::red, 2));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(cellRect(m_marked.first, m_marked.second).adjusted(-2, -2, 2, 2));
    }
}

void HeatmapView::mousePressEvent(QMouseEvent *event)
{
    const auto [caption, image] = cellAt(event->position());
    if (caption < 0)
        return;
    m_marked = {caption, image};
    update();
    Q_EMIT cellClicked(caption, image);
}

bool HeatmapView::event(QEvent *event)
{
    if (event->type() != QEvent::ToolTip)
        return QWidget::event(event);
    auto *help = static_cast<QHelpEvent *>(event);
    const auto [caption, image] = cellAt(help->pos());
    if (caption < 0) {
        QToolTip::hideText();
        return true;
    }
    const QString text = tr("caption: %1\nimage: %2\ncosine %3%4")
                             .arg(m_captions.value(caption, tr("#%1").arg(caption)),
                                  QFileInfo(m_images.value(image, tr("#%1").arg(image))).fileName())
                             .arg(m_analysis.similarity.at(caption, image), 0, 'f', 3)
                             .arg(caption == image ? tr("  (its own image, rank %1)").arg(m_analysis.captionRank[std::size_t(caption)])
                                                   : QString());
    QToolTip::showText(help->globalPos(), text, this);
    return true;
}

}  // namespace cospace
