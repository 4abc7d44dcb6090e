#include "ui/inspector/failurebrowser.h"

#include <QFileInfo>
#include <QHeaderView>
#include <QTreeWidget>

namespace cospace {

namespace {

constexpr int kImpostors = 5;        // hard negatives listed under each caption
constexpr int kCaptionsPerImage = 5; // captions listed under each image
constexpr int kCaptionRole = Qt::UserRole;
constexpr int kImageRole = Qt::UserRole + 1;

QTreeWidgetItem *item(const QList<QVariant> &columns, int caption, int image)
{
    auto *it = new QTreeWidgetItem;
    for (int c = 0; c < columns.size(); ++c)
        it->setData(c, Qt::DisplayRole, columns[c]);   // numbers stay numbers: columns sort numerically
    it->setData(0, kCaptionRole, caption);
    it->setData(0, kImageRole, image);
    return it;
}

QString cosine(float v) { return QString::number(v, 'f', 3); }

}  // namespace

FailureBrowser::FailureBrowser(QWidget *parent) : QTabWidget(parent)
{
    m_captionTree = makeTree({tr("Caption / impostor image"), tr("Rank of its image"), tr("Cosine")});
    m_imageTree = makeTree({tr("Image / caption"), tr("Rank of its caption"), tr("Cosine")});
    m_hubTree = makeTree({tr("Image"), tr("Rank-1 for (k=1)"), tr("In top 5 of (k=5)")});
    addTab(m_captionTree, tr("Captions"));
    addTab(m_imageTree, tr("Images"));
    addTab(m_hubTree, tr("Hubs"));
    setTabToolTip(2, tr("Images that are the best match of many captions (k-occurrence; the average is 1 and 5)"));
}

QTreeWidget *FailureBrowser::makeTree(const QStringList &headers)
{
    auto *tree = new QTreeWidget(this);
    tree->setHeaderLabels(headers);
    tree->setSortingEnabled(true);
    tree->setUniformRowHeights(true);
    tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    tree->header()->setStretchLastSection(false);
    connect(tree, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *current) {
        if (current)
            Q_EMIT pairSelected(current->data(0, kCaptionRole).toInt(), current->data(0, kImageRole).toInt());
    });
    return tree;
}

void FailureBrowser::setLabels(QStringList captions, QStringList images)
{
    m_captions = std::move(captions);
    m_images = std::move(images);
}

QString FailureBrowser::captionText(int i) const { return m_captions.value(i, tr("caption #%1").arg(i)); }

QString FailureBrowser::imageName(int j) const
{
    return j < m_images.size() ? QFileInfo(m_images[j]).fileName() : tr("image #%1").arg(j);
}

void FailureBrowser::setAnalysis(const ProbeAnalysis &a)
{
    fillCaptions(a);
    fillImages(a);
    fillHubs(a);
}

void FailureBrowser::fillCaptions(const ProbeAnalysis &a)
{
    m_captionTree->clear();
    QList<QTreeWidgetItem *> items;
    for (int i = 0; i < a.pairs; ++i) {
        QTreeWidgetItem *top = item({captionText(i), a.captionRank[std::size_t(i)], cosine(a.similarity.at(i, i))}, i, i);
        top->setToolTip(0, tr("%1\nits image: %2").arg(captionText(i), imageName(i)));
        for (int j : a.impostors(i, kImpostors))
            top->addChild(item({imageName(j), QVariant(), cosine(a.similarity.at(i, j))}, i, j));
        items << top;
    }
    m_captionTree->addTopLevelItems(items);
    m_captionTree->sortByColumn(1, Qt::DescendingOrder);
}

void FailureBrowser::fillImages(const ProbeAnalysis &a)
{
    m_imageTree->clear();
    QList<QTreeWidgetItem *> items;
    for (int j = 0; j < a.pairs; ++j) {
        QTreeWidgetItem *top = item({imageName(j), a.imageRank[std::size_t(j)], cosine(a.similarity.at(j, j))}, j, j);
        for (int i : a.rankedCaptions(j, kCaptionsPerImage)) {
            QTreeWidgetItem *child = item({captionText(i), QVariant(), cosine(a.similarity.at(i, j))}, i, j);
            if (i == j) {
                QFont bold = child->font(0);
                bold.setBold(true);
                child->setFont(0, bold);
                child->setToolTip(0, tr("its own caption"));
            }
            top->addChild(child);
        }
        items << top;
    }
    m_imageTree->addTopLevelItems(items);
    m_imageTree->sortByColumn(1, Qt::DescendingOrder);
}

void FailureBrowser::fillHubs(const ProbeAnalysis &a)
{
    m_hubTree->clear();
    QList<QTreeWidgetItem *> items;
    for (int j : a.hubs(2)) {
        QTreeWidgetItem *top = item({imageName(j), a.kOccurrence1[std::size_t(j)], a.kOccurrence5[std::size_t(j)]}, j, j);
        for (int i = 0; i < a.pairs; ++i)
            if (a.topImage[std::size_t(i)] == j && i != j)
                top->addChild(item({captionText(i), QVariant(), cosine(a.similarity.at(i, j))}, i, j));
        items << top;
    }
    m_hubTree->addTopLevelItems(items);
    m_hubTree->sortByColumn(1, Qt::DescendingOrder);
}

}  // namespace cospace
