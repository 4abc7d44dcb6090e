#pragma once
// `cospace --bench-render N`: how smoothly the map draws N points. Builds N synthetic points in
// clusters (a fifth of them captions; thumbnails are generated QImages, no disk), drives a scripted
// pan and zoom (zoomed out, zooming in past the thumbnail threshold, panning among thumbnails,
// zooming out again), times each synchronous repaint and prints frame-time p50/p95/max in ms; then
// hover (tooltip events at random positions) and a lasso selection, and the memory per point.
// A benchmark, not a test: it never fails on time. GUI thread; needs a QApplication.

#include <QSize>
#include <QTextStream>

namespace cospace {

struct RenderBenchResult {
    int frames = 0;
    double p50Ms = 0, p95Ms = 0, maxMs = 0;
    double hoverP95Ms = 0;      // tooltip events
    double lassoMs = 0;         // the slower of a lasso zoomed out and zoomed in
    double bytesPerPoint = 0;   // resident memory added by the points and the map (0 if unknown)
};

// Runs the benchmark and writes the report to `out`. `size` is the map's size in pixels.
RenderBenchResult runRenderBench(int points, QTextStream &out, QSize size = QSize(1280, 800));

}  // namespace cospace
