#include "ui/map/renderbench.h"

#include "ui/map/mapview.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QHelpEvent>
#include <QPainter>
#include <QRandomGenerator>
#include <QToolTip>

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

// This process's resident memory in bytes (Linux /proc; 0 where it cannot be read).
qint64 residentBytes()
{
    QFile status(u"/proc/self/status"_qs);
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    return 0;
}

// Hover as the user gets it: a tooltip event at `count` random positions (the point under the
// mouse found, its tooltip made and shown), timed one by one.
std::vector<double> hoverTimes(MapView &map, int count, QRandomGenerator &rng)
{
    std::vector<double> ms;
    QElapsedTimer timer;
    for (int i = 0; i < count; ++i) {
        const QPoint at(int(rng.bounded(map.width())), int(rng.bounded(map.height())));
        QHelpEvent event(QEvent::ToolTip, at, map.mapToGlobal(at));
        timer.start();
        QCoreApplication::sendEvent(&map, &event);
        ms.push_back(timer.nsecsElapsed() / 1e6);
    }
    QToolTip::hideText();
    return ms;
}

// A round lasso of 64 vertices over the middle of the view: selecting what it encloses, and the
// repaint that shows the selection.
double lassoTime(MapView &map, int *selected)
{
    QPolygonF lasso;
    const QPointF centre(map.width() / 2.0, map.height() / 2.0);
    const double r = std::min(map.width(), map.height()) / 4.0;
    for (int k = 0; k < 64; ++k)
        lasso << centre + QPointF(r * std::cos(k * 2 * M_PI / 64), r * std::sin(k * 2 * M_PI / 64));
    QElapsedTimer timer;
    timer.start();
    map.selectInPolygon(lasso);
    map.repaint();
    const double ms = timer.nsecsElapsed() / 1e6;
    *selected = int(map.selection().size());
    map.clearSelection();
    return ms;
}

}  // namespace

RenderBenchResult runRenderBench(int n, QTextStream &out, QSize size)
{
    MapView map;
    map.setThumbnailSource(syntheticThumbnail);
    map.resize(size);
    map.show();
    QCoreApplication::processEvents();
    const qint64 before = residentBytes();
    QList<MapPoint> points = syntheticPoints(n);
    const qint64 withPoints = residentBytes();
    QElapsedTimer setup;
    setup.start();
    map.setPoints(std::move(points));
    map.fitToView();
    map.repaint();   // builds the grid, the dot data and (for many points) the density layer
    const double firstPaintMs = setup.nsecsElapsed() / 1e6;
    const qint64 after = residentBytes();
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
    // Hover and lasso at fit-to-window (every point on screen) and zoomed in among thumbnails.
    QRandomGenerator rng(11);
    int lassoed[2] = {0, 0};
    map.fitToView();
    QCoreApplication::processEvents();
    std::vector<double> hover = hoverTimes(map, 100, rng);
    const double lassoOut = lassoTime(map, &lassoed[0]);
    map.setView(deepZoom, map.centre());
    QCoreApplication::processEvents();
    const std::vector<double> hoverIn = hoverTimes(map, 100, rng);
    hover.insert(hover.end(), hoverIn.begin(), hoverIn.end());
    const double lassoDeep = lassoTime(map, &lassoed[1]);

    RenderBenchResult r;
    r.frames = int(ms.size());
    r.hoverP95Ms = percentile(hover, 0.95);
    r.lassoMs = std::max(lassoOut, lassoDeep);
    r.bytesPerPoint = n > 0 && after > before ? double(after - before) / n : 0;
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
    out << u"hover (tooltip event, 200 positions, zoomed out and in): p50 %1  p95 %2  max %3\n"_qs
               .arg(percentile(hover, 0.5), 0, 'f', 2).arg(r.hoverP95Ms, 0, 'f', 2).arg(*std::max_element(hover.begin(), hover.end()), 0, 'f', 2);
    out << u"lasso (64 vertices, select + repaint): zoomed out %1 ms (%2 points), zoomed in %3 ms (%4 points)\n"_qs
               .arg(lassoOut, 0, 'f', 1).arg(lassoed[0]).arg(lassoDeep, 0, 'f', 1).arg(lassoed[1]);
    out << u"memory: %1 MB resident, %2 bytes per point: the point records and their strings %3, the map's structures %4 "
           "(grid, dot data, density layer); setPoints + first paint %5 ms\n"_qs
               .arg(double(after - before) / 1e6, 0, 'f', 0).arg(r.bytesPerPoint, 0, 'f', 0)
               .arg(n > 0 ? double(withPoints - before) / n : 0, 0, 'f', 0).arg(n > 0 ? double(after - withPoints) / n : 0, 0, 'f', 0)
               .arg(firstPaintMs, 0, 'f', 0);
    out.flush();
    return r;
}

}  // namespace cospace
