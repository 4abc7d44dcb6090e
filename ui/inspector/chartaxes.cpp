#include "ui/inspector/chartaxes.h"

#include <algorithm>
#include <cmath>

namespace cospace {

namespace {

// The smallest nice step >= raw: 1, 2, 2.5, 5 (or, for integers, 1, 2, 5) times a power of ten.
double niceStep(double raw, bool integer)
{
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / power;   // in [1, 10)
    static const double kReal[] = {1, 2, 2.5, 5, 10};
    static const double kInteger[] = {1, 2, 5, 10};
    const double *first = integer ? std::begin(kInteger) : std::begin(kReal);
    const double *last = integer ? std::end(kInteger) : std::end(kReal);
    const double *nice = std::find_if(first, last, [&](double n) { return fraction <= n * (1 + 1e-9); });
    const double step = (nice == last ? 10.0 : *nice) * power;
    return integer ? std::max(1.0, std::round(step)) : step;
}

// Snaps v to a whole multiple of step when it is one up to rounding (0.30000000000000004 -> 0.3).
double snap(double v, double step)
{
    const double k = std::round(v / step);
    return std::abs(v / step - k) < 1e-9 ? k * step : v;
}

}  // namespace

AxisTicks niceTicks(double lo, double hi, int maxTicks, bool integer)
{
    maxTicks = std::max(2, maxTicks);
    if (!std::isfinite(lo) || !std::isfinite(hi))
        return {};
    if (hi < lo)
        std::swap(lo, hi);
    if (hi - lo <= std::max(std::abs(lo), std::abs(hi)) * 1e-12) {
        // One value: a little room on both sides (an epoch axis with one epoch shows 0 to 2).
        const double half = integer ? 1.0 : (lo == 0 ? 1.0 : std::abs(lo) * 0.1);
        lo -= half;
        hi += half;
    }
    AxisTicks t;
    double step = niceStep((hi - lo) / (maxTicks - 1), integer);
    for (int attempt = 0; attempt < 8; ++attempt) {   // extending outward can need one more tick
        t.step = step;
        t.min = snap(std::floor(lo / step + 1e-9) * step, step);
        t.max = snap(std::ceil(hi / step - 1e-9) * step, step);
        t.count = int(std::lround((t.max - t.min) / step)) + 1;
        if (t.count <= maxTicks)
            break;
        step = niceStep(step * 1.000001, integer);
    }
    return t;
}

QString tickLabelFormat(const AxisTicks &ticks)
{
    int decimals = 0;
    while (decimals < 8) {
        const double scaled = ticks.step * std::pow(10.0, decimals);
        if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled))
            break;
        ++decimals;
    }
    return u"%.%1f"_qs.arg(decimals);
}

}  // namespace cospace
