#include "ui/explorer/hubnessdock.h"

#include "ui/explorer/explorerengine.h"
#include "ui/map/mapview.h"
#include "ui/widgets/thumbnailicon.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <numeric>

namespace cospace {

namespace {
constexpr int kOccurrenceK = 10;   // N_10, as in Radovanovic et al. 2010
constexpr int kHubsListed = 15;
}  // namespace

KOccurrenceChart::KOccurrenceChart(QWidget *parent) : QWidget(parent) { setMinimumHeight(120); }

void KOccurrenceChart::setSeries(const std::vector<int> &raw, const std::vector<int> &corrected, const QString &name)
{
    m_raw = raw;
    m_corrected = corrected;
    m_name = name;
    update();
}

void KOccurrenceChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    if (m_raw.empty())
        return;
    // Buckets of N_k (0, 1, 2, ... up to the largest), bar height = images in the bucket, on a
    // square-root scale so the long tail of hubs stays visible beside the many zeros.
    const int maxN = std::max(*std::max_element(m_raw.begin(), m_raw.end()),
                              m_corrected.empty() ? 0 : *std::max_element(m_corrected.begin(), m_corrected.end()));
    const int buckets = std::min(maxN + 1, 40), width = (maxN + buckets) / buckets;
    auto histogram = [&](const std::vector<int> &v) {
        std::vector<int> h(std::size_t(buckets), 0);
        for (int n : v)
            ++h[std::size_t(std::min(buckets - 1, n / width))];
        return h;
    };
    const std::vector<int> a = histogram(m_raw), b = m_corrected.empty() ? std::vector<int>() : histogram(m_corrected);
    const int top = std::max(*std::max_element(a.begin(), a.end()), b.empty() ? 0 : *std::max_element(b.begin(), b.end()));
    const QRectF area = QRectF(rect()).adjusted(30, 18, -8, -20);
    const double slot = area.width() / buckets;
    const QColor rawColour = palette().color(QPalette::Highlight), fixed(230, 126, 34);
    auto bar = [&](int i, int count, double offset, const QColor &c) {
        const double h = area.height() * std::sqrt(double(count) / std::max(1, top));
        p.fillRect(QRectF(area.left() + i * slot + offset, area.bottom() - h, slot * (b.empty() ? 0.9 : 0.45), h), c);
    };
    for (int i = 0; i < buckets; ++i) {
        bar(i, a[std::size_t(i)], 0, rawColour);
        if (!b.empty())
            bar(i, b[std::size_t(i)], slot * 0.45, fixed);
    }
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), 16), Qt::AlignLeft, u"N%1 = 0"_qs.arg(kOccurrenceK));
    p.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), 16), Qt::AlignRight, QString::number(maxN));
    p.drawText(QRectF(2, area.top(), 26, 16), Qt::AlignRight, QString::number(top));
    p.fillRect(QRectF(area.left(), 3, 10, 10), rawColour);
    p.drawText(QPointF(area.left() + 14, 13), tr("cosine"));
    if (!b.empty()) {
        p.fillRect(QRectF(area.left() + 80, 3, 10, 10), fixed);
        p.drawText(QPointF(area.left() + 94, 13), m_name);
    }
}

HubnessDock::HubnessDock(ExplorerEngine *engine, MapView *map, std::function<void()> rankingChanged, QWidget *parent)
    : QDockWidget(tr("Hubness"), parent), m_engine(engine), m_map(map), m_rankingChanged(std::move(rankingChanged))
{
    setObjectName(u"hubnessDock"_qs);
    auto *panel = new QWidget(this);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Re-rank"), panel));
    m_method = new QComboBox(panel);
    m_method->addItem(tr("None (cosine)"), int(Rerank::None));
    m_method->addItem(tr("CSLS"), int(Rerank::Csls));
    m_method->addItem(tr("QB-Norm"), int(Rerank::QbNorm));
    m_method->setToolTip(tr("Hubness correction for Search and Matches, with the workspace's captions (or images) "
                            "as the query bank"));
    connect(m_method, &QComboBox::activated, this, [this] { setRerank(Rerank(m_method->currentData().toInt())); });
    row->addWidget(m_method);
    auto *run = new QPushButton(tr("Measure"), panel);
    connect(run, &QPushButton::clicked, this, &HubnessDock::measure);
    row->addWidget(run);
    layout->addLayout(row);
    m_summary = new QLabel(tr("Hubs: images that are among the best matches of very many captions."), panel);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    m_chart = new KOccurrenceChart(panel);
    layout->addWidget(m_chart, 1);
    m_hubs = new QListWidget(panel);
    m_hubs->setIconSize(QSize(32, 32));
    connect(m_hubs, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) { m_map->selectPoint(item->data(Qt::UserRole).toInt()); });
    layout->addWidget(m_hubs, 1);
    setWidget(panel);
}

Rerank HubnessDock::rerank() const { return Rerank(m_method->currentData().toInt()); }

void HubnessDock::setRerank(Rerank method)
{
    m_method->setCurrentIndex(m_method->findData(int(method)));
    m_engine->setRerank(method);
    if (m_rankingChanged)
        m_rankingChanged();
    if (!m_measured.raw.empty())
        measure();
}

void HubnessDock::mapReplaced()
{
    m_measured = {};
    m_chart->setSeries({}, {}, {});
    m_hubs->clear();
}

void HubnessDock::measure()
{
    const Rerank method = rerank();
    const quint64 id = ++m_request;
    m_summary->setText(tr("Counting…"));
    m_engine->analyse<Measured>(
        this,
        [method](WorkspaceSession &s, JobControl &job) {
            const WorkspaceSession::MapData d = s.mapData();
            const int captions = int(d.items->size()) - d.imageCount;
            if (d.imageCount == 0 || captions == 0)
                throw std::runtime_error("Hubness needs images and captions on the map.");
            const Matrix images = d.vectors->copy(0, d.imageCount), texts = d.vectors->copy(d.imageCount, captions);
            Measured m;
            m.method = method;
            m.raw = kOccurrence(images, texts, kOccurrenceK, nullptr, &job);
            m.rawSkew = skewness(m.raw);
            if (method != Rerank::None) {
                RerankParams params;
                params.method = method;
                const HubnessCorrection c(images, texts, params, &job);   // the workspace's captions are the bank
                m.corrected = kOccurrence(images, texts, kOccurrenceK, &c, &job);
                m.correctedSkew = skewness(m.corrected);
            }
            return m;
        },
        [this, id](const JobOutcome<Measured> &o) {
            if (id != m_request)
                return;
            if (!o.ok())
                m_summary->setText(o.cancelled ? tr("Cancelled.") : o.error);
            else
                show(*o.value);
        });
}

void HubnessDock::show(const Measured &m)
{
    m_measured = m;
    const QString name = m.method == Rerank::Csls ? tr("CSLS") : tr("QB-Norm");
    m_chart->setSeries(m.raw, m.corrected, name);
    const int zero = int(std::count(m.raw.begin(), m.raw.end(), 0));
    QString text = tr("k-occurrence (k = %1) over the captions: skewness %2; %3 of %4 images are never among the 10 best.")
                       .arg(kOccurrenceK).arg(m.rawSkew, 0, 'f', 2).arg(zero).arg(m.raw.size());
    if (!m.corrected.empty())
        text += tr(" With %1: skewness %2, %3 never.").arg(name).arg(m.correctedSkew, 0, 'f', 2)
                    .arg(std::count(m.corrected.begin(), m.corrected.end(), 0));
    m_summary->setText(text);
    std::vector<int> order(m.raw.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return m.raw[std::size_t(a)] > m.raw[std::size_t(b)]; });
    m_hubs->clear();
    const QList<MapPoint> &points = m_map->points();
    for (std::size_t i = 0; i < std::min<std::size_t>(order.size(), kHubsListed); ++i) {
        const int row = order[i];
        if (row >= points.size())
            break;
        QString line = tr("%1 — in the top 10 of %2 captions").arg(points[row].text).arg(m.raw[std::size_t(row)]);
        if (!m.corrected.empty())
            line += tr(", %1 after %2").arg(m.corrected[std::size_t(row)]).arg(name);
        auto *item = new QListWidgetItem(line);
        item->setData(Qt::UserRole, row);
        item->setIcon(thumbnailIcon(points[row].path, 32));
        m_hubs->addItem(item);
    }
    Q_EMIT measuredShown();
}

}  // namespace cospace
