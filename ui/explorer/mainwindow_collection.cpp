// MainWindow, part five: editing the collection - image folders and caption files (add, remove,
// re-scan, what was skipped and why) and typed captions (add, edit, delete with undo). Every change
// goes through openWorkspace(): the engine re-embeds only what the store lacks and re-projects, and
// the map animates from the old layout to the new one. See mainwindow.h.

#include "ui/explorer/mainwindow.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLineEdit>
#include <QListWidget>
#include <QSet>
#include <QStatusBar>
#include <QTreeWidget>

namespace cospace {

void MainWindow::buildCollectionActions()
{
    m_rescan = new QAction(QIcon::fromTheme(u"view-refresh"_qs), tr("&Re-scan Collection"), this);
    m_rescan->setShortcut(QKeySequence::Refresh);
    m_rescan->setToolTip(tr("Look for new, changed and removed files in the folders and caption files"));
    connect(m_rescan, &QAction::triggered, this, &MainWindow::rescan);

    // Collection: right-click for add / remove / re-scan.
    auto *add = new QAction(QIcon::fromTheme(u"folder-new"_qs), tr("Add Folder…"), m_collection);
    connect(add, &QAction::triggered, this, &MainWindow::addFolder);
    auto *remove = new QAction(QIcon::fromTheme(u"list-remove"_qs), tr("Remove from Workspace"), m_collection);
    remove->setShortcut(QKeySequence::Delete);
    remove->setShortcutContext(Qt::WidgetShortcut);
    connect(remove, &QAction::triggered, this, [this] {
        QTreeWidgetItem *item = m_collection->currentItem();
        while (item && item->parent())
            item = item->parent();
        if (item)
            removeCollectionEntry(item->data(0, Qt::UserRole).toString());
    });
    m_collection->addActions({add, remove, m_rescan});
    m_collection->setContextMenuPolicy(Qt::ActionsContextMenu);

    // Captions: F2 edits, Delete deletes, Ctrl+Z brings deleted captions back. Only typed captions
    // are editable; captions from files change with their file.
    auto *editAction = new QAction(tr("Edit Caption"), m_captions);
    editAction->setShortcut(Qt::Key_F2);
    editAction->setShortcutContext(Qt::WidgetShortcut);
    connect(editAction, &QAction::triggered, this, [this] {
        if (QListWidgetItem *item = m_captions->currentItem(); item && item->flags() & Qt::ItemIsEditable)
            m_captions->editItem(item);
    });
    auto *deleteAction = new QAction(QIcon::fromTheme(u"edit-delete"_qs), tr("Delete Caption"), m_captions);
    deleteAction->setShortcut(QKeySequence::Delete);
    deleteAction->setShortcutContext(Qt::WidgetShortcut);
    connect(deleteAction, &QAction::triggered, this, [this] {
        QList<int> typed;
        for (QListWidgetItem *item : m_captions->selectedItems())
            if (const int i = item->data(Qt::UserRole).toInt(); i >= 0)
                typed << i;
        if (typed.isEmpty() && !m_captions->selectedItems().isEmpty())
            statusBar()->showMessage(tr("Captions from a file change with the file; remove the file in Collection."), 6000);
        deleteCaptions(typed);
    });
    m_undoDelete = new QAction(QIcon::fromTheme(u"edit-undo"_qs), tr("&Undo Delete Caption"), this);
    m_undoDelete->setShortcut(QKeySequence::Undo);
    m_undoDelete->setEnabled(false);
    connect(m_undoDelete, &QAction::triggered, this, &MainWindow::undoDelete);
    m_captions->addActions({editAction, deleteAction, m_undoDelete});
    m_captions->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_captions->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    connect(m_captions, &QListWidget::itemChanged, this, &MainWindow::captionEdited);
    m_captionEdit->installEventFilter(this);
    m_captionEdit->setToolTip(tr("Enter adds the caption; pasting several lines adds one caption per line"));
}

void MainWindow::addCaptionItem(const QString &text, int typedIndex, const QString &file)
{
    auto *item = new QListWidgetItem(text, m_captions);
    item->setData(Qt::UserRole, typedIndex);
    if (typedIndex >= 0) {
        item->setFlags(item->flags() | Qt::ItemIsEditable);
        item->setToolTip(tr("Typed: F2 edits, Delete deletes"));
    } else {
        item->setForeground(palette().color(QPalette::PlaceholderText));
        item->setToolTip(tr("From %1").arg(QDir::toNativeSeparators(file)));
    }
}

void MainWindow::addFolder()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Add Image Folder"));
    if (!dir.isEmpty())
        addFolderPath(dir);
}

void MainWindow::addFolderPath(const QString &folder)
{
    const QString dir = QDir::cleanPath(QFileInfo(folder).absoluteFilePath());
    if (m_workspace.folders.contains(dir))
        return rescan();
    Workspace w = m_workspace;
    w.folders << dir;
    openWorkspace(w, m_workspaceFile);
}

void MainWindow::loadCaptions()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Load Captions"), {},
                                                      tr("Caption files (*.tsv *.csv *.jsonl *.json *.txt *.token);;All files (*)"));
    if (file.isEmpty())
        return;
    Workspace w = m_workspace;
    if (!w.captionFiles.contains(file))
        w.captionFiles << file;
    openWorkspace(w, m_workspaceFile);
}

void MainWindow::removeCollectionEntry(const QString &folderOrCaptionFile)
{
    Workspace w = m_workspace;
    const bool removed = w.folders.removeAll(folderOrCaptionFile) + w.captionFiles.removeAll(folderOrCaptionFile) > 0;
    if (removed)
        openWorkspace(w, m_workspaceFile);
}

void MainWindow::rescan()
{
    openWorkspace(m_workspace, m_workspaceFile);   // the store notices new, changed and removed files
}

void MainWindow::showSkipped()
{
    // Under each folder: the files the embedding could not read, with the decoder's reason.
    for (int t = 0; t < m_collection->topLevelItemCount(); ++t) {
        QTreeWidgetItem *folder = m_collection->topLevelItem(t);
        if (folder->data(0, kCollectionKindRole).toString() != u"folder")
            continue;
        const QString root = folder->data(0, Qt::UserRole).toString() + u'/';
        QSet<QString> listed;   // the scan's own issues (broken links, ...) are already there
        for (int c = 0; c < folder->childCount(); ++c)
            listed.insert(folder->child(c)->toolTip(0));
        for (int i = 0; i < m_skippedPaths.size(); ++i)
            if (m_skippedPaths[i].startsWith(root) && !listed.contains(m_skippedPaths[i])) {
                auto *child = new QTreeWidgetItem(folder, {u"%1: %2"_qs.arg(QFileInfo(m_skippedPaths[i]).fileName(),
                                                                               m_skippedReasons.value(i)),
                                                           tr("skipped")});
                child->setToolTip(0, m_skippedPaths[i]);
                folder->setExpanded(true);
            }
    }
}

void MainWindow::addTypedCaption()
{
    addCaption(m_captionEdit->text());
    m_captionEdit->clear();
}

void MainWindow::addCaption(const QString &text)
{
    const QString caption = text.simplified();
    if (caption.isEmpty())
        return;
    m_workspace.captions << caption;
    rescan();
}

void MainWindow::addCaptions(const QStringList &lines)
{
    bool added = false;
    for (const QString &line : lines)
        if (const QString caption = line.simplified(); !caption.isEmpty()) {
            m_workspace.captions << caption;
            added = true;
        }
    if (added)
        rescan();
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    // A line edit would join pasted lines into one; many lines pasted are many captions.
    if (watched == m_captionEdit && event->type() == QEvent::KeyPress
        && static_cast<QKeyEvent *>(event)->matches(QKeySequence::Paste)) {
        const QString text = QGuiApplication::clipboard()->text();
        if (text.contains(u'\n')) {
            addCaptions(text.split(u'\n'));
            return true;
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::editCaption(int index, const QString &text)
{
    if (index < 0 || index >= m_workspace.captions.size())
        return;
    const QString caption = text.simplified();
    if (caption.isEmpty())
        return deleteCaptions({index});
    if (caption == m_workspace.captions[index])
        return;
    m_workspace.captions[index] = caption;
    rescan();
}

void MainWindow::captionEdited(QListWidgetItem *item)
{
    const int index = item->data(Qt::UserRole).toInt();
    if (index >= 0)
        editCaption(index, item->text());
}

void MainWindow::deleteCaptions(QList<int> indices)
{
    std::sort(indices.begin(), indices.end(), std::greater<>());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    QList<QPair<int, QString>> removed;
    for (int i : indices)
        if (i >= 0 && i < m_workspace.captions.size())
            removed.prepend({i, m_workspace.captions.takeAt(i)});
    if (removed.isEmpty())
        return;
    m_deletedCaptions << removed;   // ascending indices: undo re-inserts in this order
    m_undoDelete->setEnabled(true);
    rescan();
}

void MainWindow::undoDelete()
{
    if (m_deletedCaptions.isEmpty())
        return;
    for (const auto &[index, text] : m_deletedCaptions.takeLast())
        m_workspace.captions.insert(std::min<qsizetype>(index, m_workspace.captions.size()), text);
    m_undoDelete->setEnabled(!m_deletedCaptions.isEmpty());
    rescan();
}

}  // namespace cospace
