#pragma once
// The training dashboard: one Qt Charts chart per quantity of a run folder, redrawn from a RunFolder
// whenever it grows. Loss and temperature are plotted against the optimizer step (the step log every
// few steps, and the per-epoch values at the epoch's last step); retrieval and geometry metrics against
// the epoch. Any other numeric key the loop logged (RunFolder::extraStepKeys / extraEpochKeys) gets a
// chart of its own, titled by the key: against the step when steps.jsonl has it (with the epochs'
// values at their last step), else against the epoch.
//
// Axes: ticks at round numbers (chartaxes.h), epochs at whole numbers, recall on a fixed [0, 1] (as
// are the loop's own fractions: keys such as "accuracy" or "val_R@1" whose values all lie in [0, 1]).
// The six recall series: colour per K, solid image→text, dashed text→image (legend markers show the
// line). Hovering a line shows the nearest point's value; "Log scale" switches the value axes of charts
// whose values are all positive; PNG and CSV export.
//
// Series are named "Chart/series" ("Recall@K/t→i R@1"); points() returns what is plotted,
// so tests can compare two dashboards. GUI thread only.

#include "ui/inspector/chartaxes.h"

#include <QList>
#include <QPen>
#include <QPointF>
#include <QWidget>

class QCheckBox;
class QChart;
class QChartView;
class QGridLayout;
class QLineSeries;
class QScrollArea;

namespace cospace {

class RunFolder;

class TrainingCharts : public QWidget
{
    Q_OBJECT
public:
    explicit TrainingCharts(QWidget *parent = nullptr);

    void setRun(const RunFolder &run);   // replaces every series' points; adds charts for new keys
    void clear();                        // empties the charts and drops those of the loop's own keys

    QStringList seriesNames() const;
    QList<QPointF> points(const QString &name) const;
    int chartCount() const { return int(m_charts.size()); }
    QStringList chartTitles() const;
    // The linear value (Qt::Vertical) or x (Qt::Horizontal) axis of a chart as drawn: range, step and
    // tick count; {} for a log axis or an unknown title.
    AxisTicks axisTicks(const QString &title, Qt::Orientation orientation) const;
    QPen seriesPen(const QString &name) const;   // colour and line style of a series ("Chart/series")

    void setLogScale(bool on);
    bool logScale() const { return m_log; }
    // Whether the chart with this title currently has a logarithmic value axis.
    bool chartIsLog(const QString &title) const;
    // "chart,series,x,y" rows, one per plotted point.
    QString toCsv() const;
    bool exportCsv(const QString &path) const;
    bool exportPng(const QString &path);   // the charts as shown
    void exportInteractively();            // asks for a file (.png or .csv)

private:
    enum class Range { Auto, Unit };       // Unit: a fraction, drawn on [0, 1]
    struct SeriesStyle {
        QString name, key;                 // key: what it reads (see trainingcharts.cpp)
        QColor colour;
        Qt::PenStyle style = Qt::SolidLine;
        bool thin = false;                 // the step log: many points, drawn thin without markers
    };
    struct Chart {
        QString title;
        QChartView *view = nullptr;
        QList<QLineSeries *> series;
        QStringList keys;
        Range range = Range::Auto;
        bool integerX = false;             // epochs
        bool extra = false;                // a chart of the loop's own key
    };
    void addChart(const QString &title, const QString &xTitle, const QList<SeriesStyle> &series, Range range);
    void addExtraCharts(const RunFolder &run);
    void placeCharts();
    void updateAxes(Chart &chart);
    void showHover(QLineSeries *series, QPointF point, bool state);
    const Chart *chart(const QString &title) const;

    QList<Chart> m_charts;
    QScrollArea *m_scroll = nullptr;
    QGridLayout *m_grid = nullptr;
    QCheckBox *m_logBox = nullptr;
    bool m_log = false;
};

}  // namespace cospace
