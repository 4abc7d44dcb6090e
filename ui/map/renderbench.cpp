#include "ui/map/renderbench.h"

#include "ui/map/mapview.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QPainter>
#include <QRandomGenerator>

#include <algorithm>
#include <cmath>

namespace cospace {

namespace {

constexpr int kClusters = 40;
constexpr int kFramesPerPhase = 50;
constexpr double kThumbnailZoomMarker = 48.0;   // zoom in until an image is this many pixels wide

// Clustered points on about sqrt(N) x sqrt(N) layout units, like the engine's layouts.
QList<MapPoint> syntheticPoints(int n)
{
    QRandomGenerator rng(7);
    const double extent = std::sqrt(double(std::max(n, 1)));
    QList<QPointF> centres;
    for (int c = 0; c < kClusters; ++c)
        centres << QPointF(rng.bounded(extent), rng.bounded(extent));
    QList<MapPoint> points;
    points.reserve(n);
    for (int i = 0; i < n; ++i) {
        MapPoint p;
        p.kind = i % 5 == 4 ? MapPoint::Caption : MapPoint::Image;
        // Box-Muller: a normal spread of a tenth of the map around a random centre.
        const double u = std::max(1e-12, rng.generateDouble()), v = rng.generateDouble();
        const double r = std::sqrt(-2 * std::log(u)) * extent / 10;
        p.pos = centres[int(rng.bounded(kClusters))] + QPointF(r * std::cos(2 * M_PI * v), r * std::sin(2 * M_PI * v));
        p.path = u"synthetic:%1"_qs.arg(i);
        p.text = p.path;
        points << p;
    }
    return points;
}

// A 64 x 64 thumbnail made in memory: a hue from the name, a disc and a frame.
QImage syntheticThumbnail(const QString &path)
{
    QImage image(64, 64, QImage::Format_ARGB32_Premultiplied);
    const int hue = int(qHash(path) % 360);
    image.fill(QColor::fromHsv(hue, 90, 235));
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    p.setBrush(QColor::fromHsv((hue + 180) % 360, 200, 200));
    p.setPen(Qt::NoPen);
    p.drawEllipse(QRectF(12, 12, 40, 40));
    return image;
}

double percentile(std::vector<double> sorted, double q)
{
    if (sorted.empty())
        return 0;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t i = std::min(sorted.size() - 1, std::size_t(std::ceil(q * double(sorted.size()))) - (q > 0 ? 1 : 0));
    return sorted[i];
}

}  // namespace

RenderBenchResult runRenderBench(int n, QTextStream &out, QSize size)
{
    MapView map;
    map.setThumbnailSource(syntheticThumbnail);
    map.resize(size);
    map.show();
    QCoreApplication::processEvents();
    map.setPoints(syntheticPoints(n));
    map.fitToView();
    QCoreApplication::processEvents();
    const double fitZoom = map.zoom();
    const double deepZoom = std::max(fitZoom, kThumbnailZoomMarker / 0.9);   // markerSize = zoom * 0.9
    const double zoomStep = std::pow(deepZoom / fitZoom, 1.0 / kFramesPerPhase);
    const QPointF centre(size.width() / 2.0, size.height() / 2.0);

    std::vector<double> ms;
    QElapsedTimer timer;
    // One frame: deliver what arrived (thumbnails), move the view, time the repaint it causes.
    // The view moves after processEvents() so no untimed paint can sneak in between.
    auto frame = [&](auto move) {
        QCoreApplication::processEvents();
        move();
        timer.start();
        map.repaint();
        ms.push_back(timer.nsecsElapsed() / 1e6);
    };
    for (int i = 0; i < kFramesPerPhase; ++i) {   // 1. pan zoomed out: every point on screen
        frame([&] { map.panBy(QPointF(i < kFramesPerPhase / 2 ? 6 : -6, 3)); });
    }
    for (int i = 0; i < kFramesPerPhase; ++i) {   // 2. zoom in past the thumbnail threshold
        frame([&] { map.zoomBy(zoomStep, centre); });
    }
    for (int i = 0; i < kFramesPerPhase; ++i) {   // 3. pan among thumbnails
        frame([&] { map.panBy(QPointF(-12, i % 20 < 10 ? 8 : -8)); });
    }
    for (int i = 0; i < kFramesPerPhase; ++i) {   // 4. zoom back out
        frame([&] { map.zoomBy(1 / zoomStep, centre); });
    }
    RenderBenchResult r;
    r.frames = int(ms.size());
    r.p50Ms = percentile(ms, 0.5);
    r.p95Ms = percentile(ms, 0.95);
    r.maxMs = *std::max_element(ms.begin(), ms.end());
    out << u"bench-render: %1 points, %2 frames at %3x%4 (pan, zoom in to thumbnails, pan, zoom out)\n"_qs
               .arg(n).arg(r.frames).arg(size.width()).arg(size.height());
    out << u"frame time ms: p50 %1  p95 %2  max %3\n"_qs.arg(r.p50Ms, 0, 'f', 2).arg(r.p95Ms, 0, 'f', 2).arg(r.maxMs, 0, 'f', 2);
    static const char *const phases[] = {"pan zoomed out", "zoom in", "pan thumbnails", "zoom out"};
    for (int phase = 0; phase < 4; ++phase) {
        const std::vector<double> part(ms.begin() + phase * kFramesPerPhase, ms.begin() + (phase + 1) * kFramesPerPhase);
        out << u"  %1: p50 %2  p95 %3  max %4\n"_qs.arg(QLatin1String(phases[phase]), -15).arg(percentile(part, 0.5), 0, 'f', 2)
                   .arg(percentile(part, 0.95), 0, 'f', 2).arg(*std::max_element(part.begin(), part.end()), 0, 'f', 2);
    }
    out.flush();
    return r;
}

}  // namespace cospace
