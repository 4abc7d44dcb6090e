#pragma once
// A uniform bucket grid over 2-D points, for "which points lie in this rectangle" without scanning
// them all: the map asks it for the points on screen (zoomed in, few of a million) and under the
// mouse. Built in O(N) by counting sort; about 4 points per cell on average. Not thread-safe; the
// caller rebuilds it when the points move.

#include <QPointF>
#include <QRectF>

#include <algorithm>
#include <cmath>
#include <vector>

namespace cospace {

class SpatialGrid
{
public:
    template<typename PositionOf>
    void build(int count, PositionOf positionOf)
    {
        m_count = count;
        double minX = 1e300, minY = 1e300, maxX = -1e300, maxY = -1e300;
        for (int i = 0; i < count; ++i) {
            const QPointF p = positionOf(i);
            minX = std::min(minX, p.x()), maxX = std::max(maxX, p.x());
            minY = std::min(minY, p.y()), maxY = std::max(maxY, p.y());
        }
        if (count == 0)
            minX = minY = maxX = maxY = 0;
        const int side = std::clamp(int(std::sqrt(count / 4.0)), 1, 2048);
        m_nx = m_ny = side;
        m_x0 = minX, m_y0 = minY;
        m_cw = std::max(1e-12, (maxX - minX) / side) * (1 + 1e-9);
        m_ch = std::max(1e-12, (maxY - minY) / side) * (1 + 1e-9);
        m_start.assign(std::size_t(m_nx) * m_ny + 1, 0);
        auto cellOf = std::vector<int>(std::size_t(count));
        for (int i = 0; i < count; ++i) {
            const int c = cell(positionOf(i));
            cellOf[std::size_t(i)] = c;
            ++m_start[std::size_t(c) + 1];
        }
        for (std::size_t c = 1; c < m_start.size(); ++c)
            m_start[c] += m_start[c - 1];
        m_order.assign(std::size_t(count), 0);
        std::vector<int> fill(m_start.begin(), m_start.end() - 1);
        for (int i = 0; i < count; ++i)   // ascending within each cell
            m_order[std::size_t(fill[std::size_t(cellOf[std::size_t(i)])]++)] = i;
        m_valid = true;
    }
    void invalidate() { m_valid = false; }
    // Every point once, cell by cell in row-major order (ascending index within a cell): walking
    // points in this order touches the screen row by row, which keeps pixel writes cache-friendly.
    const std::vector<int> &order() const { return m_order; }
    bool isValid() const { return m_valid; }

    // Calls f(index) for every point in the cells overlapping `rect` (a superset of the points in
    // it: the caller tests the exact position). Order: cell by cell, ascending within a cell.
    template<typename F>
    void forEachNear(const QRectF &rect, F f) const
    {
        forEachRange(rect, [&](int begin, int end) {
            for (int k = begin; k < end; ++k)
                f(m_order[std::size_t(k)]);
        });
    }
    // The same points as runs of order(): f(begin, end) once per grid row the rectangle crosses, for
    // order()[begin .. end) — the cells of one row are consecutive there, so data kept in order()'s
    // sequence (the map's dot coordinates) is streamed without an index lookup per point.
    template<typename F>
    void forEachRange(const QRectF &rect, F f) const
    {
        if (!m_valid || m_count == 0)
            return;
        if (rect.right() < m_x0 || rect.bottom() < m_y0 || rect.left() > m_x0 + m_cw * m_nx || rect.top() > m_y0 + m_ch * m_ny)
            return;
        const int x0 = std::clamp(int(std::floor((rect.left() - m_x0) / m_cw)), 0, m_nx - 1);
        const int x1 = std::clamp(int(std::floor((rect.right() - m_x0) / m_cw)), 0, m_nx - 1);
        const int y0 = std::clamp(int(std::floor((rect.top() - m_y0) / m_ch)), 0, m_ny - 1);
        const int y1 = std::clamp(int(std::floor((rect.bottom() - m_y0) / m_ch)), 0, m_ny - 1);
        for (int y = y0; y <= y1; ++y) {
            const std::size_t row = std::size_t(y) * m_nx;
            if (m_start[row + x0] < m_start[row + x1 + 1])
                f(m_start[row + x0], m_start[row + x1 + 1]);
        }
    }
    // How many points forEachNear(rect) would visit, in O(rows).
    qsizetype countNear(const QRectF &rect) const
    {
        qsizetype n = 0;
        forEachRange(rect, [&n](int begin, int end) { n += end - begin; });
        return n;
    }

private:
    int cell(QPointF p) const
    {
        const int x = std::clamp(int((p.x() - m_x0) / m_cw), 0, m_nx - 1);
        const int y = std::clamp(int((p.y() - m_y0) / m_ch), 0, m_ny - 1);
        return y * m_nx + x;
    }

    bool m_valid = false;
    int m_count = 0, m_nx = 1, m_ny = 1;
    double m_x0 = 0, m_y0 = 0, m_cw = 1, m_ch = 1;
    std::vector<int> m_start;   // cell c holds m_order[m_start[c] .. m_start[c+1])
    std::vector<int> m_order;
};

}  // namespace cospace
