// MainWindow, part two: the explorer panels (search, matches, model/projection toolbar) and the
// wiring to the ExplorerEngine. See mainwindow.h.

#include "ui/explorer/mainwindow.h"

#include "core/store/embeddingstore.h"
#include "ui/explorer/explorerengine.h"
#include "ui/map/mapcolouring.h"
#include "ui/map/mapview.h"

#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

namespace cospace {

namespace {
constexpr int kSearchResults = 48;
constexpr int kMatchResults = 20;
constexpr int kSearchDebounceMs = 250;

QIcon thumbnail(const QString &path, int side)
{
    QPixmap pixmap;
    if (!pixmap.load(path))
        return {};
    // Scaled for the screen's device pixels, so thumbnails stay sharp on HiDPI displays.
    const qreal dpr = qApp->devicePixelRatio();
    QPixmap scaled = pixmap.scaled(QSize(side, side) * dpr, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    scaled.setDevicePixelRatio(dpr);
    return QIcon(scaled);
}
}  // namespace

void MainWindow::buildExplorerDocks()
{
    auto *searchDock = new QDockWidget(tr("Search"), this);
    searchDock->setObjectName(u"searchDock"_qs);
    auto *searchPanel = new QWidget(searchDock);
    auto *searchLayout = new QVBoxLayout(searchPanel);
    searchLayout->setContentsMargins(4, 4, 4, 4);
    m_searchEdit = new QLineEdit(searchPanel);
    m_searchEdit->setPlaceholderText(tr("Find images: fruit, beach -people, 0.7 red car + 0.3 night"));
    m_searchEdit->setClearButtonEnabled(true);
    m_searchDebounce = new QTimer(this);
    m_searchDebounce->setSingleShot(true);
    m_searchDebounce->setInterval(kSearchDebounceMs);
    connect(m_searchEdit, &QLineEdit::textChanged, m_searchDebounce, qOverload<>(&QTimer::start));
    connect(m_searchDebounce, &QTimer::timeout, this, [this] { runSearch(m_searchEdit->text()); });
    m_results = new QListWidget(searchPanel);
    m_results->setViewMode(QListView::IconMode);
    m_results->setIconSize(QSize(64, 64));
    m_results->setGridSize(QSize(100, 112));
    m_results->setResizeMode(QListView::Adjust);
    m_results->setMovement(QListView::Static);
    m_results->setWordWrap(true);
    searchLayout->addWidget(m_searchEdit);
    searchLayout->addWidget(m_results);
    searchDock->setWidget(searchPanel);
    addDockWidget(Qt::RightDockWidgetArea, searchDock);
    if (auto *captions = findChild<QDockWidget *>(u"captionDock"_qs))
        tabifyDockWidget(captions, searchDock);
    searchDock->raise();
    auto *find = new QShortcut(QKeySequence::Find, this);
    connect(find, &QShortcut::activated, this, [this, searchDock] {
        searchDock->show();
        searchDock->raise();
        m_searchEdit->setFocus();
        m_searchEdit->selectAll();
    });

    auto *matchDock = new QDockWidget(tr("Matches"), this);
    matchDock->setObjectName(u"matchDock"_qs);
    auto *matchPanel = new QWidget(matchDock);
    auto *matchLayout = new QVBoxLayout(matchPanel);
    matchLayout->setContentsMargins(4, 4, 4, 4);
    m_matchesTitle = new QLabel(tr("Drop an image anywhere, or click a point on the map."), matchPanel);
    m_matchesTitle->setWordWrap(true);
    m_matches = new QListWidget(matchPanel);
    m_matches->setIconSize(QSize(32, 32));
    matchLayout->addWidget(m_matchesTitle);
    matchLayout->addWidget(m_matches);
    matchDock->setWidget(matchPanel);
    addDockWidget(Qt::LeftDockWidgetArea, matchDock);

    QToolBar *bar = addToolBar(tr("Map"));
    bar->setObjectName(u"mapToolBar"_qs);
    bar->addWidget(new QLabel(tr(" Model "), bar));
    m_model = new QComboBox(bar);
    m_model->addItem(tr("Default (emoji)"), u"default"_qs);
    m_model->addItem(tr("Open Model…"));
    m_model->setItemData(1, tr("CLIP weights (.safetensors, .pt, .bin; OpenCLIP or Hugging Face folders: pick their\n"
                               "config file), a Cospace bundle (cospace-model.json) or checkpoint (.ckpt)"), Qt::ToolTipRole);
    connect(m_model, &QComboBox::activated, this, &MainWindow::chooseModel);
    bar->addWidget(m_model);
    bar->addWidget(new QLabel(tr("  Projection "), bar));
    m_method = new QComboBox(bar);
    m_method->addItem(u"UMAP"_qs, u"umap"_qs);
    m_method->addItem(u"t-SNE"_qs, u"tsne"_qs);
    m_method->addItem(u"PCA"_qs, u"pca"_qs);
    connect(m_method, &QComboBox::activated, this, [this] { setProjectionMethod(m_method->currentData().toString()); });
    bar->addWidget(m_method);
    m_modelInfo = new QLabel(bar);
    m_modelInfo->setContentsMargins(12, 0, 0, 0);
    bar->addWidget(m_modelInfo);
}

void MainWindow::connectEngine(const QString &storePath)
{
    m_engine = new ExplorerEngine(storePath);
    connect(m_engine, &ExplorerEngine::progress, this, &MainWindow::showProgress);
    connect(m_engine, &ExplorerEngine::collectionScanned, this, [this](quint64 generation, const CollectionSnapshot &snapshot) {
        if (generation == m_generation)
            applySnapshot(snapshot);   // else a newer workspace replaced this one while it loaded
    });
    connect(m_engine, &ExplorerEngine::layoutBegun, this, [this](quint64 generation, const QList<MapPoint> &points) {
        if (generation == m_generation && !m_layoutDone && m_previousLayout.isEmpty()) {
            m_map->setPoints(points);
            applyColouring();
        }
    });
    connect(m_engine, &ExplorerEngine::layoutStep, this, [this](quint64 generation, const QList<QPointF> &positions) {
        if (generation == m_generation && !m_layoutDone && m_previousLayout.isEmpty())
            m_map->setPositions(positions);
    });
    connect(m_engine, &ExplorerEngine::layoutReady, this, &MainWindow::applyLayout);
    connect(m_engine, &ExplorerEngine::searchResults, this, &MainWindow::showSearchResults);
    connect(m_engine, &ExplorerEngine::matchResults, this, &MainWindow::showMatches);
    connect(m_engine, &ExplorerEngine::failed, this, &MainWindow::showFailure);
    connect(m_engine, &ExplorerEngine::queryPlaced, this, [this](quint64 id, const QPointF &at, const QString &label) {
        if (id == m_queryId)
            m_map->setQueryMarker(at, label);
    });
    connect(m_engine, &ExplorerEngine::querySimilarities, this, &MainWindow::showSimilarities);
    connect(m_map, &MapView::pointSelected, this, [this](int index) {
        if (index >= 0 && m_layoutDone && m_lastError.isEmpty())
            m_engine->invokeMatchItem(index, ++m_queryId, kMatchResults);
    });
    m_engine->start();
}

void MainWindow::selectInToolbar(const Workspace &workspace)
{
    const int method = m_method->findData(workspace.method);
    m_method->setCurrentIndex(method >= 0 ? method : 0);
    if (m_model->findData(workspace.model) < 0)
        m_model->insertItem(m_model->count() - 1, QFileInfo(workspace.model).fileName(), workspace.model);
    m_model->setCurrentIndex(m_model->findData(workspace.model));
}

void MainWindow::chooseModel(int index)
{
    QString spec = m_model->itemData(index).toString();
    if (spec.isEmpty()) {
        spec = QFileDialog::getOpenFileName(
            this, tr("Open Model"), {},
            tr("Models (*.safetensors *.pt *.bin *.pth *.ckpt open_clip_config.json config.json cospace-model.json);;"
               "CLIP weights (*.safetensors *.pt *.bin *.pth);;OpenCLIP or Hugging Face folder (open_clip_config.json "
               "config.json);;Cospace bundle (cospace-model.json);;Cospace checkpoint (*.ckpt);;All files (*)"));
        if (spec.isEmpty()) {
            selectInToolbar(m_workspace);
            return;
        }
        // Bundles, OpenCLIP and Hugging Face models are their folders: the config file stands for it.
        const QString name = QFileInfo(spec).fileName();
        if (name == u"cospace-model.json" || name == u"open_clip_config.json" || name == u"config.json")
            spec = QFileInfo(spec).absolutePath();
    }
    m_workspace.model = spec;
    reopen();
}

void MainWindow::setProjectionMethod(const QString &method)
{
    m_workspace.method = method;
    selectInToolbar(m_workspace);
    reopen();
}

void MainWindow::reopen()
{
    openWorkspace(m_workspace, m_workspaceFile);
}

void MainWindow::applyLayout(quint64 generation, const ExplorerLayout &layout)
{
    if (generation != m_generation)
        return;
    m_layoutDone = true;
    showLayout(layout.points);
    if (m_pendingView != WorkspaceView{})
        restoreView();
    int images = 0;
    for (const MapPoint &p : layout.points)
        images += p.kind == MapPoint::Image;
    m_modelInfo->setText(tr("%1 · modality gap %2").arg(layout.modelName).arg(layout.modalityGap, 0, 'f', 3));
    m_modelInfo->setToolTip(layout.modelRunsCode
        ? tr("Loaded from %1.\nThis model is TorchScript: code, not just weights. Load only models you trust.").arg(layout.modelSource)
        : tr("Loaded from %1.\nWeights only: Cospace reads the tensors and runs its own code; opening weights files runs "
             "nothing from them.").arg(layout.modelSource));
    QString text = tr("%n image(s), %1 captions — %2", nullptr, images)
                       .arg(layout.points.size() - images).arg(layout.method.toUpper());
    if (layout.cachedLayout)
        text += tr(" (cached layout)");
    m_layoutCached = layout.cachedLayout;
    m_skippedPaths = layout.skippedPaths;
    m_skippedReasons = layout.skippedReasons;
    showSkipped();
    if (layout.skipped > 0) {
        text += tr(" — %n file(s) skipped (hover for reasons)", nullptr, layout.skipped);
        m_jobLabel->setToolTip(layout.skippedText.join(u'\n'));
    }
    m_jobLabel->setText(text);
    if (m_scanDone) {
        setBusy(false, text);
        Q_EMIT ready();
    }
    if (!m_searchEdit->text().isEmpty())
        runSearch(m_searchEdit->text());
}

void MainWindow::showProgress(const JobProgress &p)
{
    if (!m_busy)
        return;
    if (p.total > 0) {
        m_jobProgress->setRange(0, 1000);
        m_jobProgress->setValue(int(1000 * std::min<qint64>(p.done, p.total) / p.total));
    } else {
        m_jobProgress->setRange(0, 0);
    }
    QString text = p.stage;
    if (p.total > 0)
        text += tr(" — %1/%2, %3/s, ETA %4").arg(p.done).arg(p.total).arg(p.itemsPerSecond, 0, 'f', 1).arg(p.formatEta());
    m_jobLabel->setText(text);
}

void MainWindow::runSearch(const QString &prompt)
{
    const quint64 id = ++m_queryId;
    if (prompt.trimmed().isEmpty()) {
        m_results->clear();
        m_map->setQueryMarker({}, {});
        m_similarity.clear();
        if (m_colourBy == ColourBy::Similarity)
            applyColouring();
        return;
    }
    m_engine->invokeSearch(prompt, id, kSearchResults);
}

void MainWindow::matchImageFile(const QString &path)
{
    m_matchesTitle->setText(tr("Matching %1…").arg(QFileInfo(path).fileName()));
    m_engine->invokeMatchImage(path, ++m_queryId, kMatchResults);
}

void MainWindow::showSearchResults(quint64 id, const QString &prompt, const QList<SearchHit> &hits)
{
    if (id != m_queryId)
        return;   // the user typed on: a newer query is on its way
    m_results->clear();
    for (const SearchHit &hit : hits) {
        const QString name = QFileInfo(hit.item.path).completeBaseName().left(14);
        auto *item = new QListWidgetItem(u"%1\n%2 · %3%"_qs.arg(name).arg(hit.score, 0, 'f', 3)
                                             .arg(hit.percentile, 0, 'f', 1));
        item->setToolTip(tr("#%1 %2\ncosine %3, better than %4% of random images").arg(hit.rank).arg(hit.item.path)
                             .arg(hit.score, 0, 'f', 4).arg(hit.percentile, 0, 'f', 1));
        item->setData(Qt::UserRole, hit.item.path);
        item->setIcon(thumbnail(hit.item.path, 64));
        m_results->addItem(item);
    }
    Q_EMIT searchShown(prompt);
}

void MainWindow::showMatches(quint64 id, const QString &title, const QList<SearchHit> &hits)
{
    if (id != m_queryId)
        return;
    m_matchesTitle->setText(tr("Best matches for <b>%1</b>").arg(title.toHtmlEscaped()));
    m_matches->clear();
    for (const SearchHit &hit : hits) {
        const bool image = hit.item.modality == Modality::Image;
        const QString label = image ? QFileInfo(hit.item.path).fileName() : hit.item.caption;
        auto *item = new QListWidgetItem(u"%1. %2  (%3 · %4%)"_qs.arg(hit.rank).arg(label)
                                             .arg(hit.score, 0, 'f', 3).arg(hit.percentile, 0, 'f', 1));
        item->setData(Qt::UserRole, image ? hit.item.path : hit.item.caption);
        item->setToolTip(tr("cosine %1; better than %2% of random items").arg(hit.score, 0, 'f', 4)
                             .arg(hit.percentile, 0, 'f', 1));
        if (image)
            item->setIcon(thumbnail(hit.item.path, 32));
        m_matches->addItem(item);
    }
    Q_EMIT matchesShown(title);
}

void MainWindow::showFailure(quint64 id, const QString &message)
{
    if (id == m_generation && !m_layoutDone) {
        // The workspace could not be embedded or projected: keep the gallery and say why, once.
        m_layoutDone = true;
        m_previousLayout.clear();
        m_lastError = message;
        m_jobLabel->setText(tr("Not embedded: %1").arg(message));
        m_modelInfo->setText(tr("no model"));
        if (m_scanDone) {
            setBusy(false, m_jobLabel->text());
            Q_EMIT ready();
        }
        return;
    }
    if (id == m_queryId) {
        m_lastError = message;
        statusBar()->showMessage(message, 8000);
    }
}

void MainWindow::cancelJob()
{
    m_engine->cancel();
}

}  // namespace cospace
