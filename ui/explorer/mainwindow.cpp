#include "ui/explorer/mainwindow.h"

#include "core/data/dataset.h"
#include "ui/explorer/explorerengine.h"
#include "ui/widgets/limitsdialog.h"
#include "ui/map/mapcolouring.h"
#include "ui/map/mapview.h"
#include "ui/inspector/traininginspector.h"

#include <QApplication>
#include <QCloseEvent>
#include <QPushButton>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPointer>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <cmath>

namespace cospace {

MainWindow::MainWindow(QWidget *parent, const QString &storePath) : QMainWindow(parent)
{
    setWindowTitle(tr("Cospace"));
    setWindowIcon(QIcon(u":/icons/cospace.svg"_qs));
    setAcceptDrops(true);
    m_map = new MapView(this);
    setCentralWidget(m_map);
    buildDocks();
    buildExplorerDocks();
    buildMenus();
    m_jobLabel = new QLabel(this);
    m_jobProgress = new QProgressBar(this);
    m_jobProgress->setMaximumWidth(200);
    m_jobProgress->setVisible(false);
    m_cancelButton = new QPushButton(tr("Cancel"), this);
    m_cancelButton->setVisible(false);
    connect(m_cancelButton, &QPushButton::clicked, this, &MainWindow::cancelJob);
    statusBar()->addWidget(m_jobLabel, 1);
    statusBar()->addPermanentWidget(m_jobProgress);
    statusBar()->addPermanentWidget(m_cancelButton);
    connectEngine(storePath);

    resize(1280, 800);
    QSettings settings;
    restoreGeometry(settings.value(u"window/geometry"_qs).toByteArray());
    restoreState(settings.value(u"window/state"_qs).toByteArray());
}

MainWindow::~MainWindow()
{
    delete m_engine;   // stops its thread after the running step
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(QIcon::fromTheme(u"document-open"_qs), tr("&Open Workspace…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O),
                    this, &MainWindow::openWorkspaceDialog);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    file->addAction(QIcon::fromTheme(u"document-save"_qs), tr("&Save Workspace"), QKeySequence::Save, this, &MainWindow::saveWorkspace);
    file->addAction(QIcon::fromTheme(u"document-save-as"_qs), tr("Save Workspace &As…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S),
                    this, &MainWindow::saveWorkspaceAs);
    file->addSeparator();
    file->addAction(QIcon::fromTheme(u"folder-new"_qs), tr("Add &Folder…"), QKeySequence(Qt::CTRL | Qt::Key_O), this, &MainWindow::addFolder);
    file->addAction(QIcon::fromTheme(u"document-import"_qs), tr("&Load Captions…"), QKeySequence(Qt::CTRL | Qt::Key_L), this, &MainWindow::loadCaptions);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_undoDelete);
    edit->addSeparator();
    edit->addAction(m_rescan);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    // Plain + and − too (the issue's shortcuts); a focused text field still gets them as text.
    QAction *zoomIn = view->addAction(QIcon::fromTheme(u"zoom-in"_qs), tr("Zoom &In"), this, [this] { m_map->zoomBy(1.25, m_map->rect().center()); });
    zoomIn->setShortcuts({QKeySequence::ZoomIn, QKeySequence(Qt::Key_Plus), QKeySequence(Qt::Key_Equal)});
    QAction *zoomOut = view->addAction(QIcon::fromTheme(u"zoom-out"_qs), tr("Zoom &Out"), this, [this] { m_map->zoomBy(0.8, m_map->rect().center()); });
    zoomOut->setShortcuts({QKeySequence::ZoomOut, QKeySequence(Qt::Key_Minus)});
    view->addAction(QIcon::fromTheme(u"zoom-fit-best"_qs), tr("&Fit to Window"), QKeySequence(Qt::CTRL | Qt::Key_0), this, [this] { m_map->fitToView(); });
    QAction *pairLines = view->addAction(tr("&Pair Lines"), this, [this](bool on) { m_map->setPairLinesVisible(on); });
    pairLines->setCheckable(true);
    pairLines->setChecked(m_map->pairLinesVisible());
    pairLines->setToolTip(tr("Lines from each caption to its image: green where the model ranks that image first"));
    buildMapPanels(view);
    view->addSeparator();
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        view->addAction(dock->toggleViewAction());

    QMenu *training = menuBar()->addMenu(tr("&Training"));
    training->addAction(tr("&New Training…"), this, [] { openTrainingInspector(); });
    training->addAction(tr("&Open Run…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Run Folder"));
        if (!dir.isEmpty())
            openTrainingInspector(dir);
    });

    QMenu *settings = menuBar()->addMenu(tr("&Settings"));
    settings->addAction(QIcon::fromTheme(u"preferences-system"_qs), tr("Input &Limits…"), this, [this] {
        if (LimitsDialog::edit(this))
            statusBar()->showMessage(tr("New limits apply to the next scan, caption file and model load"), 5000);
    });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Cospace"), this, &MainWindow::showAbout);
}

void MainWindow::buildDocks()
{
    auto *collectionDock = new QDockWidget(tr("Collection"), this);
    collectionDock->setObjectName(u"collectionDock"_qs);
    m_collection = new QTreeWidget(collectionDock);
    m_collection->setHeaderLabels({tr("Folder / file"), tr("Count")});
    m_collection->setColumnWidth(0, 220);
    collectionDock->setWidget(m_collection);
    addDockWidget(Qt::LeftDockWidgetArea, collectionDock);

    auto *captionDock = new QDockWidget(tr("Captions"), this);
    captionDock->setObjectName(u"captionDock"_qs);
    auto *captionPanel = new QWidget(captionDock);
    auto *layout = new QVBoxLayout(captionPanel);
    layout->setContentsMargins(4, 4, 4, 4);
    m_captionEdit = new QLineEdit(captionPanel);
    m_captionEdit->setPlaceholderText(tr("Type a caption and press Enter"));
    m_captionEdit->setClearButtonEnabled(true);
    connect(m_captionEdit, &QLineEdit::returnPressed, this, &MainWindow::addTypedCaption);
    m_captions = new QListWidget(captionPanel);
    m_captions->setUniformItemSizes(true);
    m_captions->setSelectionMode(QAbstractItemView::ExtendedSelection);
    layout->addWidget(m_captionEdit);
    layout->addWidget(m_captions);
    captionDock->setWidget(captionPanel);
    addDockWidget(Qt::RightDockWidgetArea, captionDock);
    buildCollectionActions();
}

void MainWindow::openWorkspace(const Workspace &workspace, const QString &file)
{
    m_workspace = workspace;
    m_workspaceFile = file;
    // A saved view applies to this opening only (not to re-projections of it later).
    m_pendingView = std::exchange(m_workspace.view, WorkspaceView{});
    if (!m_pendingView.colourBy.isEmpty())
        setColourBy(colourByFromKey(m_pendingView.colourBy));
    setWindowTitle(workspace.name.isEmpty() ? tr("Cospace") : tr("%1 — Cospace").arg(workspace.name));
    selectInToolbar(workspace);
    const quint64 generation = ++m_generation;
    // Re-projecting what the map shows (another method, items added or removed): keep the map until
    // the new layout is ready, then animate to it.
    if (m_layoutDone && m_lastError.isEmpty() && !m_projected.isEmpty())
        m_previousLayout = m_map->points();
    m_projected.clear();
    m_scanDone = m_layoutDone = false;
    m_lastError.clear();
    m_skippedPaths.clear();
    m_skippedReasons.clear();
    setBusy(true, tr("Scanning %n folder(s)…", nullptr, int(workspace.folders.size())));
    m_engine->invokeOpen(workspace, generation);   // scans first: collectionScanned -> applySnapshot
}

void MainWindow::applySnapshot(const CollectionSnapshot &snapshot)
{
    m_collection->clear();
    for (const CollectionSnapshot::Folder &folder : snapshot.folders) {
        auto *item = new QTreeWidgetItem(m_collection, {QFileInfo(folder.path).fileName(),
                                                        QString::number(folder.scan.images.size())});
        item->setToolTip(0, folder.path);
        item->setData(0, Qt::UserRole, folder.path);
        item->setData(0, kCollectionKindRole, u"folder"_qs);
        for (const ParseIssue &issue : folder.scan.issues)
            (new QTreeWidgetItem(item, {issue.toString(), tr("skipped")}))->setToolTip(0, issue.file);
    }
    const QSignalBlocker noEdits(m_captions);   // filling the list is not editing it
    m_captions->clear();
    QList<MapPoint> points;
    QHash<QString, int> imageIndex;
    for (const CollectionSnapshot::Folder &folder : snapshot.folders)
        for (const QString &image : folder.scan.images)
            if (!imageIndex.contains(image)) {
                imageIndex.insert(image, int(points.size()));
                points.append({MapPoint::Image, {}, image, QFileInfo(image).fileName()});
            }
    // Until a model is chosen and the space projected, the map is a gallery grid; each caption
    // sits beside its image so pairs can be seen.
    const int columns = std::max(1, int(std::ceil(std::sqrt(double(points.size())))));
    for (int i = 0; i < points.size(); ++i)
        points[i].pos = QPointF(i % columns, i / columns);
    for (const CaptionFile &file : snapshot.captionFiles) {
        auto *item = new QTreeWidgetItem(m_collection, {QFileInfo(file.path).fileName(),
                                                        QString::number(file.rows.size())});
        item->setToolTip(0, file.path);
        item->setData(0, Qt::UserRole, file.path);
        item->setData(0, kCollectionKindRole, u"captionFile"_qs);
        for (const ParseIssue &issue : file.issues)
            new QTreeWidgetItem(item, {issue.toString(), tr("bad row")});
        for (const ParseIssue &notice : file.notices)
            new QTreeWidgetItem(item, {notice.toString(), tr("cut")});
        QHash<int, int> perImage;
        for (const CaptionRow &row : file.rows) {
            addCaptionItem(row.caption, -1, file.path);
            const auto it = imageIndex.constFind(row.image);
            if (it == imageIndex.constEnd())
                continue;
            const int k = perImage[*it]++;
            const QPointF base = points[*it].pos;
            points.append({MapPoint::Caption, base + QPointF(0.42, -0.3 + 0.2 * (k % 4)), {}, row.caption});
        }
    }
    for (int i = 0; i < m_workspace.captions.size(); ++i)
        addCaptionItem(m_workspace.captions[i], i, {});
    m_scanDone = true;
    if (m_layoutDone)
        showSkipped();
    m_collection->expandAll();
    if (!m_layoutDone) {
        // Until the space is embedded and projected, the map shows a gallery grid (or, when
        // re-projecting, the previous layout).
        if (m_previousLayout.isEmpty()) {
            m_map->setPoints(std::move(points));
            applyColouring();
        }
        if (m_lastError.isEmpty() && m_busy)
            m_jobLabel->setText(tr("%n image(s), %1 captions — embedding…", nullptr, snapshot.imageCount())
                                    .arg(m_captions->count()));
    } else {
        setBusy(false, m_jobLabel->text());
        Q_EMIT ready();
    }
}

void MainWindow::setBusy(bool busy, const QString &what)
{
    m_busy = busy;
    m_jobLabel->setText(what);
    m_jobProgress->setVisible(busy);
    m_cancelButton->setVisible(busy);
    m_jobProgress->setRange(0, 0);  // indeterminate until the job reports a total
}

void MainWindow::screenshotWhenReady(const QString &pngPath)
{
    m_pendingScreenshot = pngPath;
    auto take = [this] {
        // Give queued thumbnail loads a moment to land before grabbing.
        QTimer::singleShot(1500, this, [this] {
            const bool ok = grab().save(m_pendingScreenshot, "PNG");
            if (!ok)
                qWarning("cannot write screenshot %s", qPrintable(m_pendingScreenshot));
            QApplication::exit(ok ? 0 : 1);
        });
    };
    if (m_busy)
        connect(this, &MainWindow::ready, this, take, Qt::SingleShotConnection);
    else
        take();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Cospace"),
                       tr("<h3>Cospace %1</h3><p>Explore shared image–text embedding spaces.</p>"
                          "<p><b>Demo data licences</b><br>"
                          "Noto Color Emoji art (via npm <i>emoji-datasource-google</i>, MIT): Apache License 2.0.<br>"
                          "OpenMoji art and annotations (npm <i>openmoji</i>): CC BY-SA 4.0.<br>"
                          "Twemoji art (via npm <i>emoji-datasource-twitter</i>, MIT): CC BY 4.0, © Twitter, Inc. and contributors.<br>"
                          "CLIP BPE vocabulary: MIT, © 2021 OpenAI.</p>")
                           .arg(QString::fromLatin1(COSPACE_VERSION)));
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
    const bool ontoMap = m_map->rect().contains(m_map->mapFrom(this, event->position().toPoint()));
    Workspace w = m_workspace;
    QString firstImage;
    for (const QUrl &url : event->mimeData()->urls()) {
        const QFileInfo info(url.toLocalFile());
        const QString path = QDir::cleanPath(info.absoluteFilePath());
        const bool image = info.isFile() && hasImageExtension(info.fileName());
        if ((info.isDir() || (image && ontoMap)) && !w.folders.contains(path))
            w.folders << path;
        if (image && firstImage.isEmpty())
            firstImage = path;
    }
    if (!firstImage.isEmpty())
        matchImageFile(firstImage);   // ranked captions for the dropped image
    if (w.folders != m_workspace.folders)
        openWorkspace(w, m_workspaceFile);
    event->acceptProposedAction();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(u"window/geometry"_qs, saveGeometry());
    settings.setValue(u"window/state"_qs, saveState());
    event->accept();
}

}  // namespace cospace
