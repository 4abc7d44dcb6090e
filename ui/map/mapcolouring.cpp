#include "ui/map/mapcolouring.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QRandomGenerator>

#include <algorithm>
#include <cmath>
#include <limits>

namespace cospace {

namespace {

// Tableau 10 (Tableau's default categorical palette, also matplotlib's "tab10").
constexpr QRgb kTableau10[] = {0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f,
                               0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac};
// Viridis at 9 evenly spaced stops (matplotlib's perceptually uniform ramp; colour-blind safe).
constexpr QRgb kViridis[] = {0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c,
                             0x28ae80, 0x5ec962, 0xaddc30, 0xfde725};
const QColor kUnassigned(150, 150, 150);

QColor viridis(double t)
{
    constexpr int n = int(std::size(kViridis));
    t = std::clamp(t, 0.0, 1.0) * (n - 1);
    const int i = std::min(n - 2, int(t));
    const double f = t - i;
    const QColor a = QColor::fromRgb(kViridis[i]), b = QColor::fromRgb(kViridis[i + 1]);
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * f), float(a.greenF() + (b.greenF() - a.greenF()) * f),
                            float(a.blueF() + (b.blueF() - a.blueF()) * f));
}

double squaredDistance(QPointF a, QPointF b)
{
    const QPointF d = a - b;
    return d.x() * d.x() + d.y() * d.y();
}

// k-means++ (Arthur & Vassilvitskii 2007): each next centre drawn with probability ~ D(x)^2.
QList<QPointF> seedCentres(const QList<QPointF> &x, int k, QRandomGenerator &rng)
{
    QList<QPointF> centres{x[int(rng.bounded(int(x.size())))]};
    std::vector<double> d2(std::size_t(x.size()), std::numeric_limits<double>::max());
    while (centres.size() < k) {
        double total = 0;
        for (int i = 0; i < x.size(); ++i) {
            d2[std::size_t(i)] = std::min(d2[std::size_t(i)], squaredDistance(x[i], centres.last()));
            total += d2[std::size_t(i)];
        }
        if (total <= 0)
            break;   // fewer distinct positions than k
        double r = rng.generateDouble() * total;
        int pick = int(x.size()) - 1;
        for (int i = 0; i < x.size(); ++i)
            if ((r -= d2[std::size_t(i)]) <= 0) {
                pick = i;
                break;
            }
        centres << x[pick];
    }
    return centres;
}

}  // namespace

QString colourByKey(ColourBy by) { return kColourByNames.name(by); }

ColourBy colourByFromKey(const QString &key) { return kColourByNames.parse(key).value_or(ColourBy::Modality); }

QColor categoryColour(int index)
{
    constexpr int n = int(std::size(kTableau10));
    const QColor base = QColor::fromRgb(kTableau10[index % n]);
    return (index / n) % 2 ? base.lighter(135) : base;
}

MapColouring colourByFolder(const QList<MapPoint> &points, const QStringList &folders)
{
    MapColouring c;
    c.title = QObject::tr("Folder");
    QHash<QString, int> category;
    auto folderOf = [&](const QString &path) {
        for (const QString &root : folders) {
            const QString r = QDir::cleanPath(root);
            if (path.startsWith(r + u'/'))
                return r;
        }
        return QFileInfo(path).absolutePath();
    };
    QList<int> ofPoint(points.size(), -1);
    for (int i = 0; i < points.size(); ++i) {
        if (points[i].kind != MapPoint::Image)
            continue;
        const QString folder = folderOf(points[i].path);
        auto it = category.constFind(folder);
        if (it == category.constEnd()) {
            it = category.insert(folder, int(category.size()));
            c.legend.append({categoryColour(*it), QFileInfo(folder).fileName().isEmpty() ? folder : QFileInfo(folder).fileName()});
        }
        ofPoint[i] = *it;
    }
    bool unassigned = false;
    for (int i = 0; i < points.size(); ++i) {
        int cat = ofPoint[i];
        if (points[i].kind == MapPoint::Caption && points[i].partner >= 0 && points[i].partner < points.size())
            cat = ofPoint[points[i].partner];
        unassigned |= cat < 0;
        c.colours << (cat < 0 ? kUnassigned : categoryColour(cat)).rgba();
    }
    if (unassigned)
        c.legend.append({kUnassigned, QObject::tr("typed / unpaired captions")});
    return c;
}

QList<int> kMeans2D(const QList<QPointF> &x, int k, quint64 seed, int maxIterations)
{
    if (x.size() < 2)
        return QList<int>(x.size(), 0);
    if (k <= 0)
        k = std::clamp(int(std::lround(std::sqrt(x.size() / 20.0))), 2, 10);
    k = std::min<int>(k, int(x.size()));
    QRandomGenerator rng{quint32(seed)};
    QList<QPointF> centres = seedCentres(x, k, rng);
    QList<int> label(x.size(), -1);
    for (int iteration = 0; iteration < maxIterations; ++iteration) {
        bool changed = false;
        for (int i = 0; i < x.size(); ++i) {
            int best = 0;
            for (int c = 1; c < centres.size(); ++c)
                if (squaredDistance(x[i], centres[c]) < squaredDistance(x[i], centres[best]))
                    best = c;
            changed |= std::exchange(label[i], best) != best;
        }
        if (!changed)
            break;
        QList<QPointF> sum(centres.size());
        QList<int> count(centres.size(), 0);
        for (int i = 0; i < x.size(); ++i) {
            sum[label[i]] += x[i];
            ++count[label[i]];
        }
        for (int c = 0; c < centres.size(); ++c)
            if (count[c] > 0)
                centres[c] = sum[c] / count[c];   // an emptied cluster keeps its centre
    }
    return label;
}

MapColouring colourByCluster(const QList<MapPoint> &points, int k, quint64 seed)
{
    QList<QPointF> positions;
    positions.reserve(points.size());
    for (const MapPoint &p : points)
        positions << p.pos;
    const QList<int> label = kMeans2D(positions, k, seed);
    MapColouring c;
    c.title = QObject::tr("Cluster (k-means on the map)");
    const int clusters = label.isEmpty() ? 0 : *std::max_element(label.begin(), label.end()) + 1;
    QList<int> size(clusters, 0);
    for (int l : label) {
        c.colours << categoryColour(l).rgba();
        ++size[l];
    }
    for (int l = 0; l < clusters; ++l)
        c.legend.append({categoryColour(l), QObject::tr("cluster %1 · %2").arg(l + 1).arg(size[l])});
    return c;
}

MapColouring colourBySimilarity(const QList<float> &scores, const QString &query)
{
    MapColouring c;
    c.title = QObject::tr("Similarity to “%1”").arg(query.size() > 28 ? query.left(27) + u'…' : query);
    if (scores.isEmpty())
        return c;
    const auto [lo, hi] = std::minmax_element(scores.begin(), scores.end());
    const double range = std::max(1e-6, double(*hi - *lo));
    for (float s : scores)
        c.colours << viridis((s - *lo) / range).rgba();
    for (int i = 0; i < int(std::size(kViridis)); ++i)
        c.rampStops << QColor::fromRgb(kViridis[i]);
    c.rampLow = QString::number(*lo, 'f', 2);
    c.rampHigh = QString::number(*hi, 'f', 2);
    return c;
}

}  // namespace cospace
