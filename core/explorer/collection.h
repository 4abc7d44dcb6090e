#pragma once
// What a workspace holds, as the explorer (GUI) and `cospace-cli layout` share it: the collection
// on disk (CollectionSnapshot, what scanning found) and the edits a user makes to it (Collection:
// folders, caption files, typed captions with undo of deletions).
//
// Reentrant; a Collection is a value (GUI thread in the explorer). Throws only where stated.

#include "core/data/captionfile.h"
#include "core/data/dataset.h"
#include "core/explorer/workspace.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace cospace {

// What opening a workspace found on disk: the folders' images and scan issues, the caption
// files' rows and bad rows. The same scan feeds the embedding, so folders are walked once.
struct CollectionSnapshot {
    struct Folder {
        QString path;
        ImageScan scan;
    };
    QList<Folder> folders;
    QList<CaptionFile> captionFiles;
    int imageCount() const;
    int captionCount() const;   // rows of the caption files
};

// Scans every folder and reads every caption file of the workspace. Throws std::runtime_error
// (naming the file) only for a caption file that cannot be read at all.
CollectionSnapshot loadCollection(const Workspace &workspace);

// Edits of a workspace's collection. Each returns whether the workspace changed (and so needs
// embedding and projecting again, or a typed caption placing).
class Collection
{
public:
    explicit Collection(Workspace workspace = {}) : m_workspace(std::move(workspace)) {}
    const Workspace &workspace() const { return m_workspace; }
    Workspace &workspace() { return m_workspace; }
    void setWorkspace(Workspace workspace);   // forgets the undo history

    bool addFolder(const QString &folder);             // made absolute and clean; no duplicates
    // Files and folders dropped on the window: folders join, and image files too when dropped onto
    // the map. *firstImage (optional) gets the first image file, which the window matches.
    bool addDropped(const QStringList &paths, bool ontoMap, QString *firstImage = nullptr);
    bool addCaptionFile(const QString &file);
    bool removeEntry(const QString &folderOrCaptionFile);
    // Typed captions: whitespace simplified; empty lines are ignored.
    int addCaptions(const QStringList &lines);         // how many were added
    bool editCaption(int index, const QString &text);  // empty text deletes (undoable)
    bool deleteCaptions(QList<int> indices);           // undoable, as one step
    bool undoDelete();
    bool canUndoDelete() const { return !m_deleted.isEmpty(); }

private:
    Workspace m_workspace;
    QList<QList<QPair<int, QString>>> m_deleted;   // undo stack: (index, text), ascending per step
};

}  // namespace cospace
