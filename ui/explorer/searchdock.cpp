#include "ui/explorer/searchdock.h"

#include "ui/widgets/thumbnailicon.h"

#include <QFileInfo>
#include <QLineEdit>
#include <QListWidget>
#include <QShortcut>
#include <QTimer>
#include <QVBoxLayout>

namespace cospace {

namespace {
constexpr int kSearchDebounceMs = 250;
}

SearchDock::SearchDock(QWidget *window) : QDockWidget(tr("Search"), window)
{
    setObjectName(u"searchDock"_qs);
    auto *panel = new QWidget(this);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(4, 4, 4, 4);
    m_edit = new QLineEdit(panel);
    m_edit->setPlaceholderText(tr("Find images: fruit, beach -people, 0.7 red car + 0.3 night"));
    m_edit->setClearButtonEnabled(true);
    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(kSearchDebounceMs);
    connect(m_edit, &QLineEdit::textChanged, m_debounce, qOverload<>(&QTimer::start));
    connect(m_debounce, &QTimer::timeout, this, [this] { Q_EMIT searchRequested(m_edit->text()); });
    m_results = new QListWidget(panel);
    m_results->setViewMode(QListView::IconMode);
    m_results->setIconSize(QSize(64, 64));
    m_results->setGridSize(QSize(100, 112));
    m_results->setResizeMode(QListView::Adjust);
    m_results->setMovement(QListView::Static);
    m_results->setWordWrap(true);
    layout->addWidget(m_edit);
    layout->addWidget(m_results);
    setWidget(panel);
    auto *find = new QShortcut(QKeySequence::Find, window);
    connect(find, &QShortcut::activated, this, [this] {
        show();
        raise();
        m_edit->setFocus();
        m_edit->selectAll();
    });
}

void SearchDock::clearResults() { m_results->clear(); }

void SearchDock::showResults(const QList<SearchHit> &hits)
{
    m_results->clear();
    for (const SearchHit &hit : hits) {
        const QString name = QFileInfo(hit.item.path).completeBaseName().left(14);
        auto *item = new QListWidgetItem(u"%1\n%2 · %3%"_qs.arg(name).arg(hit.score, 0, 'f', 3)
                                             .arg(hit.percentile, 0, 'f', 1));
        item->setToolTip(tr("#%1 %2\ncosine %3, better than %4% of random images").arg(hit.rank).arg(hit.item.path)
                             .arg(hit.score, 0, 'f', 4).arg(hit.percentile, 0, 'f', 1));
        item->setData(Qt::UserRole, hit.item.path);
        item->setIcon(thumbnailIcon(hit.item.path, 64));
        m_results->addItem(item);
    }
}

}  // namespace cospace
