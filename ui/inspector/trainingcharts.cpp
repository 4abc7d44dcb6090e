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
#include <QRegularExpression>
#include <QSaveFile>
#include <QScrollArea>
#include <QStyle>
#include <QToolTip>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>

#include <cmath>

namespace cospace {

namespace {

// What each series reads from the run folder. "steps:F" = field F of steps.jsonl at x = step;
// "epoch@step:K" = metrics.jsonl key K at x = the epoch's last step; "epoch:K" = key K at x = epoch.

constexpr int kXTicks = 6;          // at most, per axis: the charts are small
constexpr int kYTicks = 5;
constexpr int kChartMinWidth = 260;
constexpr int kChartMinHeight = 150;

// Colour per K (and per quantity), line style per direction (Tableau 10 colours).
const QColor kBlue(0x1f, 0x77, 0xb4), kOrange(0xff, 0x7f, 0x0e), kGreen(0x2c, 0xa0, 0x2c), kGrey(0x9a, 0x9a, 0x9a);

// A key of the loop's own that names a fraction: charted on [0, 1] when every value lies there.
bool namesFraction(const QString &key)
{
    static const QRegularExpression re(u"acc|recall|precision|(^|[^a-z])f1($|[^0-9])|auc|r@\\d"_qs,
                                       QRegularExpression::CaseInsensitiveOption);
    return re.match(key).hasMatch();
}

QList<QPointF> pointsFor(const RunFolder &run, const QString &key)
{
    QList<QPointF> out;
    const qsizetype colon = key.indexOf(u':');
    const QString source = key.left(colon), field = key.mid(colon + 1);
    if (source == u"steps") {
        for (const StepRecord &s : run.steps()) {
            const QJsonValue extra = s.extra.value(field);
            const double y = field == u"loss" ? s.loss : field == u"temperature" ? s.temperature
                             : extra.isDouble()  ? extra.toDouble() : std::nan("");
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
    // The loop's own scalars add charts: they scroll rather than squeeze the known ones.
    m_scroll = new QScrollArea(this);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *page = new QWidget(m_scroll);
    m_grid = new QGridLayout(page);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(2);
    m_scroll->setWidget(page);
    layout->addWidget(m_scroll, 1);

    const QString step = tr("step"), epoch = tr("epoch");
    addChart(tr("Loss"), step, {{tr("train (steps)"), u"steps:loss"_qs, kGrey, Qt::SolidLine, true},
                                {tr("train"), u"epoch@step:train_loss"_qs, kBlue},
                                {tr("validation"), u"epoch@step:val_loss"_qs, kOrange}}, Range::Auto);
    addChart(tr("Temperature"), step, {{tr("steps"), u"steps:temperature"_qs, kGrey, Qt::SolidLine, true},
                                       {tr("epochs"), u"epoch@step:temperature"_qs, kBlue}}, Range::Auto);
    QList<SeriesStyle> recall;
    for (const auto &[k, colour] : {std::pair{1, kBlue}, std::pair{5, kOrange}, std::pair{10, kGreen}}) {
        recall.append({u"i→t R@%1"_qs.arg(k), u"epoch:i2t/R@%1"_qs.arg(k), colour, Qt::SolidLine});
        recall.append({u"t→i R@%1"_qs.arg(k), u"epoch:t2i/R@%1"_qs.arg(k), colour, Qt::DashLine});
    }
    addChart(tr("Recall@K"), epoch, recall, Range::Unit);
    const QColor kPurple(0x94, 0x67, 0xbd), kBrown(0x8c, 0x56, 0x4b);
    addChart(tr("Composition"), epoch, {{tr("colour"), u"epoch:composition/colour"_qs, kBlue},
                                        {tr("size"), u"epoch:composition/size"_qs, kOrange},
                                        {tr("shape"), u"epoch:composition/shape"_qs, kGreen},
                                        {tr("relation"), u"epoch:composition/relation"_qs, kPurple},
                                        {tr("order"), u"epoch:composition/order"_qs, kBrown}}, Range::Unit);
    addChart(tr("Median rank"), epoch, {{u"i→t"_qs, u"epoch:i2t/median_rank"_qs, kBlue, Qt::SolidLine},
                                        {u"t→i"_qs, u"epoch:t2i/median_rank"_qs, kBlue, Qt::DashLine}}, Range::Auto);
    addChart(tr("Modality gap"), epoch, {{u"‖mean image − mean caption‖"_qs, u"epoch:modality_gap"_qs, kBlue}}, Range::Auto);
    addChart(tr("Alignment"), epoch, {{u"mean ‖t − i‖² of pairs"_qs, u"epoch:alignment"_qs, kBlue}}, Range::Auto);
    addChart(tr("Uniformity"), epoch, {{u"log mean e^(−2‖x−y‖²)"_qs, u"epoch:uniformity"_qs, kBlue}}, Range::Auto);
    addChart(tr("RSUM"), epoch, {{u"six recalls, %"_qs, u"epoch:rsum"_qs, kBlue}}, Range::Auto);
    placeCharts();
}

void TrainingCharts::addChart(const QString &title, const QString &xTitle, const QList<SeriesStyle> &series,
                              Range range)
{
    Chart c;
    c.title = title;
    c.range = range;
    c.integerX = xTitle == tr("epoch");
    auto *chart = new QChart;
    chart->setTitle(title);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->legend()->setVisible(series.size() > 1);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);   // a piece of the line: its dash shows
    QFont small = chart->legend()->font();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    chart->legend()->setFont(small);
    auto *x = new QValueAxis;
    x->setTitleText(xTitle);
    x->setLabelsFont(small);
    chart->addAxis(x, Qt::AlignBottom);
    for (const SeriesStyle &s : series) {
        auto *line = new QLineSeries;
        line->setName(s.name);
        QPen pen(s.colour, s.thin ? 1.0 : 2.0, s.style);
        pen.setCapStyle(Qt::FlatCap);
        line->setPen(pen);
        line->setPointsVisible(!s.thin);   // one epoch is one point: markers keep it visible
        chart->addSeries(line);
        line->attachAxis(x);
        connect(line, &QLineSeries::hovered, this,
                [this, line](const QPointF &p, bool state) { showHover(line, p, state); });
        c.series.append(line);
        c.keys.append(s.key);
    }
    c.view = new QChartView(chart, this);
    c.view->setRenderHint(QPainter::Antialiasing);
    c.view->setMinimumSize(kChartMinWidth, kChartMinHeight);
    m_charts.append(c);
    updateAxes(m_charts.last());
}

// Charts for the loop's own numeric keys, added as they first appear (a chart whose key moved
// between the logs is rebuilt with the right x).
void TrainingCharts::addExtraCharts(const RunFolder &run)
{
    const QStringList stepKeys = run.extraStepKeys(), epochKeys = run.extraEpochKeys();
    QStringList keys = stepKeys;
    for (const QString &k : epochKeys)
        if (!keys.contains(k))
            keys << k;
    bool added = false;
    for (const QString &key : keys) {
        const bool inSteps = stepKeys.contains(key), inEpochs = epochKeys.contains(key);
        QList<SeriesStyle> series;
        if (inSteps)
            series.append({tr("steps"), u"steps:"_qs + key, kGrey, Qt::SolidLine, true});
        if (inEpochs)
            series.append({tr("epochs"), (inSteps ? u"epoch@step:"_qs : u"epoch:"_qs) + key, kBlue});
        QStringList wanted;
        for (const SeriesStyle &s : series)
            wanted << s.key;
        const bool builtInTitle = std::any_of(m_charts.cbegin(), m_charts.cend(),
                                              [&](const Chart &c) { return !c.extra && c.title == key; });
        const QString title = builtInTitle ? tr("%1 (logged)").arg(key) : key;
        const auto it = std::find_if(m_charts.begin(), m_charts.end(), [&](const Chart &c) { return c.extra && c.title == title; });
        if (it != m_charts.end() && it->keys == wanted)
            continue;
        if (it != m_charts.end()) {
            delete it->view;
            m_charts.erase(it);
        }
        addChart(title, inSteps ? tr("step") : tr("epoch"), series, Range::Auto);
        m_charts.last().extra = true;
        if (namesFraction(key))
            m_charts.last().range = Range::Unit;   // kept on [0, 1] only while its values are fractions
        added = true;
    }
    if (added)
        placeCharts();
}

// Two columns; Recall@K, with six series, gets a row of its own.
void TrainingCharts::placeCharts()
{
    for (const Chart &c : m_charts)
        m_grid->removeWidget(c.view);
    int cell = 0;
    for (const Chart &c : m_charts) {
        const bool wide = c.series.size() > 3;
        if (wide && cell % 2)
            ++cell;
        m_grid->addWidget(c.view, cell / 2, cell % 2, 1, wide ? 2 : 1);
        cell += wide ? 2 : 1;
    }
    // Two charts side by side always fit: the scroll area scrolls only vertically.
    m_scroll->setMinimumWidth(2 * kChartMinWidth + m_grid->spacing()
                              + style()->pixelMetric(QStyle::PM_ScrollBarExtent) + 2 * m_scroll->frameWidth());
}

void TrainingCharts::setRun(const RunFolder &run)
{
    addExtraCharts(run);
    for (Chart &c : m_charts) {
        for (int i = 0; i < c.series.size(); ++i)
            c.series[i]->replace(pointsFor(run, c.keys[i]));
        updateAxes(c);
    }
}

void TrainingCharts::clear()
{
    for (qsizetype i = m_charts.size() - 1; i >= 0; --i)
        if (m_charts[i].extra) {
            delete m_charts[i].view;
            m_charts.removeAt(i);
        }
    placeCharts();
    for (Chart &c : m_charts) {
        for (QLineSeries *s : c.series)
            s->clear();
        updateAxes(c);
    }
}

// Fits the axes to the points at round ticks; swaps the value axis between linear and log as asked
// and allowed.
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
        x0 = c.integerX ? 1 : 0, x1 = 1, y0 = 0, y1 = 1;
    }
    const bool unit = c.range == Range::Unit && y0 >= 0 && y1 <= 1;
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
            axis = new QValueAxis;
        }
        axis->setLabelsFont(chart->legend()->font());
        chart->addAxis(axis, Qt::AlignLeft);
        for (QLineSeries *s : c.series)
            s->attachAxis(axis);
        vertical = {axis};
    }
    auto *x = static_cast<QValueAxis *>(chart->axes(Qt::Horizontal).first());
    AxisTicks xt = niceTicks(x0, x1, kXTicks, c.integerX);
    if (c.integerX && xt.min < 0) {   // no epoch below 0 (one epoch: the axis widened around it)
        xt.count -= int(std::lround(-xt.min / xt.step));
        xt.min = 0;
    }
    x->setRange(xt.min, xt.max);
    x->setTickCount(xt.count);
    x->setLabelFormat(tickLabelFormat(xt));
    if (log) {
        vertical.first()->setRange(y0 / 1.2, unit ? 1.0 : y1 * 1.2);
        return;
    }
    const AxisTicks yt = unit ? niceTicks(0, 1, kYTicks) : niceTicks(y0, y1, kYTicks);
    auto *y = static_cast<QValueAxis *>(vertical.first());
    y->setRange(yt.min, yt.max);
    y->setTickCount(yt.count);
    y->setLabelFormat(tickLabelFormat(yt));
}

void TrainingCharts::setLogScale(bool on)
{
    m_log = on;
    if (m_logBox->isChecked() != on)
        m_logBox->setChecked(on);
    for (Chart &c : m_charts)
        updateAxes(c);
}

const TrainingCharts::Chart *TrainingCharts::chart(const QString &title) const
{
    for (const Chart &c : m_charts)
        if (c.title == title)
            return &c;
    return nullptr;
}

bool TrainingCharts::chartIsLog(const QString &title) const
{
    const Chart *c = chart(title);
    if (!c)
        return false;
    const QList<QAbstractAxis *> axes = c->view->chart()->axes(Qt::Vertical);
    return !axes.isEmpty() && axes.first()->type() == QAbstractAxis::AxisTypeLogValue;
}

QStringList TrainingCharts::chartTitles() const
{
    QStringList titles;
    for (const Chart &c : m_charts)
        titles << c.title;
    return titles;
}

AxisTicks TrainingCharts::axisTicks(const QString &title, Qt::Orientation orientation) const
{
    const Chart *c = chart(title);
    const QList<QAbstractAxis *> axes = c ? c->view->chart()->axes(orientation) : QList<QAbstractAxis *>();
    const auto *axis = axes.isEmpty() ? nullptr : qobject_cast<const QValueAxis *>(axes.first());
    if (!axis)
        return {0, 0, 0, 0};
    const int count = axis->tickCount();
    return {axis->min(), axis->max(), count > 1 ? (axis->max() - axis->min()) / (count - 1) : 0, count};
}

QPen TrainingCharts::seriesPen(const QString &name) const
{
    for (const Chart &c : m_charts)
        for (QLineSeries *s : c.series)
            if (c.title + u'/' + s->name() == name)
                return s->pen();
    return {};
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
