#pragma once
// The explorer's main window, a composition: the map panel in the centre (map, toolbar, colourings,
// Selection dock), the Collection, Captions, Search and Matches docks, the job status in the status
// bar, workspace files in the File menu. It keeps the workspace being explored (Collection) and
// wires the docks to the ExplorerEngine, which runs scanning, embedding, projection and search off
// the GUI thread. Results for a workspace or query replaced meanwhile are dropped (ids).

#include "core/explorer/collection.h"
#include "core/explorer/workspacesession.h"
#include "ui/explorer/collectiondock.h"
#include "ui/map/mapcolouring.h"
#include "ui/map/mapview.h"

#include <QMainWindow>

class QLineEdit;
class QListWidget;
class QTreeWidget;

namespace cospace {

class AnalysisPanels;
class CaptionsDock;
class ExplorerEngine;
class JobStatus;
class MapPanel;
class MatchesDock;
class SearchDock;
class SelectionPanel;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // storePath empty = the default store (~/.local/share/cospace/cospace.db).
    explicit MainWindow(QWidget *parent = nullptr, const QString &storePath = {});
    ~MainWindow() override;

    void openWorkspace(const Workspace &workspace, const QString &file = {});
    // Open or write a workspace file (with the current view); an error message or "" on success.
    QString openWorkspaceFile(const QString &file);
    QString saveWorkspaceTo(const QString &file);
    QString workspaceFile() const { return m_workspaceFile; }
    const Workspace &workspace() const { return m_collection.workspace(); }

    // The collection. Folders and caption files re-embed what is new and re-project (the map
    // animates); typed captions are placed on the current map without re-projecting.
    void addFolderPath(const QString &folder);
    void removeCollectionEntry(const QString &folderOrCaptionFile);
    void rescan();
    void addCaption(const QString &text);
    void addCaptions(const QStringList &lines);   // one caption per non-empty line
    void editCaption(int index, const QString &text);
    void deleteCaptions(const QList<int> &indices);
    void undoDelete();
    bool canUndoDelete() const { return m_collection.canUndoDelete(); }

    void runSearch(const QString &prompt);        // the search field debounces typing and calls this
    void matchImageFile(const QString &path);     // ranked captions for an image (what a drop does)
    void cancelJob();
    void setProjectionMethod(ProjectionMethod method);
    void setColourBy(ColourBy by);
    ColourBy colourBy() const;
    // Saves a PNG of the window once the current load is done, then quits with 0 (1 on failure).
    void screenshotWhenReady(const QString &pngPath);

    MapView *mapView() const;
    SelectionPanel *selectionPanel() const;
    QTreeWidget *collectionView() const;
    QListWidget *captionsView() const;
    QLineEdit *captionEdit() const;
    QLineEdit *searchEdit() const;
    QListWidget *searchResultsView() const;
    QListWidget *matchesView() const;
    bool isBusy() const;
    QString lastError() const { return m_lastError; }   // of the last failed job ("" if none)
    const QList<MapPoint> &projectedPoints() const;      // the layout before aligning it to the old map
    bool layoutWasCached() const { return m_layoutCached; }
    AnalysisPanels *analysisPanels() const { return m_analysis; }   // clusters, zero-shot, duplicates, hubness, axes

Q_SIGNALS:
    void ready();   // the current workspace is loaded, embedded and projected (or failed to)
    void searchShown(const QString &prompt);
    void matchesShown(const QString &title);
    void colouringApplied();

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void buildMenus();
    void connectDocks();
    void connectEngine();
    void reopen() { openWorkspace(workspace(), m_workspaceFile); }
    void typedCaptionsChanged();
    void scanned(quint64 generation, const CollectionSnapshot &snapshot);
    void layoutReady(quint64 generation, const WorkspaceLayout &layout);
    void pointsUpdated(quint64 generation, const QList<MapPoint> &points);
    void queryAnswered(quint64 id, const QueryResult &result, bool search);
    void failed(quint64 id, const QString &message);
    void finishLoad(const QString &status);

    Collection m_collection;
    QString m_workspaceFile;
    quint64 m_generation = 0;
    quint64 m_queryId = 0;        // the newest search or match request; older answers are dropped
    bool m_scanDone = false;
    bool m_layoutDone = false;
    bool m_glide = false;         // the current load replaces a map on screen: animate to the new one
    bool m_layoutCached = false;
    QString m_lastError;
    WorkspaceView m_pendingView;  // restored once the opened workspace's layout is shown

    ExplorerEngine *m_engine = nullptr;
    MapPanel *m_mapPanel = nullptr;
    CollectionDock *m_collectionDock = nullptr;
    CaptionsDock *m_captionsDock = nullptr;
    SearchDock *m_searchDock = nullptr;
    MatchesDock *m_matchesDock = nullptr;
    JobStatus *m_status = nullptr;
    AnalysisPanels *m_analysis = nullptr;
    bool m_labelsWaited = false;   // a screenshot waits for cluster labels once
};

}  // namespace cospace
