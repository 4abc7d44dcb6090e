#include "ui/map/densitylayer.h"

#include <QPainter>

#include <bit>
#include <cmath>

namespace cospace {

namespace {
constexpr double kMinOpacity = 0.45;     // a bin holding one point
constexpr double kSolidQuantile = 0.98;  // bins at least this dense (among non-empty ones) are opaque

// Premultiplied ARGB pixels of one level from its bins' sums.
template<typename Bin>
QImage levelImage(const std::vector<Bin> &bins, int nx, int ny)
{
    // The count at which a bin is opaque: a high quantile of the non-empty bins, so the picture does
    // not depend on a single hot bin.
    std::vector<quint32> filled;
    filled.reserve(bins.size() / 4);
    for (const Bin &bin : bins)
        if (bin.n > 0)
            filled.push_back(bin.n);
    double solid = 2;
    if (!filled.empty()) {
        const std::size_t q = std::min(filled.size() - 1, std::size_t(kSolidQuantile * double(filled.size())));
        std::nth_element(filled.begin(), filled.begin() + std::ptrdiff_t(q), filled.end());
        solid = std::max(2.0, double(filled[q]));
    }
    const double perLog = (1 - kMinOpacity) / std::log(solid);
    QImage image(nx, ny, QImage::Format_ARGB32_Premultiplied);
    for (int y = 0; y < ny; ++y) {
        auto *line = reinterpret_cast<QRgb *>(image.scanLine(y));
        for (int x = 0; x < nx; ++x) {
            const std::size_t i = std::size_t(y) * std::size_t(nx) + std::size_t(x);
            const Bin &bin = bins[i];
            const quint32 c = bin.n;
            if (c == 0) {
                line[x] = 0;
                continue;
            }
            const double alpha = std::min(1.0, kMinOpacity + perLog * std::log(double(c)));
            const double k = alpha / double(c);   // mean colour, premultiplied
            line[x] = qRgba(int(double(bin.r) * k + 0.5), int(double(bin.g) * k + 0.5), int(double(bin.b) * k + 0.5), int(alpha * 255 + 0.5));
        }
    }
    return image;
}
}  // namespace

void DensityLayer::clear()
{
    m_sums = {};
    m_levels.clear();
}

void DensityLayer::begin(const QRectF &bounds, std::size_t count, int maxSide)
{
    clear();
    // About one point per bin on average up to maxSide: finer bins would only be empty.
    const int side = std::clamp(int(std::bit_ceil(std::size_t(std::max(1.0, std::sqrt(double(count)))))), 16, std::max(16, maxSide));
    const double extent = std::max({bounds.width(), bounds.height(), 1e-9});
    m_bin = extent / side * (1 + 1e-9);
    m_inv = 1 / m_bin;
    m_x0 = bounds.left();
    m_y0 = bounds.top();
    m_nx = std::clamp(int(std::ceil(bounds.width() * m_inv)), 1, side);
    m_ny = std::clamp(int(std::ceil(bounds.height() * m_inv)), 1, side);
    m_sums.assign(std::size_t(m_nx) * std::size_t(m_ny), Bin{});
}

void DensityLayer::finish()
{
    int nx = m_nx, ny = m_ny;
    std::vector<Bin> bins = std::move(m_sums);
    m_sums = {};
    for (;;) {
        m_levels << levelImage(bins, nx, ny);
        if (nx <= 8 && ny <= 8)
            break;
        // The next level: each bin sums a 2 x 2 block (the last row/column may be half a block).
        const int mx = (nx + 1) / 2, my = (ny + 1) / 2;
        std::vector<Bin> next(std::size_t(mx) * std::size_t(my));
        for (int y = 0; y < ny; ++y)
            for (int x = 0; x < nx; ++x) {
                const Bin &from = bins[std::size_t(y) * std::size_t(nx) + std::size_t(x)];
                Bin &to = next[std::size_t(y / 2) * std::size_t(mx) + std::size_t(x / 2)];
                to.n += from.n, to.r += from.r, to.g += from.g, to.b += from.b;
            }
        bins.swap(next);
        nx = mx, ny = my;
    }
}

void DensityLayer::draw(QPainter &painter, double scale, QPointF offset, const QRect &target) const
{
    if (m_levels.isEmpty())
        return;
    int level = 0;
    while (level + 1 < m_levels.size() && m_bin * double(1 << level) * scale < 1.0)
        ++level;
    const QImage &image = m_levels[level];
    const double bin = m_bin * double(1 << level) * scale;   // device pixels per bin of this level
    const QPointF origin = QPointF(m_x0, m_y0) * scale + offset;
    // Only the bins on screen: the source rectangle the target covers, in bins.
    const QRectF onScreen = QRectF(target).intersected(QRectF(origin, QSizeF(image.width() * bin, image.height() * bin)));
    if (onScreen.isEmpty())
        return;
    const QRectF source((onScreen.left() - origin.x()) / bin, (onScreen.top() - origin.y()) / bin, onScreen.width() / bin,
                        onScreen.height() / bin);
    painter.drawImage(onScreen, image, source);
}

QPoint DensityLayer::binOf(QPointF layout) const
{
    return QPoint(std::clamp(int((layout.x() - m_x0) * m_inv), 0, m_nx - 1), std::clamp(int((layout.y() - m_y0) * m_inv), 0, m_ny - 1));
}

}  // namespace cospace
