#pragma once
// Test helpers: run folders laid out as python/cospace_runlog writes them (writer.py), made in C++ so
// GUI tests need no Python: the config marker, pairs.tsv naming images that are not on this machine
// with their thumbnails, and per epoch the .npy, then its metrics line ("metrics_on": "probe") with
// the loop's own scalars. Seeded probe embeddings whose pairs draw together as `align` grows.

#include "core/base/npy.h"
#include "core/train/probeanalysis.h"
#include "core/train/runfolder.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QTest>

#include <cmath>
#include <random>

namespace cospace {

// P images then P captions, unit rows, caption i near image i (the nearer the larger `align`), seeded.
inline Matrix probeEmbeddings(int p, int d, double align, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    Matrix m(2 * p, d);
    for (int i = 0; i < p; ++i)
        for (int j = 0; j < d; ++j) {
            const float shared = normal(rng);
            m.at(i, j) = float(align) * shared + normal(rng);
            m.at(p + i, j) = float(align) * shared + normal(rng);
        }
    for (int r = 0; r < m.rows; ++r) {
        double n = 0;
        for (int j = 0; j < d; ++j)
            n += double(m.at(r, j)) * m.at(r, j);
        for (int j = 0; j < d; ++j)
            m.at(r, j) = float(m.at(r, j) / std::sqrt(n));
    }
    return m;
}

inline void appendLine(const QString &path, const QJsonObject &line)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Append));
    f.write(QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n');
}

inline void writeRunlogStart(const QString &run, const QList<ProbePair> &pairs, int planned)
{
    QVERIFY(QDir().mkpath(run + u"/probe/thumbs"_qs));
    QFile config(run + u"/config.json"_qs);
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(QJsonDocument(QJsonObject{{u"epochs"_qs, planned}, {u"lr"_qs, 0.002},
        {u"cospace_runlog"_qs, QJsonObject{{u"version"_qs, u"0.1.0"_qs}, {u"epochs"_qs, planned}}}}).toJson());
    QFile tsv(run + u"/probe/pairs.tsv"_qs);
    QVERIFY(tsv.open(QIODevice::WriteOnly));
    tsv.write("image\tcaption\n");
    for (int i = 0; i < pairs.size(); ++i) {
        tsv.write(pairs[i].image.toUtf8() + '\t' + pairs[i].caption.toUtf8() + '\n');
        QImage thumb(16, 16, QImage::Format_RGB32);
        thumb.fill(QColor::fromHsv(i * 29 % 360, 200, 220));
        QVERIFY(thumb.save(run + u"/probe/thumbs/%1.png"_qs.arg(i, 4, 10, QLatin1Char('0'))));
    }
}

inline void writeRunlogEpoch(const QString &run, int epoch, int planned, const Matrix &probe, const QList<ProbePair> &pairs,
                      const QJsonObject &scalars)
{
    writeNpy(run + u"/probe/epoch-%1.npy"_qs.arg(epoch, 3, 10, QLatin1Char('0')), probe);
    QJsonObject line = analyseProbe(probe, pairs).metrics.toJson();
    line.insert(u"metrics_on"_qs, u"probe"_qs);
    for (const auto &[key, value] : std::initializer_list<std::pair<QString, QJsonValue>>{
             {u"epoch"_qs, epoch}, {u"epochs"_qs, planned}, {u"step"_qs, 20 * epoch}, {u"train_loss"_qs, 3.0 / epoch},
             {u"val_loss"_qs, QJsonValue::Null}, {u"temperature"_qs, 0.07}, {u"best"_qs, true}})
        line.insert(key, value);
    for (auto it = scalars.begin(); it != scalars.end(); ++it)
        line.insert(it.key(), it.value());
    appendLine(run + u"/metrics.jsonl"_qs, line);
}

// v is a whole multiple of step (up to rounding).
inline bool isRound(double value, double step) { return std::abs(value / step - std::round(value / step)) < 1e-6; }

}  // namespace cospace
