#include "ui/explorer/matchesdock.h"

#include "ui/widgets/thumbnailicon.h"

#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QVBoxLayout>

namespace cospace {

MatchesDock::MatchesDock(QWidget *parent) : QDockWidget(tr("Matches"), parent)
{
    setObjectName(u"matchDock"_qs);
    auto *panel = new QWidget(this);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(4, 4, 4, 4);
    m_title = new QLabel(tr("Drop an image anywhere, or click a point on the map."), panel);
    m_title->setWordWrap(true);
    m_list = new QListWidget(panel);
    m_list->setIconSize(QSize(32, 32));
    layout->addWidget(m_title);
    layout->addWidget(m_list);
    setWidget(panel);
}

void MatchesDock::setWaiting(const QString &what) { m_title->setText(what); }

void MatchesDock::showMatches(const QString &title, const QList<SearchHit> &hits)
{
    m_title->setText(tr("Best matches for <b>%1</b>").arg(title.toHtmlEscaped()));
    m_list->clear();
    for (const SearchHit &hit : hits) {
        const bool image = hit.item.modality == Modality::Image;
        const QString label = image ? QFileInfo(hit.item.path).fileName() : hit.item.caption;
        auto *item = new QListWidgetItem(u"%1. %2  (%3 · %4%)"_qs.arg(hit.rank).arg(label)
                                             .arg(hit.score, 0, 'f', 3).arg(hit.percentile, 0, 'f', 1));
        item->setData(Qt::UserRole, image ? hit.item.path : hit.item.caption);
        item->setToolTip(tr("cosine %1; better than %2% of random items").arg(hit.score, 0, 'f', 4)
                             .arg(hit.percentile, 0, 'f', 1));
        if (image)
            item->setIcon(thumbnailIcon(hit.item.path, 32));
        m_list->addItem(item);
    }
}

}  // namespace cospace
