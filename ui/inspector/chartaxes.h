#pragma once
// Round-number axis ticks for the training dashboard ("nice numbers", Heckbert, Graphics Gems 1990):
// a tick step of 1, 2, 2.5 or 5 times a power of ten, the axis extended outward to whole steps, so
// labels read 0, 0.5, 1, 1.5 … instead of 0.649, 1.66, 2.67. Integer axes (epochs) use steps of 1, 2
// or 5 times a power of ten, at least 1. Plain functions, no widgets; reentrant.

#include <QString>

namespace cospace {

struct AxisTicks {
    double min = 0, max = 1;   // the axis range: whole multiples of step
    double step = 0.25;
    int count = 5;             // ticks from min to max inclusive: (max - min) / step + 1
};

// Ticks covering [lo, hi] with at most maxTicks ticks (at least 2). An empty range (lo == hi) is
// widened around its value; non-finite input gives [0, 1].
AxisTicks niceTicks(double lo, double hi, int maxTicks, bool integer = false);

// A printf format for the tick labels (QValueAxis::setLabelFormat): as many decimals as the step
// needs and no more ("%.1f" for a step of 0.5, "%.0f" for 20).
QString tickLabelFormat(const AxisTicks &ticks);

}  // namespace cospace
