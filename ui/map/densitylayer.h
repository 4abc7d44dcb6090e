#pragma once
// The map's density layer: what a few million dots look like, without drawing them. The points are
// binned once over the map's bounds into a pyramid of small images (level 0: up to 4096 bins across;
// each next level half as many, summing four bins), each bin coloured by the mean colour of its
// points, its opacity rising with the logarithm of its count (a lone outlier stays visible, a
// dense core is solid). A frame then draws the level whose bins are closest to one screen pixel
// (never smaller, so no bin is skipped) as one scaled image: its cost follows the screen, not the
// number of points. MapView uses it while more points are on screen than dots can be written in a
// frame and the finest level is still fine enough; closer in it draws dots. GUI thread only.

#include <QImage>
#include <QList>
#include <QPointF>
#include <QRectF>
#include <QRgb>

#include <algorithm>
#include <cstddef>
#include <vector>

class QPainter;

namespace cospace {

class DensityLayer
{
public:
    // Bins `count` points: xy[2k], xy[2k+1] in layout units, each of colour colourOf(k) (a QRgb).
    // `maxSide` caps level 0's bins across the larger side of `bounds`.
    template<typename ColourOf>
    void build(const QRectF &bounds, std::size_t count, const float *xy, ColourOf colourOf, int maxSide = kMaxSide)
    {
        begin(bounds, count, maxSide);
        for (std::size_t k = 0; k < count; ++k)
            add(xy[2 * k], xy[2 * k + 1], colourOf(k));
        finish();
    }
    void clear();
    bool isValid() const { return !m_levels.isEmpty(); }

    // Screen pixels (device pixels: scale already times the device pixel ratio) per level-0 bin.
    double binPixels(double scale) const { return m_bin * scale; }
    // Draws into `painter` (in its device pixels; layout -> device is p * scale + offset) the finest
    // level whose bins are at least one pixel, clipped to `target` (device pixels).
    void draw(QPainter &painter, double scale, QPointF offset, const QRect &target) const;

    int levels() const { return int(m_levels.size()); }
    const QImage &level(int i) const { return m_levels[i]; }
    // Level 0's bin (column, row) of a layout position.
    QPoint binOf(QPointF layout) const;

    static constexpr int kMaxSide = 4096;

private:
    void begin(const QRectF &bounds, std::size_t count, int maxSide);
    void add(float x, float y, QRgb colour)
    {
        const int bx = std::min(m_nx - 1, std::max(0, int((double(x) - m_x0) * m_inv)));
        const int by = std::min(m_ny - 1, std::max(0, int((double(y) - m_y0) * m_inv)));
        Bin &b = m_sums[std::size_t(by) * std::size_t(m_nx) + std::size_t(bx)];
        ++b.n;
        b.r += float(qRed(colour));
        b.g += float(qGreen(colour));
        b.b += float(qBlue(colour));
    }
    void finish();

    struct Bin {
        quint32 n = 0;
        float r = 0, g = 0, b = 0;   // colour sums (float: no overflow past 16M points; means need no more)
    };
    std::vector<Bin> m_sums;          // while building only
    QList<QImage> m_levels;           // premultiplied ARGB, level 0 first
    double m_x0 = 0, m_y0 = 0, m_bin = 1, m_inv = 1;
    int m_nx = 1, m_ny = 1;
};

}  // namespace cospace
