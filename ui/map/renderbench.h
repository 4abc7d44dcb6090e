#pragma once
// `cospace --bench-render N`: how smoothly the map draws N points. Builds N synthetic points in
// clusters (a fifth of them captions; thumbnails are generated QImages, no disk), drives a scripted
// pan and zoom (zoomed out, zooming in past the thumbnail threshold, panning among thumbnails,
// zooming out again), times each synchronous repaint and prints frame-time p50/p95/max in ms.
// A benchmark, not a test: it never fails on time. GUI thread; needs a QApplication.

#include <QSize>
#include <QTextStream>

namespace cospace {

struct RenderBenchResult {
    int frames = 0;
    double p50Ms = 0, p95Ms = 0, maxMs = 0;
};

// Runs the benchmark and writes the report to `out`. `size` is the map's size in pixels.
RenderBenchResult runRenderBench(int points, QTextStream &out, QSize size = QSize(1280, 800));

}  // namespace cospace
