#include "ui/explorer/collectiondock.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QSet>
#include <QTreeWidget>

namespace cospace {

CollectionDock::CollectionDock(QWidget *parent) : QDockWidget(tr("Collection"), parent)
{
    setObjectName(u"collectionDock"_qs);
    m_tree = new QTreeWidget(this);
    m_tree->setHeaderLabels({tr("Folder / file"), tr("Count")});
    m_tree->setColumnWidth(0, 220);
    setWidget(m_tree);

    m_rescan = new QAction(QIcon::fromTheme(u"view-refresh"_qs), tr("&Re-scan Collection"), this);
    m_rescan->setShortcut(QKeySequence::Refresh);
    m_rescan->setToolTip(tr("Look for new, changed and removed files in the folders and caption files"));
    connect(m_rescan, &QAction::triggered, this, &CollectionDock::rescanRequested);
    m_addFolder = new QAction(QIcon::fromTheme(u"folder-new"_qs), tr("Add &Folder…"), this);
    m_addFolder->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_O));
    connect(m_addFolder, &QAction::triggered, this, [this] {
        if (const QString dir = QFileDialog::getExistingDirectory(this, tr("Add Image Folder")); !dir.isEmpty())
            Q_EMIT folderChosen(dir);
    });
    m_loadCaptions = new QAction(QIcon::fromTheme(u"document-import"_qs), tr("&Load Captions…"), this);
    m_loadCaptions->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    connect(m_loadCaptions, &QAction::triggered, this, [this] {
        const QString file = QFileDialog::getOpenFileName(
            this, tr("Load Captions"), {}, tr("Caption files (*.tsv *.csv *.jsonl *.json *.txt *.token);;All files (*)"));
        if (!file.isEmpty())
            Q_EMIT captionFileChosen(file);
    });
    auto *remove = new QAction(QIcon::fromTheme(u"list-remove"_qs), tr("Remove from Workspace"), m_tree);
    remove->setShortcut(QKeySequence::Delete);
    remove->setShortcutContext(Qt::WidgetShortcut);
    connect(remove, &QAction::triggered, this, [this] {
        QTreeWidgetItem *item = m_tree->currentItem();
        while (item && item->parent())
            item = item->parent();
        if (item)
            Q_EMIT removeRequested(item->data(0, Qt::UserRole).toString());
    });
    m_tree->addActions({m_addFolder, remove, m_rescan});
    m_tree->setContextMenuPolicy(Qt::ActionsContextMenu);
}

void CollectionDock::setSnapshot(const CollectionSnapshot &snapshot)
{
    m_tree->clear();
    for (const CollectionSnapshot::Folder &folder : snapshot.folders) {
        auto *item = new QTreeWidgetItem(m_tree, {QFileInfo(folder.path).fileName(),
                                                  QString::number(folder.scan.images.size())});
        item->setToolTip(0, folder.path);
        item->setData(0, Qt::UserRole, folder.path);
        item->setData(0, kCollectionKindRole, u"folder"_qs);
        for (const ParseIssue &issue : folder.scan.issues)
            (new QTreeWidgetItem(item, {issue.toString(), tr("skipped")}))->setToolTip(0, issue.file);
    }
    for (const CaptionFile &file : snapshot.captionFiles) {
        auto *item = new QTreeWidgetItem(m_tree, {QFileInfo(file.path).fileName(), QString::number(file.rows.size())});
        item->setToolTip(0, file.path);
        item->setData(0, Qt::UserRole, file.path);
        item->setData(0, kCollectionKindRole, u"captionFile"_qs);
        for (const ParseIssue &issue : file.issues)
            new QTreeWidgetItem(item, {issue.toString(), tr("bad row")});
        for (const ParseIssue &notice : file.notices)
            new QTreeWidgetItem(item, {notice.toString(), tr("cut")});
    }
    m_tree->expandAll();
}

void CollectionDock::setSkipped(const QList<SkippedFile> &skipped)
{
    for (int t = 0; t < m_tree->topLevelItemCount(); ++t) {
        QTreeWidgetItem *folder = m_tree->topLevelItem(t);
        if (folder->data(0, kCollectionKindRole).toString() != u"folder")
            continue;
        const QString root = folder->data(0, Qt::UserRole).toString() + u'/';
        QSet<QString> listed;   // the scan's own issues (broken links, ...) are already there
        for (int c = 0; c < folder->childCount(); ++c)
            listed.insert(folder->child(c)->toolTip(0));
        for (const SkippedFile &s : skipped)
            if (s.path.startsWith(root) && !listed.contains(s.path)) {
                const QString reason = s.detail.isEmpty() ? s.reason : s.reason + u" — "_qs + s.detail;
                auto *child = new QTreeWidgetItem(folder, {u"%1: %2"_qs.arg(QFileInfo(s.path).fileName(), reason),
                                                           tr("skipped")});
                child->setToolTip(0, s.path);
                folder->setExpanded(true);
            }
    }
}

}  // namespace cospace
