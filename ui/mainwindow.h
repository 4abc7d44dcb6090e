#pragma once
// The explorer's main window: the map in the centre, dockable Collection, Captions, Search and
// Matches panels, a toolbar for the model and the projection, jobs in the status bar with Cancel.
// Scanning runs on the thread pool; embedding, projection and search on the ExplorerEngine's thread.
// Results for a workspace or query that was replaced meanwhile are dropped (generation and query ids).
// Implemented in mainwindow.cpp (window, docks, workspace) and mainwindow_explorer.cpp (engine).

#include "core/captionfile.h"
#include "core/search.h"
#include "core/workspace.h"

#include <QMainWindow>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QTimer;
class QTreeWidget;

namespace cospace {

class ExplorerEngine;
class MapView;
struct ExplorerLayout;
struct JobProgress;

// What loading a workspace found; built off the GUI thread.
struct CollectionSnapshot {
    struct Folder {
        QString path;
        QStringList images;
        QList<ParseIssue> issues;
    };
    QList<Folder> folders;
    QList<CaptionFile> captionFiles;
    int imageCount() const;
};
CollectionSnapshot loadCollection(const Workspace &workspace);

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // storePath empty = the default store (~/.local/share/cospace/cospace.db).
    explicit MainWindow(QWidget *parent = nullptr, const QString &storePath = {});
    ~MainWindow() override;

    void openWorkspace(const Workspace &workspace, const QString &file = {});
    const Workspace &workspace() const { return m_workspace; }
    MapView *mapView() const { return m_map; }
    bool isBusy() const { return m_busy; }
    QListWidget *searchResultsView() const { return m_results; }
    QListWidget *matchesView() const { return m_matches; }
    QLineEdit *searchEdit() const { return m_searchEdit; }
    // The message of the last failed job ("" if none): shown once in the status bar.
    QString lastError() const { return m_lastError; }

    // Saves a PNG of the window once the current load is done, then quits the application
    // with 0 (or 1 if the image could not be written).
    void screenshotWhenReady(const QString &pngPath);

    // Runs a search now (the search field debounces typing and calls this).
    void runSearch(const QString &prompt);
    // Ranks the workspace's captions for an image file (what dropping an image does).
    void matchImageFile(const QString &path);
    void cancelJob();

Q_SIGNALS:
    void ready();   // the current workspace is loaded, embedded and projected (or failed to)
    void searchShown(const QString &prompt);
    void matchesShown(const QString &title);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

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
    void addFolder();
    void loadCaptions();
    void openWorkspaceFile();
    void saveWorkspaceAs();
    void addTypedCaption();
    void showAbout();

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
};

}  // namespace cospace
