#include "ui/map/thumbnailbench.h"

#include "core/data/dataset.h"
#include "ui/map/mapview.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QThreadPool>

#include <cmath>

namespace cospace {

ThumbnailBenchResult runThumbnailBench(const QString &folder, QTextStream &out, QSize size, double timeLimitSeconds)
{
    ThumbnailBenchResult r;
    const ImageScan scan = scanImages(folder);
    r.images = int(scan.images.size());
    QList<MapPoint> points;
    const int columns = std::max(1, int(std::ceil(std::sqrt(double(r.images)))));
    for (int i = 0; i < r.images; ++i)
        points.append({MapPoint::Image, QPointF(i % columns, i / columns), scan.images[i], QFileInfo(scan.images[i]).fileName()});
    MapView map;
    map.resize(size);
    map.show();
    QElapsedTimer clock;
    clock.start();
    map.setPoints(points);
    map.fitToView();
    int lastReport = -1;
    for (;;) {
        map.grab();      // paints now, exposed or not (offscreen): lastPaint() describes this frame
        const MapView::PaintStats stats = map.lastPaint();
        const double t = clock.nsecsElapsed() * 1e-9;
        if (!stats.thumbnails) {
            out << "the map shows dots, not thumbnails, at fit-to-window: nothing to time\n";
            break;
        }
        if (stats.missing == 0) {
            r.onScreen = stats.images;
            r.seconds = t;
            r.pixels = stats.imagePixels;
            break;
        }
        if (t > timeLimitSeconds) {
            r.onScreen = stats.images;
            out << "time limit reached with " << stats.missing << " of " << stats.images << " thumbnails missing\n";
            break;
        }
        if (int(t) / 10 != lastReport) {
            lastReport = int(t) / 10;
            out << QString::asprintf("  %6.1f s: %d of %d thumbnails\n", t, stats.images - stats.missing, stats.images);
            out.flush();
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        QThreadPool::globalInstance()->waitForDone(20);   // let loads land between frames
    }
    if (r.seconds >= 0)
        out << QString::asprintf("%d images, %d thumbnails of %.0f px on a %dx%d map: first full screen in %.2f s\n", r.images,
                                 r.onScreen, r.pixels, size.width(), size.height(), r.seconds);
    out.flush();
    return r;
}

}  // namespace cospace
