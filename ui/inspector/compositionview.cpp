#include "ui/inspector/compositionview.h"

#include "core/train/runfolder.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace cospace {

namespace {

enum Column { ImageColumn, CaptionColumn, SwapColumn, KindColumn, TrueColumn, SwappedColumn };
constexpr int kThumbnailPixels = 96;   // the image in a row's tooltip

QString cosine(float v) { return QString::number(v, 'f', 3); }

}  // namespace

CompositionView::CompositionView(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::RichText);
    layout->addWidget(m_summary);
    auto *bar = new QHBoxLayout;
    m_kind = new QComboBox(this);
    m_kind->addItem(tr("All kinds"), -1);
    for (int k = 0; k < kSwapKindCount; ++k)
        m_kind->addItem(swapKindName(SwapKind(k)), k);
    m_kind->setToolTip(tr("Which swaps to list"));
    m_failuresOnly = new QCheckBox(tr("Failures only"), this);
    m_failuresOnly->setChecked(true);
    m_failuresOnly->setToolTip(tr("Off: also the near misses (the trainer keeps the 500 closest trials per epoch)"));
    bar->addWidget(new QLabel(tr("Swaps the image scored at least as high as its caption; kind:"), this));
    bar->addWidget(m_kind);
    bar->addWidget(m_failuresOnly);
    bar->addStretch(1);
    layout->addLayout(bar);
    m_list = new QTreeWidget(this);
    m_list->setHeaderLabels({tr("Image"), tr("True caption"), tr("Preferred swap"), tr("Kind"), tr("Cos true"),
                             tr("Cos swap")});
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setSortingEnabled(true);
    m_list->header()->setSectionResizeMode(CaptionColumn, QHeaderView::Stretch);
    m_list->header()->setSectionResizeMode(SwapColumn, QHeaderView::Stretch);
    m_list->header()->setStretchLastSection(false);
    layout->addWidget(m_list, 1);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &CompositionView::fill);
    connect(m_failuresOnly, &QCheckBox::toggled, this, &CompositionView::fill);
    clear();
}

void CompositionView::showEpoch(const RunFolder &run, int epoch)
{
    if (run.dir() == m_dir && epoch == m_epoch)
        return;
    m_dir = run.dir();
    setResult(CompositionResult::fromJson(run.composition(epoch)), epoch);
}

void CompositionView::setResult(const CompositionResult &result, int epoch)
{
    m_result = result;
    m_epoch = epoch;
    fill();
}

void CompositionView::clear()
{
    m_dir.clear();
    setResult({}, 0);
}

void CompositionView::fill()
{
    m_list->setSortingEnabled(false);
    m_list->clear();
    int total = 0;
    QStringList parts;
    for (int k = 0; k < kSwapKindCount; ++k) {
        const KindSummary &s = m_result.kinds[std::size_t(k)];
        total += s.n;
        if (s.n > 0)
            parts << tr("<b>%1</b> %2 [%3, %4] (n = %5)").arg(swapKindName(SwapKind(k)))
                         .arg(s.accuracy, 0, 'f', 2).arg(s.ci95.lo, 0, 'f', 2).arg(s.ci95.hi, 0, 'f', 2).arg(s.n);
    }
    if (total == 0) {
        m_summary->setText(m_epoch > 0 ? tr("Epoch %1 has no compositional probe: the run was trained with "
                                            "train.composition_probe off, or none of its validation captions "
                                            "could be swapped.").arg(m_epoch)
                                       : tr("No compositional probe yet."));
        return;
    }
    m_summary->setText(tr("Epoch %1, validation split — accuracy per swap kind (the image scores its caption "
                          "above the swap; chance 0.5), 95% interval: %2").arg(m_epoch).arg(parts.join(u" · "_qs)));
    const int kind = m_kind->currentData().toInt();
    QList<QTreeWidgetItem *> items;
    for (const CompositionTrial &t : m_result.trials) {
        if ((kind >= 0 && int(t.kind) != kind) || (m_failuresOnly->isChecked() && t.correct()))
            continue;
        auto *it = new QTreeWidgetItem;
        it->setText(ImageColumn, QFileInfo(t.image).fileName());
        it->setToolTip(ImageColumn, u"<img src=\"%1\" width=%2 height=%2><br>%3"_qs
                                        .arg(QUrl::fromLocalFile(t.image).toString()).arg(kThumbnailPixels)
                                        .arg(t.image.toHtmlEscaped()));
        it->setText(CaptionColumn, t.caption);
        it->setText(SwapColumn, t.swapped);
        it->setToolTip(SwapColumn, t.swapped);
        it->setText(KindColumn, swapKindName(t.kind));
        it->setData(TrueColumn, Qt::DisplayRole, cosine(t.trueScore).toDouble());
        it->setData(SwappedColumn, Qt::DisplayRole, cosine(t.swappedScore).toDouble());
        if (!t.correct())
            it->setForeground(SwapColumn, palette().color(QPalette::Link));
        items << it;
    }
    m_list->addTopLevelItems(items);
    // The file lists the trials worst first; keep that order until the user sorts by a column.
    m_list->header()->setSortIndicator(-1, Qt::AscendingOrder);
    m_list->setSortingEnabled(true);
}

}  // namespace cospace
