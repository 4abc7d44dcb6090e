#include "ui/inspector/inspectorvalues.h"

#include "ui/inspector/trainingcharts.h"
#include "ui/inspector/traininginspector.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include <algorithm>

namespace cospace {

QJsonObject inspectorValues(const TrainingInspector &w)
{
    const RunFolder &run = w.run();
    QJsonObject charts;
    for (const QString &name : w.charts()->seriesNames()) {
        QJsonArray points;
        for (const QPointF &p : w.charts()->points(name))
            points.append(QJsonArray{p.x(), p.y()});
        charts.insert(name, points);
    }
    QJsonArray layouts;
    const EpochSpace *shown = nullptr;
    for (int i = 0; i < w.spaceCount(); ++i) {
        layouts.append(w.space(i).epoch);
        if (w.space(i).epoch == w.currentEpoch())
            shown = &w.space(i);
    }
    QJsonObject probe;
    if (shown) {
        const std::vector<int> &ranks = shown->analysis.captionRank;
        probe = {{u"pairs"_qs, shown->analysis.pairs},
                 {u"rank1"_qs, int(std::count(ranks.begin(), ranks.end(), 1))},
                 {u"metrics"_qs, shown->analysis.metrics.toJson()}};
    }
    return {{u"run"_qs, run.dir()},
            {u"written_outside_cospace"_qs, run.writtenOutsideCospace()},
            {u"epochs"_qs, int(run.epochs().size())},
            {u"planned_epochs"_qs, run.plannedEpochs()},
            {u"following"_qs, w.isFollowing()},
            {u"status"_qs, w.statusText()},
            {u"epoch_label"_qs, w.epochText()},
            {u"layout_epochs"_qs, layouts},
            {u"shown_epoch"_qs, w.currentEpoch()},
            {u"charts"_qs, charts},
            {u"probe"_qs, probe}};
}

bool writeInspectorValues(const TrainingInspector &inspector, const QString &path, QString *error)
{
    QSaveFile file(path);
    const bool ok = file.open(QIODevice::WriteOnly)
                    && file.write(QJsonDocument(inspectorValues(inspector)).toJson()) >= 0 && file.commit();
    if (!ok && error)
        *error = u"%1: could not write the inspector's values (%2)"_qs.arg(path, file.errorString());
    return ok;
}

}  // namespace cospace
