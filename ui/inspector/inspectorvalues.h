#pragma once
// What the training inspector shows, as JSON: what a test or a script compares with what the run's
// writer logged (`cospace --run RUN --screenshot OUT.png --values OUT.json`).
//
//   {"run": DIR, "written_outside_cospace": bool, "epochs": N, "planned_epochs": N, "following": bool,
//    "status": "...", "epoch_label": "...", "layout_epochs": [1, 2, ...], "shown_epoch": N,
//    "charts": {"Recall@K/t→i R@1": [[x, y], ...], ...},     every dashboard series (TrainingCharts)
//    "probe": {"pairs": P, "rank1": n, "metrics": {...}}}    the shown epoch's probe analysis
//
// Numbers are the plotted doubles (JSON keeps them exactly). GUI thread only.

#include <QJsonObject>
#include <QString>

namespace cospace {

class TrainingInspector;

QJsonObject inspectorValues(const TrainingInspector &inspector);
// Writes inspectorValues() to path (atomically); false with *error naming the file on failure.
bool writeInspectorValues(const TrainingInspector &inspector, const QString &path, QString *error = nullptr);

}  // namespace cospace
