#pragma once
// The explorer's main window: the map in the centre, dockable Collection, Captions, Search and
// Matches panels, a toolbar for the model and the projection, jobs in the status bar with Cancel.
// Scanning, embedding, projection and search run on the ExplorerEngine's thread.
// Results for a workspace or query that was replaced meanwhile are dropped (generation and query ids).
// Implemented in mainwindow.cpp (window, docks, workspace) and mainwindow_explorer.cpp (engine).

#include "core/data/captionfile.h"
#include "core/search/search.h"
#include "core/explorer/workspace.h"

#include "ui/map/mapview.h"

#include <QMainWindow>

class QActionGroup;
class QComboBox;
class QMenu;
class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QAction;
class QProgressBar;
class QPushButton;
class QTimer;
class QTreeWidget;

namespace cospace {

class ExplorerEngine;
struct CollectionSnapshot;
class MapView;
class SelectionPanel;
enum class ColourBy;
struct ExplorerLayout;
struct JobProgress;


// Collection tree items: Qt::UserRole holds the folder or file path, this role its kind
// ("folder" or "captionFile").
inline constexpr int kCollectionKindRole = Qt::UserRole + 1;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // storePath empty = the default store (~/.local/share/cospace/cospace.db).
    explicit MainWindow(QWidget *parent = nullptr, const QString &storePath = {});
    ~MainWindow() override;

    void openWorkspace(const Workspace &workspace, const QString &file = {});
    // Opens or writes a workspace file (with the current view: zoom, centre, colouring, selected
    // item). Both return an error message, or an empty string on success; openWorkspaceFile adds
    // the file to File ▸ Open Recent (QSettings).
    QString openWorkspaceFile(const QString &file);
    QString saveWorkspaceTo(const QString &file);
    QString workspaceFile() const { return m_workspaceFile; }

    // The collection (mainwindow_collection.cpp). Each change re-embeds what is new and re-projects;
    // the map animates from the old layout to the new one.
    void addFolderPath(const QString &folder);
    void removeCollectionEntry(const QString &folderOrCaptionFile);
    void rescan();
    // Typed captions: add, edit (index into workspace().captions), delete (undoable), undo.
    void addCaption(const QString &text);
    void addCaptions(const QStringList &lines);   // one caption per non-empty line
    void editCaption(int index, const QString &text);
    void deleteCaptions(QList<int> indices);
    void undoDelete();
    bool canUndoDelete() const { return !m_deletedCaptions.isEmpty(); }
    QListWidget *captionsView() const { return m_captions; }
    QLineEdit *captionEdit() const { return m_captionEdit; }
    QTreeWidget *collectionView() const { return m_collection; }
    const Workspace &workspace() const { return m_workspace; }
    MapView *mapView() const { return m_map; }
    bool isBusy() const { return m_busy; }
    QListWidget *searchResultsView() const { return m_results; }
    QListWidget *matchesView() const { return m_matches; }
    QLineEdit *searchEdit() const { return m_searchEdit; }
    // The message of the last failed job ("" if none): shown once in the status bar.
    QString lastError() const { return m_lastError; }
    SelectionPanel *selectionPanel() const { return m_selectionPanel; }
    // The layout as the engine delivered it (before aligning it to the previous map for the transition).
    const QList<MapPoint> &projectedPoints() const { return m_projected; }
    bool layoutWasCached() const { return m_layoutCached; }   // the last layout came from the cache

    // How the map is coloured (mainwindow_map.cpp). Cluster colours are computed on the thread pool:
    // colouringApplied() is emitted once the map shows the requested colouring.
    void setColourBy(ColourBy by);
    ColourBy colourBy() const { return m_colourBy; }

    // Saves a PNG of the window once the current load is done, then quits the application
    // with 0 (or 1 if the image could not be written).
    void screenshotWhenReady(const QString &pngPath);

    // Runs a search now (the search field debounces typing and calls this).
    void runSearch(const QString &prompt);
    // Ranks the workspace's captions for an image file (what dropping an image does).
    void matchImageFile(const QString &path);
    void cancelJob();
    // Re-projects the workspace with "umap", "tsne" or "pca" (the toolbar's switcher).
    void setProjectionMethod(const QString &method);

Q_SIGNALS:
    void ready();   // the current workspace is loaded, embedded and projected (or failed to)
    void searchShown(const QString &prompt);
    void matchesShown(const QString &title);
    void colouringApplied();

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;   // pasting many captions at once

private:
    void buildMenus();
    void buildDocks();
    // mainwindow_explorer.cpp: the search, matches and toolbar panels and the engine's signals.
    void buildExplorerDocks();
    void connectEngine(const QString &storePath);
    void selectInToolbar(const Workspace &workspace);
    void applySnapshot(const CollectionSnapshot &snapshot);
    void applyLayout(quint64 generation, const ExplorerLayout &layout);
    void showProgress(const JobProgress &progress);
    void showSearchResults(quint64 id, const QString &prompt, const QList<SearchHit> &hits);
    void showMatches(quint64 id, const QString &title, const QList<SearchHit> &hits);
    void showFailure(quint64 id, const QString &message);
    void setBusy(bool busy, const QString &what = {});
    void reopen();
    void chooseModel(int index);
    // mainwindow_collection.cpp: folders, caption files and typed captions.
    void buildCollectionActions();
    void addFolder();
    void loadCaptions();
    void addCaptionItem(const QString &text, int typedIndex, const QString &file);
    void captionEdited(QListWidgetItem *item);
    void showSkipped();   // files the embedding skipped, under their folders in the Collection
    // mainwindow_workspace.cpp: workspace files, recent workspaces, the saved view.
    void openWorkspaceDialog();
    void saveWorkspace();
    void saveWorkspaceAs();
    void rebuildRecentMenu();
    void rememberRecent(const QString &file);
    WorkspaceView currentView() const;
    void restoreView();
    void addTypedCaption();
    void showAbout();
    // mainwindow_map.cpp: colourings, the selection panel, animated layout transitions.
    void buildMapPanels(QMenu *view);
    void applyColouring();
    void showSimilarities(quint64 id, const QList<float> &scores, const QString &label);
    void showLayout(const QList<MapPoint> &points);

    Workspace m_workspace;
    QString m_workspaceFile;
    quint64 m_generation = 0;
    quint64 m_queryId = 0;       // the newest search or match request; older answers are dropped
    bool m_busy = false;
    bool m_scanDone = false;
    bool m_layoutDone = false;
    QString m_pendingScreenshot;
    QString m_lastError;
    ExplorerEngine *m_engine = nullptr;

    MapView *m_map = nullptr;
    QTreeWidget *m_collection = nullptr;
    QListWidget *m_captions = nullptr;
    QLineEdit *m_captionEdit = nullptr;
    QLabel *m_jobLabel = nullptr;
    QProgressBar *m_jobProgress = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QLineEdit *m_searchEdit = nullptr;
    QListWidget *m_results = nullptr;
    QListWidget *m_matches = nullptr;
    QLabel *m_matchesTitle = nullptr;
    QComboBox *m_method = nullptr;
    QComboBox *m_model = nullptr;
    QLabel *m_modelInfo = nullptr;
    QTimer *m_searchDebounce = nullptr;

    SelectionPanel *m_selectionPanel = nullptr;
    QComboBox *m_colourCombo = nullptr;
    QActionGroup *m_colourActions = nullptr;
    ColourBy m_colourBy{};
    quint64 m_colouringId = 0;        // the newest colouring request; older cluster jobs are dropped
    QList<float> m_similarity;        // the current query's cosine per map point, or empty
    QString m_similarityLabel;
    QList<MapPoint> m_previousLayout; // the map before a re-projection, for the animated transition
    QList<MapPoint> m_projected;
    bool m_layoutCached = false;
    QMenu *m_recentMenu = nullptr;
    WorkspaceView m_pendingView;      // to restore once the opened workspace's layout is shown
    QList<QList<QPair<int, QString>>> m_deletedCaptions;   // undo stack: (index, text) per deletion
    QAction *m_undoDelete = nullptr;
    QAction *m_rescan = nullptr;
    QStringList m_skippedPaths, m_skippedReasons;   // from the last embedding
};

}  // namespace cospace
