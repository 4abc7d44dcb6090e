#pragma once
// The explorer's main window: the map in the centre, dockable Collection, Captions and Jobs
// panels. Heavy work (scanning folders, reading caption files) runs on the thread pool; results
// for a workspace that was replaced meanwhile are dropped (generation counter).

#include "core/captionfile.h"
#include "core/workspace.h"

#include <QMainWindow>

class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QTreeWidget;

namespace cospace {

class MapView;

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
    explicit MainWindow(QWidget *parent = nullptr);

    void openWorkspace(const Workspace &workspace, const QString &file = {});
    const Workspace &workspace() const { return m_workspace; }
    MapView *mapView() const { return m_map; }
    bool isBusy() const { return m_busy; }

    // Saves a PNG of the window once the current load is done, then quits the application
    // with 0 (or 1 if the image could not be written).
    void screenshotWhenReady(const QString &pngPath);

Q_SIGNALS:
    void ready();   // the current workspace is loaded and drawn

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void buildMenus();
    void buildDocks();
    void applySnapshot(const CollectionSnapshot &snapshot);
    void setBusy(bool busy, const QString &what = {});
    void addFolder();
    void loadCaptions();
    void openWorkspaceFile();
    void saveWorkspaceAs();
    void addTypedCaption();
    void showAbout();

    Workspace m_workspace;
    QString m_workspaceFile;
    quint64 m_generation = 0;
    bool m_busy = false;
    QString m_pendingScreenshot;

    MapView *m_map = nullptr;
    QTreeWidget *m_collection = nullptr;
    QListWidget *m_captions = nullptr;
    QLineEdit *m_captionEdit = nullptr;
    QLabel *m_jobLabel = nullptr;
    QProgressBar *m_jobProgress = nullptr;
};

}  // namespace cospace
