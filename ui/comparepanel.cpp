#include "ui/comparepanel.h"

#include "core/alignment.h"
#include "core/probeanalysis.h"
#include "core/projection.h"
#include "ui/mapview.h"
#include "ui/probepoints.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHash>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace cospace {

namespace {

struct MetricRow {
    const char *label;
    const char *key;
};
const MetricRow kRows[] = {
    {"text→image R@1", "t2i/R@1"}, {"text→image R@5", "t2i/R@5"}, {"text→image R@10", "t2i/R@10"},
    {"image→text R@1", "i2t/R@1"}, {"image→text R@5", "i2t/R@5"}, {"image→text R@10", "i2t/R@10"},
    {"text→image median rank", "t2i/median_rank"}, {"image→text median rank", "i2t/median_rank"},
    {"RSUM", "rsum"}, {"validation loss", "val_loss"}, {"train loss", "train_loss"},
    {"temperature", "temperature"}, {"modality gap", "modality_gap"}, {"alignment", "alignment"},
    {"uniformity", "uniformity"}, {"step", "step"},
};

QString cell(double v) { return std::isfinite(v) ? QString::number(v, 'g', 4) : u"–"_qs; }

}  // namespace

ComparePanel::ComparePanel(QWidget *parent) : QWidget(parent)
{
    m_epochA = new QComboBox(this);
    m_epochB = new QComboBox(this);
    m_sourceB = new QLabel(tr("this run"), this);
    auto *other = new QPushButton(tr("Other Run…"), this);
    other->setToolTip(tr("Compare with another run folder trained on the same data"));
    connect(other, &QPushButton::clicked, this, &ComparePanel::chooseRunB);
    auto *same = new QPushButton(tr("This Run"), this);
    connect(same, &QPushButton::clicked, this, [this] {
        m_bIsA = true;
        m_b = m_a;
        m_sourceB->setText(tr("this run"));
        fillEpochs(m_epochB, m_b, -1);
        refresh();
    });
    for (QComboBox *box : {m_epochA, m_epochB})
        connect(box, &QComboBox::activated, this, &ComparePanel::refresh);
    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("A: epoch"), this));
    bar->addWidget(m_epochA);
    bar->addSpacing(16);
    bar->addWidget(new QLabel(tr("B:"), this));
    bar->addWidget(m_sourceB);
    bar->addWidget(new QLabel(tr("epoch"), this));
    bar->addWidget(m_epochB);
    bar->addWidget(same);
    bar->addWidget(other);
    bar->addStretch(1);

    m_table = new QTableWidget(int(std::size(kRows)), 3, this);
    m_table->setHorizontalHeaderLabels({tr("A"), tr("B"), tr("B − A")});
    for (int r = 0; r < int(std::size(kRows)); ++r)
        m_table->setVerticalHeaderItem(r, new QTableWidgetItem(QString::fromUtf8(kRows[r].label)));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_mapA = new MapView(this);
    m_mapB = new MapView(this);
    m_note = new QLabel(this);
    m_note->setWordWrap(true);
    auto *maps = new QSplitter(Qt::Horizontal, this);
    maps->addWidget(m_mapA);
    maps->addWidget(m_mapB);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_table);
    split->addWidget(maps);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(split, 1);
    layout->addWidget(m_note);
}

void ComparePanel::fillEpochs(QComboBox *box, const RunFolder &run, int select)
{
    box->clear();
    for (const QJsonObject &e : run.epochs())
        box->addItem(QString::number(e.value(u"epoch"_qs).toInt()), e.value(u"epoch"_qs).toInt());
    box->setCurrentIndex(select >= 0 ? box->findData(select) : box->count() - 1);
}

void ComparePanel::setRunA(const RunFolder &run)
{
    const int a = m_epochA->currentData().toInt(), b = m_epochB->currentData().toInt();
    m_a = run;
    fillEpochs(m_epochA, m_a, a > 0 ? a : -1);
    if (m_bIsA) {
        m_b = run;
        // Two epochs of one run: by default the first against the last.
        fillEpochs(m_epochB, m_b, b > 0 ? b : -1);
        if (b <= 0 && m_epochA->count() > 1 && a <= 0)
            m_epochA->setCurrentIndex(0);
    }
    refresh();
}

void ComparePanel::setRunB(const RunFolder &run)
{
    m_b = run;
    m_bIsA = false;
    m_sourceB->setText(QFileInfo(run.dir()).fileName());
    m_sourceB->setToolTip(run.dir());
    fillEpochs(m_epochB, m_b, -1);
    refresh();
}

void ComparePanel::chooseRunB()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Run Folder to Compare"));
    if (dir.isEmpty())
        return;
    try {
        setRunB(RunFolder::open(dir));
    } catch (const std::exception &e) {
        m_note->setText(QString::fromUtf8(e.what()));
    }
}

void ComparePanel::setEpochs(int epochA, int epochB)
{
    m_epochA->setCurrentIndex(m_epochA->findData(epochA));
    m_epochB->setCurrentIndex(m_epochB->findData(epochB));
    refresh();
}

QString ComparePanel::message() const { return m_note->text(); }

void ComparePanel::refresh()
{
    const int a = m_epochA->currentData().toInt(), b = m_epochB->currentData().toInt();
    const QJsonObject ea = a > 0 ? m_a.epochs().value(a - 1) : QJsonObject();
    const QJsonObject eb = b > 0 ? m_b.epochs().value(b - 1) : QJsonObject();
    fillTable(ea, eb);
    fillMaps(a, b);
}

void ComparePanel::fillTable(const QJsonObject &a, const QJsonObject &b)
{
    for (int r = 0; r < int(std::size(kRows)); ++r) {
        const QString key = QString::fromUtf8(kRows[r].key);
        const double va = RunFolder::value(a, key), vb = RunFolder::value(b, key);
        m_table->setItem(r, 0, new QTableWidgetItem(cell(va)));
        m_table->setItem(r, 1, new QTableWidgetItem(cell(vb)));
        m_table->setItem(r, 2, new QTableWidgetItem(cell(vb - va)));
    }
}

void ComparePanel::fillMaps(int epochA, int epochB)
{
    m_shared = 0;
    m_mapA->setPoints({});
    m_mapB->setPoints({});
    if (epochA <= 0 || epochB <= 0)
        return;
    try {
        const Matrix ea = m_a.probeEmbeddings(epochA), eb = m_b.probeEmbeddings(epochB);
        SpaceTimeline ta, tb;
        const Matrix la = ta.append(ea);
        Matrix lb = tb.append(eb);
        // Rows of B that are the same item as a row of A (same image and caption).
        const int pa = ea.rows / 2, pb = eb.rows / 2;
        QHash<QString, int> rowOfA;
        for (int i = 0; i < pa; ++i)
            rowOfA.insert(m_a.probePairs().value(i).image + u'\t' + m_a.probePairs().value(i).caption, i);
        std::vector<int> fromA, fromB;
        for (int i = 0; i < pb; ++i) {
            const int j = rowOfA.value(m_b.probePairs().value(i).image + u'\t' + m_b.probePairs().value(i).caption, -1);
            if (j >= 0) {
                fromA.insert(fromA.end(), {j, j + pa});
                fromB.insert(fromB.end(), {i, i + pb});
            }
        }
        if (fromA.size() >= 6) {
            Matrix sa(int(fromA.size()), 2), sb(int(fromB.size()), 2);
            for (std::size_t k = 0; k < fromA.size(); ++k) {
                std::copy_n(la.row(fromA[k]), 2, sa.row(int(k)));
                std::copy_n(lb.row(fromB[k]), 2, sb.row(int(k)));
            }
            lb = applySimilarity(lb, procrustes2D(sb, sa));
            m_shared = int(fromA.size() / 2);
        }
        m_mapA->setPoints(probeMapPoints(la, m_a.probePairs(), analyseProbe(ea)));
        m_mapB->setPoints(probeMapPoints(lb, m_b.probePairs(), analyseProbe(eb)));
        m_note->setText(m_shared > 0 ? tr("B aligned to A on %1 shared probe pairs.").arg(m_shared)
                                     : tr("The runs share no probe pairs (other data?): B is not aligned to A."));
    } catch (const std::exception &e) {
        m_note->setText(QString::fromUtf8(e.what()));
    }
}

}  // namespace cospace
