#include "ui/inspector/trainingcharts.h"

#include "core/train/runfolder.h"

#include <QCheckBox>
#include <QCursor>
#include <QFile>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QToolTip>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>

#include <cmath>

namespace cospace {

namespace {

// What each series reads from the run folder. "steps:F" = field F of steps.jsonl at x = step;
// "epoch@step:K" = metrics.jsonl key K at x = the epoch's last step; "epoch:K" = key K at x = epoch.
struct SeriesSpec {
    const char *name;
    const char *key;
};
struct ChartSpec {
    const char *title;
    const char *xTitle;
    QList<SeriesSpec> series;
};

const QList<ChartSpec> &chartSpecs()
{
    static const QList<ChartSpec> specs{
        {"Loss", "step", {{"train (steps)", "steps:loss"}, {"train", "epoch@step:train_loss"},
                          {"validation", "epoch@step:val_loss"}}},
        {"Temperature", "step", {{"steps", "steps:temperature"}, {"epochs", "epoch@step:temperature"}}},
        {"Recall@K", "epoch", {{"i→t R@1", "epoch:i2t/R@1"}, {"i→t R@5", "epoch:i2t/R@5"},
                               {"i→t R@10", "epoch:i2t/R@10"}, {"t→i R@1", "epoch:t2i/R@1"},
                               {"t→i R@5", "epoch:t2i/R@5"}, {"t→i R@10", "epoch:t2i/R@10"}}},
        {"Composition", "epoch", {{"colour", "epoch:composition/colour"}, {"size", "epoch:composition/size"},
                                  {"shape", "epoch:composition/shape"}, {"relation", "epoch:composition/relation"},
                                  {"order", "epoch:composition/order"}}},
        {"Median rank", "epoch", {{"i→t", "epoch:i2t/median_rank"}, {"t→i", "epoch:t2i/median_rank"}}},
        {"Modality gap", "epoch", {{"‖mean image − mean caption‖", "epoch:modality_gap"}}},
        {"Alignment", "epoch", {{"mean ‖t − i‖² of pairs", "epoch:alignment"}}},
        {"Uniformity", "epoch", {{"log mean e^(−2‖x−y‖²)", "epoch:uniformity"}}},
        {"RSUM", "epoch", {{"six recalls, %", "epoch:rsum"}}},
    };
    return specs;
}

QList<QPointF> pointsFor(const RunFolder &run, const QString &key)
{
    QList<QPointF> out;
    const qsizetype colon = key.indexOf(u':');
    const QString source = key.left(colon), field = key.mid(colon + 1);
    if (source == u"steps") {
        for (const StepRecord &s : run.steps()) {
            const double y = field == u"loss" ? s.loss : s.temperature;
            if (std::isfinite(y))
                out.append(QPointF(double(s.step), y));
        }
        return out;
    }
    for (const QJsonObject &e : run.epochs()) {
        const double y = RunFolder::value(e, field);
        const double x = source == u"epoch" ? RunFolder::value(e, u"epoch"_qs) : RunFolder::value(e, u"step"_qs);
        if (std::isfinite(x) && std::isfinite(y))
            out.append(QPointF(x, y));
    }
    return out;
}

}  // namespace

TrainingCharts::TrainingCharts(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *bar = new QHBoxLayout;
    m_logBox = new QCheckBox(tr("Log scale"), this);
    m_logBox->setToolTip(tr("Logarithmic value axes (charts with zero or negative values stay linear)"));
    connect(m_logBox, &QCheckBox::toggled, this, &TrainingCharts::setLogScale);
    auto *exportButton = new QPushButton(tr("Export…"), this);
    exportButton->setToolTip(tr("Save the charts as PNG or their points as CSV"));
    connect(exportButton, &QPushButton::clicked, this, &TrainingCharts::exportInteractively);
    bar->addWidget(m_logBox);
    bar->addStretch(1);
    bar->addWidget(exportButton);
    layout->addLayout(bar);
    auto *grid = new QGridLayout;
    grid->setSpacing(2);
    layout->addLayout(grid, 1);
    buildCharts();
    // Two columns; Recall@K, with six series, gets a row of its own.
    int cell = 0;
    for (const Chart &c : m_charts) {
        const bool wide = c.series.size() > 3;
        if (wide && cell % 2)
            ++cell;
        grid->addWidget(c.view, cell / 2, cell % 2, 1, wide ? 2 : 1);
        cell += wide ? 2 : 1;
    }
}

void TrainingCharts::buildCharts()
{
    for (const ChartSpec &spec : chartSpecs()) {
        Chart c;
        c.title = QString::fromUtf8(spec.title);
        auto *chart = new QChart;
        chart->setTitle(c.title);
        chart->setMargins(QMargins(2, 2, 2, 2));
        chart->legend()->setVisible(spec.series.size() > 1);
        chart->legend()->setAlignment(Qt::AlignBottom);
        QFont small = chart->legend()->font();
        small.setPointSizeF(small.pointSizeF() * 0.8);
        chart->legend()->setFont(small);
        auto *x = new QValueAxis;
        x->setTitleText(QString::fromUtf8(spec.xTitle));
        x->setLabelFormat(u"%.4g"_qs);
        x->setLabelsFont(small);
        chart->addAxis(x, Qt::AlignBottom);
        for (const SeriesSpec &s : spec.series) {
            auto *series = new QLineSeries;
            series->setName(QString::fromUtf8(s.name));
            series->setPointsVisible(!QByteArray(s.key).startsWith("steps:"));
            chart->addSeries(series);
            series->attachAxis(x);
            connect(series, &QLineSeries::hovered, this,
                    [this, series](const QPointF &p, bool state) { showHover(series, p, state); });
            c.series.append(series);
            c.keys.append(QString::fromUtf8(s.key));
        }
        c.view = new QChartView(chart, this);
        c.view->setRenderHint(QPainter::Antialiasing);
        c.view->setMinimumSize(260, 150);
        m_charts.append(c);
        updateAxes(m_charts.last());
    }
}

void TrainingCharts::setRun(const RunFolder &run)
{
    for (Chart &c : m_charts) {
        for (int i = 0; i < c.series.size(); ++i)
            c.series[i]->replace(pointsFor(run, c.keys[i]));
        updateAxes(c);
    }
}

void TrainingCharts::clear()
{
    for (Chart &c : m_charts) {
        for (QLineSeries *s : c.series)
            s->clear();
        updateAxes(c);
    }
}

// Fits the axes to the points; swaps the value axis between linear and log as asked and allowed.
void TrainingCharts::updateAxes(Chart &c)
{
    QChart *chart = c.view->chart();
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (QLineSeries *s : c.series)
        for (const QPointF &p : s->points()) {
            x0 = std::min(x0, p.x());
            x1 = std::max(x1, p.x());
            y0 = std::min(y0, p.y());
            y1 = std::max(y1, p.y());
        }
    const bool any = x0 <= x1;
    if (!any) {
        x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    }
    const bool log = m_log && any && y0 > 0;
    QList<QAbstractAxis *> vertical = chart->axes(Qt::Vertical);
    const bool isLog = !vertical.isEmpty() && vertical.first()->type() == QAbstractAxis::AxisTypeLogValue;
    if (vertical.isEmpty() || isLog != log) {
        for (QAbstractAxis *a : vertical) {
            chart->removeAxis(a);
            delete a;
        }
        QAbstractAxis *axis = nullptr;
        if (log) {
            auto *l = new QLogValueAxis;
            l->setLabelFormat(u"%.3g"_qs);
            axis = l;
        } else {
            auto *v = new QValueAxis;
            v->setLabelFormat(u"%.3g"_qs);
            axis = v;
        }
        axis->setLabelsFont(chart->legend()->font());
        chart->addAxis(axis, Qt::AlignLeft);
        for (QLineSeries *s : c.series)
            s->attachAxis(axis);
        vertical = {axis};
    }
    if (x1 - x0 < 1)
        x1 = x0 + 1;
    auto *x = static_cast<QValueAxis *>(chart->axes(Qt::Horizontal).first());
    x->setRange(x0, x1);
    x->applyNiceNumbers();   // ticks at round steps and epochs, not at 2.75
    if (log) {
        vertical.first()->setRange(y0 / 1.2, y1 * 1.2);
    } else {
        const double pad = y1 > y0 ? (y1 - y0) * 0.08 : std::max(1e-3, std::abs(y0) * 0.1);
        auto *y = static_cast<QValueAxis *>(vertical.first());
        y->setRange(y0 - pad, y1 + pad);
        y->setTickCount(4);   // small charts: more labels would be elided
    }
}

void TrainingCharts::setLogScale(bool on)
{
    m_log = on;
    if (m_logBox->isChecked() != on)
        m_logBox->setChecked(on);
    for (Chart &c : m_charts)
        updateAxes(c);
}

bool TrainingCharts::chartIsLog(const QString &title) const
{
    for (const Chart &c : m_charts)
        if (c.title == title) {
            const QList<QAbstractAxis *> axes = c.view->chart()->axes(Qt::Vertical);
            return !axes.isEmpty() && axes.first()->type() == QAbstractAxis::AxisTypeLogValue;
        }
    return false;
}

void TrainingCharts::showHover(QLineSeries *series, QPointF point, bool state)
{
    if (!state) {
        QToolTip::hideText();
        return;
    }
    // `point` is where the cursor meets the line; name the nearest plotted point instead.
    const QList<QPointF> pts = series->points();
    if (pts.isEmpty())
        return;
    QPointF best = pts.first();
    for (const QPointF &p : pts)
        if (std::abs(p.x() - point.x()) < std::abs(best.x() - point.x()))
            best = p;
    const QString x = series->chart()->axes(Qt::Horizontal).first()->titleText();
    QToolTip::showText(QCursor::pos(), u"%1\n%2 %3: %4"_qs.arg(series->name(), x).arg(best.x()).arg(best.y(), 0, 'g', 5));
}

QStringList TrainingCharts::seriesNames() const
{
    QStringList names;
    for (const Chart &c : m_charts)
        for (QLineSeries *s : c.series)
            names << c.title + u'/' + s->name();
    return names;
}

QList<QPointF> TrainingCharts::points(const QString &name) const
{
    for (const Chart &c : m_charts)
        for (QLineSeries *s : c.series)
            if (c.title + u'/' + s->name() == name)
                return s->points();
    return {};
}

QString TrainingCharts::toCsv() const
{
    auto quote = [](QString s) -> QString { return u'"' + s.replace(u'"', u"\"\""_qs) + u'"'; };
    QString csv = u"chart,series,x,y\n"_qs;
    for (const Chart &c : m_charts)
        for (QLineSeries *s : c.series)
            for (const QPointF &p : s->points())
                csv += quote(c.title) + u',' + quote(s->name()) + u',' + QString::number(p.x(), 'g', 10) + u','
                       + QString::number(p.y(), 'g', 10) + u'\n';
    return csv;
}

bool TrainingCharts::exportCsv(const QString &path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(toCsv().toUtf8());
    return file.commit();
}

bool TrainingCharts::exportPng(const QString &path) { return grab().save(path, "PNG"); }

void TrainingCharts::exportInteractively()
{
    QString selected;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Charts"), u"training.png"_qs,
                                                      tr("PNG image (*.png);;CSV table (*.csv)"), &selected);
    if (path.isEmpty())
        return;
    const bool csv = path.endsWith(u".csv"_qs, Qt::CaseInsensitive) || selected.contains(u"csv"_qs);
    if (!(csv ? exportCsv(path) : exportPng(path)))
        QMessageBox::warning(this, tr("Export Charts"), tr("Could not write %1").arg(path));
}

}  // namespace cospace
