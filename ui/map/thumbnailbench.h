#pragma once
// `cospace --bench-thumbnails DIR`: time to the first full screen of thumbnails when a folder of
// photos is reopened. The folder's images (core/data/dataset.h scan) are laid out as the gallery
// the window shows before a projection is ready (about sqrt(N) columns), in a 1280 x 800 map at
// fit-to-window; the clock runs from showing the points until every image drawn has its picture
// (MapView::lastPaint().missing == 0). Thumbnails come from core/data/thumbnails.h, so a first
// run decodes every photo and writes the desktop's thumbnails (cold), a second run reads them
// (warm); run it with a fresh XDG_CACHE_HOME for a cold start (bench/thumbnails/run.sh).
// A benchmark, not a test. GUI thread; needs a QApplication.

#include <QSize>
#include <QString>
#include <QTextStream>

namespace cospace {

struct ThumbnailBenchResult {
    int images = 0;          // in the folder
    int onScreen = 0;        // drawn at the first full screen
    double seconds = -1;     // to the first full screen; -1 when the time limit was reached
    double pixels = 0;       // thumbnail size on screen
};

ThumbnailBenchResult runThumbnailBench(const QString &folder, QTextStream &out, QSize size = QSize(1280, 800),
                                       double timeLimitSeconds = 1800);

}  // namespace cospace
