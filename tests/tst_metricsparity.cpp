// Parity of the retrieval metrics between the Python run writer (python/cospace_runlog,
// retrieval_metrics: what a PyTorch loop logs into metrics.jsonl) and the C++ core
// (core/eval/metrics.h: what `cospace-cli eval` prints and the inspector computes on probe pairs).
// tests/fixtures/metrics_parity.py (a CTest fixture) writes float32 embedding sets — the hand-worked
// cases of python/tests/data/metrics_cases.json, then seeded random sets full of ties, with more rows
// than one similarity block and than the uniformity sample — with Python's numbers. Here the C++
// functions run on the same .npy files: ranks, recalls, median and mean ranks and RSUM must be
// identical; the geometry (float32 sums in another order) equal to 1e-6, uniformity to 1e-5.

#include "core/base/npy.h"
#include "core/eval/metrics.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace cospace;

namespace {

constexpr double kGeometryTolerance = 1e-6;     // float32 sums of up to 4096^2 terms in another order
// Uniformity sums exp(-2 d^2) over all n^2 pairs in float32, the n diagonal ones included, then
// subtracts n: on the tiny hand-worked sets (n = 3, sum ~ 3.1) that cancellation leaves ~1e-6 of the
// ratio to rounding, which LibTorch and NumPy round differently (measured: 4.3e-6 on "perfect").
constexpr double kUniformityTolerance = 1e-5;

QJsonObject manifest()
{
    QFile f(QStringLiteral(COSPACE_PARITY_DIR "/manifest.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

std::vector<int> ints(const QJsonValue &v)
{
    std::vector<int> out;
    for (const QJsonValue &x : v.toArray())
        out.push_back(x.toInt());
    return out;
}

// caption_ids may be ints or strings (cospace_runlog accepts any hashable): equal values, equal ids.
std::vector<int> captionTextIds(const QJsonValue &v)
{
    if (!v.isArray())
        return {};
    QStringList keys;
    for (const QJsonValue &x : v.toArray())
        keys << (x.isString() ? u"s:"_qs + x.toString() : u"n:"_qs + QString::number(x.toDouble(), 'g', 17));
    return textIds(keys);
}

}  // namespace

class TestMetricsParity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sameNumbers_data();
    void sameNumbers();
};

void TestMetricsParity::sameNumbers_data()
{
    QTest::addColumn<QJsonObject>("entry");
    const QJsonArray cases = manifest().value(u"cases"_qs).toArray();
    QVERIFY2(cases.size() >= 9, "run the metrics_parity_fixture test first (ctest -R metrics_parity)");
    for (const QJsonValue &c : cases)
        QTest::newRow(qPrintable(c.toObject().value(u"name"_qs).toString())) << c.toObject();
}

void TestMetricsParity::sameNumbers()
{
    QFETCH(QJsonObject, entry);
    const QString dir = QStringLiteral(COSPACE_PARITY_DIR) + u'/';
    const Matrix images = readNpy(dir + entry.value(u"images"_qs).toString());
    const Matrix captions = readNpy(dir + entry.value(u"captions"_qs).toString());
    const std::vector<int> owner = ints(entry.value(u"image_ids"_qs));
    const std::vector<int> texts = captionTextIds(entry.value(u"caption_ids"_qs));

    const std::vector<int> i2t = imageToTextRanks(images, captions, owner, texts);
    const std::vector<int> t2i = textToImageRanks(images, captions, owner, texts);
    // Python reports image->text ranks only for images with a caption (0 for the others).
    std::vector<int> i2tPython = ints(entry.value(u"i2t_ranks"_qs));
    std::erase(i2tPython, 0);
    std::vector<int> i2tCpp = i2t;
    std::erase(i2tCpp, 0);
    QCOMPARE(i2tCpp, i2tPython);
    QCOMPARE(t2i, ints(entry.value(u"t2i_ranks"_qs)));
    if (entry.contains(u"expected_t2i_ranks"_qs)) {   // and both equal the ranks worked out by hand
        QCOMPARE(i2tCpp, ints(entry.value(u"expected_i2t_ranks"_qs)));
        QCOMPARE(t2i, ints(entry.value(u"expected_t2i_ranks"_qs)));
    }

    const QJsonObject cpp = computeRetrievalMetrics(images, captions, owner, texts).toJson();
    const QJsonObject py = entry.value(u"python"_qs).toObject();
    for (const char *key : {"n_images", "n_captions", "rsum"})
        QCOMPARE(cpp.value(QLatin1String(key)).toDouble(), py.value(QLatin1String(key)).toDouble());
    for (const char *direction : {"i2t", "t2i"})
        for (const char *key : {"R@1", "R@5", "R@10", "median_rank", "mean_rank"}) {
            const double c = cpp.value(QLatin1String(direction)).toObject().value(QLatin1String(key)).toDouble();
            const double p = py.value(QLatin1String(direction)).toObject().value(QLatin1String(key)).toDouble();
            QVERIFY2(c == p, qPrintable(u"%1/%2: C++ %3, Python %4"_qs.arg(QLatin1String(direction), QLatin1String(key))
                                            .arg(c, 0, 'g', 17).arg(p, 0, 'g', 17)));
        }
    for (const char *key : {"alignment", "uniformity", "modality_gap", "cos_matched", "cos_random"}) {
        const double c = cpp.value(QLatin1String(key)).toDouble(), p = py.value(QLatin1String(key)).toDouble();
        const double tolerance = qstrcmp(key, "uniformity") == 0 ? kUniformityTolerance : kGeometryTolerance;
        QVERIFY2(std::abs(c - p) <= tolerance,
                 qPrintable(u"%1: C++ %2, Python %3"_qs.arg(QLatin1String(key)).arg(c, 0, 'g', 17).arg(p, 0, 'g', 17)));
    }
}

QTEST_GUILESS_MAIN(TestMetricsParity)
#include "tst_metricsparity.moc"
