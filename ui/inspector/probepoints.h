#pragma once
// The probe set of a run as map points: P images, then P captions, caption i paired with image i
// (its pair line green where that image ranks first for the caption). Shared by the inspector's map
// and the comparison maps.

#include "core/train/probeanalysis.h"
#include "core/train/runfolder.h"
#include "ui/map/mapview.h"

#include <QFileInfo>

namespace cospace {

inline QList<MapPoint> probeMapPoints(const Matrix &layout, const QList<ProbePair> &pairs, const ProbeAnalysis &analysis)
{
    QList<MapPoint> points;
    const int p = layout.rows / 2;
    for (int i = 0; i < layout.rows; ++i) {
        MapPoint m;
        m.pos = QPointF(layout.at(i, 0), layout.at(i, 1));
        const ProbePair pair = pairs.value(i % p);
        if (i < p) {
            m.kind = MapPoint::Image;
            m.path = pair.preview.isEmpty() ? pair.image : pair.preview;
            m.text = QFileInfo(pair.image).fileName();
        } else {
            m.kind = MapPoint::Caption;
            m.text = pair.caption;
            m.partner = i - p;
            m.rankOne = std::size_t(i - p) < analysis.captionRank.size() && analysis.captionRank[std::size_t(i - p)] == 1;
        }
        points << m;
    }
    return points;
}

}  // namespace cospace
