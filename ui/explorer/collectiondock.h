#pragma once
// The Collection dock: the workspace's image folders and caption files with their counts, and under
// each what was skipped and why (scan issues, bad caption rows, files the embedding could not read).
// Right-click: add a folder, remove an entry, re-scan.

#include "core/explorer/collection.h"
#include "core/store/embedpipeline.h"

#include <QDockWidget>

class QAction;
class QTreeWidget;

namespace cospace {

// Tree items: Qt::UserRole holds the folder or file path, this role its kind ("folder" or "captionFile").
inline constexpr int kCollectionKindRole = Qt::UserRole + 1;

class CollectionDock : public QDockWidget
{
    Q_OBJECT
public:
    explicit CollectionDock(QWidget *parent = nullptr);
    QTreeWidget *tree() const { return m_tree; }
    QAction *rescanAction() const { return m_rescan; }
    QAction *addFolderAction() const { return m_addFolder; }        // asks for a folder
    QAction *loadCaptionsAction() const { return m_loadCaptions; }  // asks for a caption file

    void setSnapshot(const CollectionSnapshot &snapshot);
    // Files the embedding skipped, listed under their folders (once the snapshot is shown).
    void setSkipped(const QList<SkippedFile> &skipped);

Q_SIGNALS:
    void folderChosen(const QString &folder);
    void captionFileChosen(const QString &file);
    void removeRequested(const QString &folderOrCaptionFile);
    void rescanRequested();

private:
    QTreeWidget *m_tree = nullptr;
    QAction *m_rescan = nullptr;
    QAction *m_addFolder = nullptr;
    QAction *m_loadCaptions = nullptr;
};

}  // namespace cospace
