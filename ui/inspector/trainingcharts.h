#pragma once
// The training dashboard: one Qt Charts chart per quantity of a run folder, redrawn from a RunFolder
// whenever it grows. Loss and temperature are plotted against the optimizer step (the step log every
// few steps, and the per-epoch values at the epoch's last step); retrieval and geometry metrics of the
// validation split against the epoch. Hovering a line shows the nearest point's value; "Log scale"
// switches the value axes of charts whose values are all positive; PNG and CSV export.
//
// Series are named "Chart/series" ("Recall@K/text→image R@1"); points() returns what is plotted,
// so tests can compare two dashboards. GUI thread only.

#include <QList>
#include <QPointF>
#include <QWidget>

class QCheckBox;
class QChart;
class QChartView;
class QLineSeries;

namespace cospace {

class RunFolder;

class TrainingCharts : public QWidget
{
    Q_OBJECT
public:
    explicit TrainingCharts(QWidget *parent = nullptr);

    void setRun(const RunFolder &run);   // replaces every series' points
    void clear();

    QStringList seriesNames() const;
    QList<QPointF> points(const QString &name) const;
    int chartCount() const { return int(m_charts.size()); }

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
    struct Chart {
        QString title;
        QChartView *view = nullptr;
        QList<QLineSeries *> series;
        QStringList keys;   // one per series: what it reads (see trainingcharts.cpp)
    };
    void buildCharts();
    void updateAxes(Chart &chart);
    void showHover(QLineSeries *series, QPointF point, bool state);

    QList<Chart> m_charts;
    QCheckBox *m_logBox = nullptr;
    bool m_log = false;
};

}  // namespace cospace
