#include "ui/explorer/mainwindow.h"

#include "core/data/dataset.h"
#include "ui/explorer/analysispanels.h"
#include "ui/explorer/appmenus.h"
#include "ui/explorer/captionsdock.h"
#include "ui/explorer/clustersdock.h"
#include "ui/explorer/explorerengine.h"
#include "ui/explorer/mappanel.h"
#include "ui/explorer/matchesdock.h"
#include "ui/explorer/searchdock.h"
#include "ui/explorer/workspacefiles.h"
#include "ui/map/selectionpanel.h"
#include "ui/widgets/jobstatus.h"
#include "ui/widgets/screenshot.h"

#include <QCloseEvent>
#include <QFileInfo>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>

#include <memory>
#include <utility>

namespace cospace {

namespace {
constexpr int kSearchResults = 48;
constexpr int kMatchResults = 20;
}  // namespace

MainWindow::MainWindow(QWidget *parent, const QString &storePath)
    : QMainWindow(parent), m_engine(new ExplorerEngine(storePath, this))
{
    setWindowTitle(tr("Cospace"));
    setWindowIcon(QIcon(u":/icons/cospace.svg"_qs));
    setAcceptDrops(true);
    m_mapPanel = new MapPanel(this);
    m_collectionDock = new CollectionDock(this);
    addDockWidget(Qt::LeftDockWidgetArea, m_collectionDock);
    m_captionsDock = new CaptionsDock(this);
    addDockWidget(Qt::RightDockWidgetArea, m_captionsDock);
    m_searchDock = new SearchDock(this);
    addDockWidget(Qt::RightDockWidgetArea, m_searchDock);
    tabifyDockWidget(m_captionsDock, m_searchDock);
    m_searchDock->raise();
    m_matchesDock = new MatchesDock(this);
    addDockWidget(Qt::LeftDockWidgetArea, m_matchesDock);
    if (auto *selection = findChild<QDockWidget *>(u"selectionDock"_qs)) {
        tabifyDockWidget(m_matchesDock, selection);
        m_matchesDock->raise();   // Matches in front until something is selected
    }
    m_status = new JobStatus(this);
    statusBar()->addWidget(m_status, 1);
    m_analysis = new AnalysisPanels(this, m_engine, m_mapPanel, [this] { rescan(); },
                                    [this] { runSearch(searchEdit()->text()); });
    buildMenus();
    connectDocks();
    connectEngine();
    resize(1280, 800);
    QSettings settings;
    restoreGeometry(settings.value(u"window/geometry"_qs).toByteArray());
    restoreState(settings.value(u"window/state"_qs).toByteArray());
}

MainWindow::~MainWindow()
{
    delete m_engine;   // stops its thread after the running step, before the docks go
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    auto *files = new WorkspaceFiles(this, [this](const QString &f) { return openWorkspaceFile(f); },
                                     [this](const QString &f) { return saveWorkspaceTo(f); },
                                     [this] { return m_workspaceFile; });
    files->addActions(file);
    file->addSeparator();
    file->addActions({m_collectionDock->addFolderAction(), m_collectionDock->loadCaptionsAction()});
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_captionsDock->undoAction());
    edit->addSeparator();
    edit->addAction(m_collectionDock->rescanAction());

    QMenu *view = menuBar()->addMenu(tr("&View"));
    m_mapPanel->addViewActions(view);
    view->addSeparator();
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        view->addAction(dock->toggleViewAction());

    addApplicationMenus(this);
}

void MainWindow::connectDocks()
{
    connect(m_collectionDock, &CollectionDock::folderChosen, this, &MainWindow::addFolderPath);
    connect(m_collectionDock, &CollectionDock::captionFileChosen, this, [this](const QString &file) {
        if (m_collection.addCaptionFile(file))
            reopen();
    });
    connect(m_collectionDock, &CollectionDock::removeRequested, this, &MainWindow::removeCollectionEntry);
    connect(m_collectionDock, &CollectionDock::rescanRequested, this, &MainWindow::rescan);
    connect(m_captionsDock, &CaptionsDock::captionsAdded, this, &MainWindow::addCaptions);
    connect(m_captionsDock, &CaptionsDock::captionEdited, this, &MainWindow::editCaption);
    connect(m_captionsDock, &CaptionsDock::captionsDeleted, this, &MainWindow::deleteCaptions);
    connect(m_captionsDock, &CaptionsDock::undoRequested, this, &MainWindow::undoDelete);
    connect(m_captionsDock, &CaptionsDock::message, this, [this](const QString &m) { statusBar()->showMessage(m, 6000); });
    connect(m_searchDock, &SearchDock::searchRequested, this, &MainWindow::runSearch);
    connect(m_status, &JobStatus::cancelRequested, this, &MainWindow::cancelJob);
    connect(m_mapPanel, &MapPanel::methodChosen, this, &MainWindow::setProjectionMethod);
    connect(m_mapPanel, &MapPanel::modelChosen, this, [this](const QString &spec) {
        m_collection.workspace().model = spec;
        reopen();
    });
    connect(m_mapPanel, &MapPanel::colouringApplied, this, &MainWindow::colouringApplied);
    // Search results on the map (issue 20): a clicked result is centred there.
    connect(searchResultsView(), &QListWidget::itemClicked, this,
            [this](QListWidgetItem *item) { m_mapPanel->centreOnImage(item->data(Qt::UserRole).toString()); });
    connect(mapView(), &MapView::pointSelected, this, [this](int index) {
        if (index >= 0 && m_layoutDone && m_lastError.isEmpty())
            m_engine->matchPoint(index, ++m_queryId, kMatchResults);
    });
}

void MainWindow::connectEngine()
{
    connect(m_engine, &ExplorerEngine::progress, m_status, &JobStatus::showProgress);
    connect(m_engine, &ExplorerEngine::collectionScanned, this, &MainWindow::scanned);
    connect(m_engine, &ExplorerEngine::layoutBegun, this, [this](quint64 generation, const QList<MapPoint> &points) {
        if (generation == m_generation && !m_layoutDone && !m_glide)
            m_mapPanel->showPoints(points);
    });
    connect(m_engine, &ExplorerEngine::layoutStep, this, [this](quint64 generation, const QList<QPointF> &positions) {
        if (generation == m_generation && !m_layoutDone && !m_glide)
            m_mapPanel->showPositions(positions);
    });
    connect(m_engine, &ExplorerEngine::layoutReady, this, &MainWindow::layoutReady);
    connect(m_engine, &ExplorerEngine::pointsUpdated, this, &MainWindow::pointsUpdated);
    connect(m_engine, &ExplorerEngine::searchAnswered, this, [this](quint64 id, const QueryResult &r) { queryAnswered(id, r, true); });
    connect(m_engine, &ExplorerEngine::matchAnswered, this, [this](quint64 id, const QueryResult &r) { queryAnswered(id, r, false); });
    connect(m_engine, &ExplorerEngine::failed, this, &MainWindow::failed);
}

void MainWindow::openWorkspace(const Workspace &workspace, const QString &file)
{
    m_collection.workspace() = workspace;   // keeps the undo history of typed captions
    m_workspaceFile = file;
    // A saved view applies to this opening only (not to re-projections of it later).
    m_pendingView = std::exchange(m_collection.workspace().view, WorkspaceView{});
    if (!m_pendingView.colourBy.isEmpty())
        setColourBy(colourByFromKey(m_pendingView.colourBy));
    setWindowTitle(workspace.name.isEmpty() ? tr("Cospace") : tr("%1 — Cospace").arg(workspace.name));
    m_mapPanel->selectWorkspace(workspace);
    m_mapPanel->setFolders(workspace.folders);
    // Re-projecting what the map shows: keep the map until the new layout is ready, then glide.
    m_glide = m_layoutDone && m_lastError.isEmpty() && !projectedPoints().isEmpty();
    m_scanDone = m_layoutDone = false;
    m_lastError.clear();
    m_status->setBusy(true, tr("Scanning %n folder(s)…", nullptr, int(workspace.folders.size())));
    m_engine->open(this->workspace(), m_glide ? mapView()->points() : QList<MapPoint>(), ++m_generation);
}

void MainWindow::scanned(quint64 generation, const CollectionSnapshot &snapshot)
{
    if (generation != m_generation)
        return;   // a newer workspace replaced this one while it loaded
    m_scanDone = true;
    m_collectionDock->setSnapshot(snapshot);
    m_captionsDock->setFileCaptions(snapshot.captionFiles);
    m_captionsDock->setTypedCaptions(workspace().captions);
    if (!m_glide)
        m_mapPanel->showGallery(snapshot);   // until the space is embedded and projected
    if (m_lastError.isEmpty() && isBusy())
        m_status->setText(tr("%n image(s), %1 captions — embedding…", nullptr, snapshot.imageCount())
                              .arg(snapshot.captionCount() + workspace().captions.size()));
}

void MainWindow::layoutReady(quint64 generation, const WorkspaceLayout &layout)
{
    if (generation != m_generation)
        return;
    m_layoutDone = true;
    m_mapPanel->showLayout(layout.points, layout.projected, std::exchange(m_glide, false));
    if (m_pendingView != WorkspaceView{})
        m_mapPanel->restoreView(std::exchange(m_pendingView, WorkspaceView{}));
    m_mapPanel->setModelInfo(layout.modelName, layout.modalityGap, layout.modelSource, layout.modelRunsCode);
    m_layoutCached = layout.cachedLayout;
    m_collectionDock->setSkipped(layout.skipped);
    m_status->showLayoutSummary(layout);
    finishLoad(m_status->text());
    if (!searchEdit()->text().isEmpty())
        runSearch(searchEdit()->text());
}

void MainWindow::pointsUpdated(quint64 generation, const QList<MapPoint> &points)
{
    if (generation != m_generation)
        return;
    m_layoutDone = true;
    m_mapPanel->showLayout(points, points, true);   // the placed captions appear, nothing else moves
    finishLoad(tr("%n typed caption(s) placed on the map", nullptr, int(workspace().captions.size())));
}

void MainWindow::failed(quint64 id, const QString &message)
{
    if (id == m_generation && !m_layoutDone) {
        // The workspace could not be embedded or projected: keep the gallery and say why, once.
        m_layoutDone = true;
        m_glide = false;
        m_lastError = message;
        m_mapPanel->setNoModel();
        finishLoad(tr("Not embedded: %1").arg(message));
    } else if (id == m_queryId) {
        m_lastError = message;
        statusBar()->showMessage(message, 8000);
    }
}

void MainWindow::finishLoad(const QString &status)
{
    m_status->setBusy(false, status);
    Q_EMIT ready();
}

QString MainWindow::openWorkspaceFile(const QString &file)
{
    try {
        openWorkspace(Workspace::load(file), QFileInfo(file).absoluteFilePath());
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
    WorkspaceFiles::rememberRecent(file);
    return {};
}

QString MainWindow::saveWorkspaceTo(const QString &file)
{
    Workspace w = workspace();
    w.view = m_mapPanel->currentView();
    try {
        w.save(file);
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
    m_workspaceFile = QFileInfo(file).absoluteFilePath();
    WorkspaceFiles::rememberRecent(file);
    return {};
}

void MainWindow::addFolderPath(const QString &folder)
{
    m_collection.addFolder(folder);
    reopen();   // a folder already there is re-scanned
}

void MainWindow::removeCollectionEntry(const QString &folderOrCaptionFile)
{
    if (m_collection.removeEntry(folderOrCaptionFile))
        reopen();
}

void MainWindow::rescan() { reopen(); }   // the store notices new, changed and removed files

void MainWindow::addCaption(const QString &text) { addCaptions({text}); }

void MainWindow::addCaptions(const QStringList &lines)
{
    if (m_collection.addCaptions(lines) > 0)
        typedCaptionsChanged();
}

void MainWindow::editCaption(int index, const QString &text)
{
    if (m_collection.editCaption(index, text))
        typedCaptionsChanged();
}

void MainWindow::deleteCaptions(const QList<int> &indices)
{
    if (m_collection.deleteCaptions(indices))
        typedCaptionsChanged();
}

void MainWindow::undoDelete()
{
    if (m_collection.undoDelete())
        typedCaptionsChanged();
}

// Typed captions go onto the map as it is (out-of-sample placement): no re-projection.
void MainWindow::typedCaptionsChanged()
{
    m_captionsDock->setTypedCaptions(workspace().captions);
    m_captionsDock->undoAction()->setEnabled(m_collection.canUndoDelete());
    if (!m_layoutDone || !m_lastError.isEmpty())
        return reopen();
    m_layoutDone = false;
    m_status->setBusy(true, tr("Placing captions…"));
    m_engine->updateTypedCaptions(workspace(), ++m_generation);
}

void MainWindow::runSearch(const QString &prompt)
{
    const quint64 id = ++m_queryId;
    if (prompt.trimmed().isEmpty()) {
        m_searchDock->clearResults();
        mapView()->setQueryMarker({}, {});
        m_mapPanel->showSearchHits({});
        m_mapPanel->setSimilarities({}, {});
        return;
    }
    m_engine->search(prompt, id, kSearchResults);
}

void MainWindow::matchImageFile(const QString &path)
{
    m_matchesDock->setWaiting(tr("Matching %1…").arg(QFileInfo(path).fileName()));
    m_engine->matchImage(path, ++m_queryId, kMatchResults);
}

void MainWindow::queryAnswered(quint64 id, const QueryResult &result, bool search)
{
    if (id != m_queryId)
        return;   // the user asked something newer meanwhile
    if (result.position)
        mapView()->setQueryMarker(*result.position, result.label);
    if (!result.similarities.isEmpty())
        m_mapPanel->setSimilarities(result.similarities, result.label);
    if (search) {
        m_searchDock->showResults(result.hits);
        m_mapPanel->showSearchHits(result.hits);   // rings on the hits, the rest dimmed
        Q_EMIT searchShown(result.label);
    } else {
        m_matchesDock->showMatches(result.label, result.hits);
        Q_EMIT matchesShown(result.label);
    }
}

void MainWindow::cancelJob() { m_engine->cancel(); }

void MainWindow::setProjectionMethod(ProjectionMethod method)
{
    m_collection.workspace().method = method;
    reopen();
}

void MainWindow::setColourBy(ColourBy by) { m_mapPanel->setColourBy(by); }
ColourBy MainWindow::colourBy() const { return m_mapPanel->colourBy(); }

void MainWindow::screenshotWhenReady(const QString &pngPath)
{
    auto take = [this, pngPath] {
        // Give queued thumbnail loads a moment to land before looking at the labels.
        QTimer::singleShot(1500, this, [this, pngPath] {
            // Cluster labels still on their way are waited for (once, at most a minute): they belong on the map.
            if (ClustersDock *clusters = m_analysis->clusters(); clusters->computing() && !std::exchange(m_labelsWaited, true)) {
                auto shoot = std::make_shared<bool>(true);   // whichever comes first: the labels or the minute
                const auto once = [this, pngPath, shoot] {
                    if (std::exchange(*shoot, false))
                        saveScreenshotThenQuit(this, pngPath, 0);
                };
                QTimer::singleShot(60000, this, once);
                connect(clusters, &ClustersDock::clustersShown, this, once, Qt::SingleShotConnection);
                return;
            }
            saveScreenshotThenQuit(this, pngPath, 0);
        });
    };
    if (isBusy())
        connect(this, &MainWindow::ready, this, take, Qt::SingleShotConnection);
    else
        take();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    // Folders join the collection wherever they are dropped; image files are matched (the first)
    // and, when dropped onto the map, join the collection too.
    const bool ontoMap = mapView()->rect().contains(mapView()->mapFrom(this, event->position().toPoint()));
    QStringList paths;
    for (const QUrl &url : event->mimeData()->urls())
        paths << url.toLocalFile();
    QString firstImage;
    const bool added = m_collection.addDropped(paths, ontoMap, &firstImage);
    if (!firstImage.isEmpty())
        matchImageFile(firstImage);   // ranked captions for the dropped image
    if (added)
        reopen();
    event->acceptProposedAction();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(u"window/geometry"_qs, saveGeometry());
    settings.setValue(u"window/state"_qs, saveState());
    event->accept();
}

MapView *MainWindow::mapView() const { return m_mapPanel->map(); }
SelectionPanel *MainWindow::selectionPanel() const { return m_mapPanel->selectionPanel(); }
QTreeWidget *MainWindow::collectionView() const { return m_collectionDock->tree(); }
QListWidget *MainWindow::captionsView() const { return m_captionsDock->list(); }
QLineEdit *MainWindow::captionEdit() const { return m_captionsDock->edit(); }
QLineEdit *MainWindow::searchEdit() const { return m_searchDock->edit(); }
QListWidget *MainWindow::searchResultsView() const { return m_searchDock->results(); }
QListWidget *MainWindow::matchesView() const { return m_matchesDock->list(); }
bool MainWindow::isBusy() const { return m_status->isBusy(); }
const QList<MapPoint> &MainWindow::projectedPoints() const { return m_mapPanel->projectedPoints(); }

}  // namespace cospace
