#include "ui/explorer/mappanel.h"

#include "ui/map/selectionpanel.h"
#include "ui/widgets/jobdelivery.h"

#include <QActionGroup>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMainWindow>
#include <QMenu>
#include <QToolBar>

#include <cmath>

namespace cospace {

namespace {

constexpr int kTransitionMs = 400;

const std::pair<ColourBy, const char *> kColourModes[] = {
    {ColourBy::Modality, QT_TRANSLATE_NOOP("MapPanel", "Modality")},
    {ColourBy::Folder, QT_TRANSLATE_NOOP("MapPanel", "Folder")},
    {ColourBy::Cluster, QT_TRANSLATE_NOOP("MapPanel", "Cluster")},
    {ColourBy::Similarity, QT_TRANSLATE_NOOP("MapPanel", "Similarity to query")},
};

const std::pair<ProjectionMethod, const char *> kMethodLabels[] = {
    {ProjectionMethod::Umap, "UMAP"}, {ProjectionMethod::Tsne, "t-SNE"}, {ProjectionMethod::Pca, "PCA"}};

}  // namespace

MapPanel::MapPanel(QMainWindow *window) : QObject(window), m_runner(QThreadPool::globalInstance())
{
    m_map = new MapView(window);
    window->setCentralWidget(m_map);
    buildToolBar(window);
    buildSelectionDock(window);
}

void MapPanel::buildToolBar(QMainWindow *window)
{
    QToolBar *bar = window->addToolBar(tr("Map"));
    bar->setObjectName(u"mapToolBar"_qs);
    bar->addWidget(new QLabel(tr(" Model "), bar));
    m_model = new QComboBox(bar);
    m_model->addItem(tr("Default (emoji)"), u"default"_qs);
    m_model->addItem(tr("Open Model…"));
    m_model->setItemData(1, tr("CLIP weights (.safetensors, .pt, .bin; OpenCLIP or Hugging Face folders: pick their\n"
                               "config file), a Cospace bundle (cospace-model.json) or checkpoint (.ckpt)"), Qt::ToolTipRole);
    connect(m_model, &QComboBox::activated, this, &MapPanel::chooseModel);
    bar->addWidget(m_model);
    bar->addWidget(new QLabel(tr("  Projection "), bar));
    m_method = new QComboBox(bar);
    for (const auto &[method, label] : kMethodLabels)
        m_method->addItem(QString::fromLatin1(label), int(method));
    connect(m_method, &QComboBox::activated, this,
            [this] { Q_EMIT methodChosen(ProjectionMethod(m_method->currentData().toInt())); });
    bar->addWidget(m_method);
    bar->addWidget(new QLabel(tr("  Colour "), bar));
    m_colourCombo = new QComboBox(bar);
    for (const auto &[by, name] : kColourModes)
        m_colourCombo->addItem(tr(name), int(by));
    connect(m_colourCombo, &QComboBox::activated, this,
            [this] { setColourBy(ColourBy(m_colourCombo->currentData().toInt())); });
    bar->addWidget(m_colourCombo);
    m_modelInfo = new QLabel(bar);
    m_modelInfo->setContentsMargins(12, 0, 0, 0);
    bar->addWidget(m_modelInfo);
}

void MapPanel::buildSelectionDock(QMainWindow *window)
{
    auto *dock = new QDockWidget(tr("Selection"), window);
    dock->setObjectName(u"selectionDock"_qs);
    m_selection = new SelectionPanel(dock);
    dock->setWidget(m_selection);
    window->addDockWidget(Qt::LeftDockWidgetArea, dock);
    connect(m_map, &MapView::selectionChanged, this, [this, dock] {
        m_selection->setSelection(m_map->points(), m_map->selection());
        if (!m_map->selection().isEmpty()) {
            dock->show();
            dock->raise();
        }
    });
    connect(m_selection, &SelectionPanel::activated, m_map, &MapView::selectPoint);
    connect(m_selection, &SelectionPanel::clearRequested, m_map, &MapView::clearSelection);
}

void MapPanel::addViewActions(QMenu *view)
{
    // Plain + and − too; a focused text field still gets them as text.
    QAction *zoomIn = view->addAction(QIcon::fromTheme(u"zoom-in"_qs), tr("Zoom &In"), this,
                                      [this] { m_map->zoomBy(1.25, m_map->rect().center()); });
    zoomIn->setShortcuts({QKeySequence::ZoomIn, QKeySequence(Qt::Key_Plus), QKeySequence(Qt::Key_Equal)});
    QAction *zoomOut = view->addAction(QIcon::fromTheme(u"zoom-out"_qs), tr("Zoom &Out"), this,
                                       [this] { m_map->zoomBy(0.8, m_map->rect().center()); });
    zoomOut->setShortcuts({QKeySequence::ZoomOut, QKeySequence(Qt::Key_Minus)});
    view->addAction(QIcon::fromTheme(u"zoom-fit-best"_qs), tr("&Fit to Window"), QKeySequence(Qt::CTRL | Qt::Key_0), this,
                    [this] { m_map->fitToView(); });
    QAction *pairLines = view->addAction(tr("&Pair Lines"), this, [this](bool on) { m_map->setPairLinesVisible(on); });
    pairLines->setCheckable(true);
    pairLines->setChecked(m_map->pairLinesVisible());
    pairLines->setToolTip(tr("Lines from each caption to its image: green where the model ranks that image first"));

    m_colourMenu = view->addMenu(tr("&Colour By"));
    auto *colours = new QActionGroup(this);
    for (const auto &[by, name] : kColourModes) {
        QAction *action = m_colourMenu->addAction(tr(name), this, [this, by = by] { setColourBy(by); });
        action->setCheckable(true);
        action->setData(int(by));
        action->setChecked(by == m_colourBy);
        colours->addAction(action);
    }
    QMenu *tool = view->addMenu(tr("&Drag Selects"));
    auto *tools = new QActionGroup(this);
    const std::pair<MapView::DragMode, QString> modes[] = {
        {MapView::DragMode::Pan, tr("Nothing (Pan; Shift: Rectangle, Ctrl: Lasso)")},
        {MapView::DragMode::Rectangle, tr("&Rectangle")},
        {MapView::DragMode::Lasso, tr("&Lasso")}};
    for (const auto &[mode, text] : modes) {
        QAction *a = tool->addAction(text, this, [this, mode] { m_map->setDragMode(mode); });
        a->setCheckable(true);
        a->setChecked(mode == MapView::DragMode::Pan);
        tools->addAction(a);
    }
    QAction *clear = view->addAction(tr("Clear &Selection"), m_map, &MapView::clearSelection);
    clear->setShortcut(Qt::Key_Escape);
    QAction *captions = view->addAction(tr("Captions &Under Images"), this, [this](bool on) { m_map->setCaptionsUnderImages(on); });
    captions->setCheckable(true);
    captions->setChecked(m_map->captionsUnderImages());
    captions->setToolTip(tr("Each image's caption written beneath its picture once the picture is large"));
    QAction *hits = view->addAction(tr("&Jump to Search Hits"), QKeySequence(Qt::CTRL | Qt::Key_J), this, [this] { m_map->fitToHighlights(); });
    hits->setToolTip(tr("Zoom to the images the current search ringed on the map"));
}

void MapPanel::showSearchHits(const QList<SearchHit> &hits)
{
    QHash<QString, int> byPath;
    const QList<MapPoint> &points = m_map->points();
    for (int i = 0; i < points.size(); ++i)
        if (points[i].kind == MapPoint::Image)
            byPath.insert(points[i].path, i);
    constexpr int kRingedHits = 20;   // more rings only hide each other in a cluster
    QList<int> ranked;
    for (const SearchHit &hit : hits)
        if (const auto it = byPath.constFind(hit.item.path); it != byPath.constEnd() && ranked.size() < kRingedHits)
            ranked << *it;
    m_map->setHighlights(ranked);
}

bool MapPanel::centreOnImage(const QString &path)
{
    const QList<MapPoint> &points = m_map->points();
    for (int i = 0; i < points.size(); ++i)
        if (points[i].kind == MapPoint::Image && points[i].path == path) {
            m_map->centreOn(i);
            return true;
        }
    return false;
}

void MapPanel::selectWorkspace(const Workspace &workspace)
{
    m_method->setCurrentIndex(std::max(0, m_method->findData(int(workspace.method))));
    if (m_model->findData(workspace.model) < 0)
        m_model->insertItem(m_model->count() - 1, QFileInfo(workspace.model).fileName(), workspace.model);
    m_model->setCurrentIndex(m_model->findData(workspace.model));
}

void MapPanel::chooseModel(int index)
{
    QString spec = m_model->itemData(index).toString();
    if (spec.isEmpty()) {
        spec = QFileDialog::getOpenFileName(
            m_map, tr("Open Model"), {},
            tr("Models (*.safetensors *.pt *.bin *.pth *.ckpt open_clip_config.json config.json cospace-model.json);;"
               "CLIP weights (*.safetensors *.pt *.bin *.pth);;OpenCLIP or Hugging Face folder (open_clip_config.json "
               "config.json);;Cospace bundle (cospace-model.json);;Cospace checkpoint (*.ckpt);;All files (*)"));
        // Bundles, OpenCLIP and Hugging Face models are their folders: the config file stands for it.
        const QString name = QFileInfo(spec).fileName();
        if (name == u"cospace-model.json" || name == u"open_clip_config.json" || name == u"config.json")
            spec = QFileInfo(spec).absolutePath();
    }
    if (!spec.isEmpty())
        Q_EMIT modelChosen(spec);   // the window re-opens and selectWorkspace() shows it
}

void MapPanel::setModelInfo(const QString &name, double modalityGap, const QString &source, bool runsCode)
{
    m_modelInfo->setText(tr("%1 · modality gap %2").arg(name).arg(modalityGap, 0, 'f', 3));
    m_modelInfo->setToolTip(runsCode
        ? tr("Loaded from %1.\nThis model is TorchScript: code, not just weights. Load only models you trust.").arg(source)
        : tr("Loaded from %1.\nWeights only: Cospace reads the tensors and runs its own code; opening weights files runs "
             "nothing from them.").arg(source));
}

void MapPanel::setNoModel() { m_modelInfo->setText(tr("no model")); }

void MapPanel::showPoints(QList<MapPoint> points)
{
    m_similarity.clear();   // scores were for another point order
    m_map->setPoints(std::move(points));
    applyColouring();
}

void MapPanel::showGallery(const CollectionSnapshot &snapshot)
{
    QList<MapPoint> points;
    QHash<QString, int> imageIndex;
    for (const CollectionSnapshot::Folder &folder : snapshot.folders)
        for (const QString &image : folder.scan.images)
            if (!imageIndex.contains(image)) {
                imageIndex.insert(image, int(points.size()));
                points.append({MapPoint::Image, {}, image, QFileInfo(image).fileName()});
            }
    const int columns = std::max(1, int(std::ceil(std::sqrt(double(points.size())))));
    for (int i = 0; i < points.size(); ++i)
        points[i].pos = QPointF(i % columns, i / columns);
    for (const CaptionFile &file : snapshot.captionFiles) {
        QHash<int, int> perImage;
        for (const CaptionRow &row : file.rows) {
            const auto it = imageIndex.constFind(row.image);
            if (it == imageIndex.constEnd())
                continue;
            const int k = perImage[*it]++;
            points.append({MapPoint::Caption, points[*it].pos + QPointF(0.42, -0.3 + 0.2 * (k % 4)), {}, row.caption});
        }
    }
    showPoints(std::move(points));
}

void MapPanel::showPositions(const QList<QPointF> &positions) { m_map->setPositions(positions); }

void MapPanel::showLayout(const QList<MapPoint> &points, const QList<MapPoint> &projected, bool glide)
{
    m_projected = projected;
    if (!glide)
        return showPoints(points);
    QHash<QString, QPointF> before;
    for (const MapPoint &p : m_map->points())
        before.insert(mapPointIdentity(p), p.pos);
    QList<MapPoint> start = points;
    QList<QPointF> target;
    int shared = 0;
    for (MapPoint &p : start) {
        target << p.pos;
        if (const auto it = before.constFind(mapPointIdentity(p)); it != before.constEnd()) {
            p.pos = *it;   // glides from where it was; new items appear in place
            ++shared;
        }
    }
    if (shared < 3 || m_map->points().isEmpty()) {
        showPoints(points);
        return;
    }
    const double zoom = m_map->zoom();
    const QPointF centre = m_map->centre();
    showPoints(start);
    m_map->setView(zoom, centre);   // the user's view stays; the points move within it
    m_map->animateTo(target, kTransitionMs);
}

void MapPanel::setColourBy(ColourBy by)
{
    m_colourBy = by;
    m_colourCombo->setCurrentIndex(m_colourCombo->findData(int(by)));
    if (m_colourMenu)
        for (QAction *a : m_colourMenu->actions())
            a->setChecked(a->data().toInt() == int(by));
    applyColouring();
}

void MapPanel::setFolders(const QStringList &folders) { m_folders = folders; }

void MapPanel::setSimilarities(const QList<float> &scores, const QString &label)
{
    m_similarity = scores;
    m_similarityLabel = label;
    if (m_colourBy == ColourBy::Similarity)
        applyColouring();
}

void MapPanel::applyColouring()
{
    const quint64 id = ++m_colouringId;
    const QList<MapPoint> &points = m_map->points();
    switch (m_colourBy) {
    case ColourBy::Modality: m_map->setColouring({}); break;
    case ColourBy::Folder: m_map->setColouring(colourByFolder(points, m_folders)); break;
    case ColourBy::Similarity:
        if (m_similarity.size() == points.size() && !points.isEmpty()) {
            m_map->setColouring(colourBySimilarity(m_similarity, m_similarityLabel));
        } else {
            MapColouring waiting;   // modality colours until there is a query; the legend says so
            waiting.title = tr("Similarity: type a search or drop an image");
            m_map->setColouring(waiting);
        }
        break;
    case ColourBy::Cluster: {
        // k-means is invariant to the transition's similarity transform: cluster the final layout.
        const QList<MapPoint> input = m_projected.size() == points.size() ? m_projected : points;
        startJob<MapColouring>(
            m_runner, this, [input](JobControl &) { return colourByCluster(input); },
            [this](const JobOutcome<MapColouring> &o) {
                if (o.ok())
                    m_map->setColouring(*o.value);
                Q_EMIT colouringApplied();
            },
            {}, [this, id] { return id == m_colouringId; });   // the mode or the points changed meanwhile
        return;
    }
    }
    Q_EMIT colouringApplied();
}

WorkspaceView MapPanel::currentView() const
{
    WorkspaceView v;
    v.zoom = m_map->zoom();
    v.centreX = m_map->centre().x();
    v.centreY = m_map->centre().y();
    v.colourBy = colourByKey(m_colourBy);
    if (const int selected = m_map->selectedIndex(); selected >= 0) {
        const MapPoint &p = m_map->points()[selected];
        (p.kind == MapPoint::Image ? v.selectedImage : v.selectedCaption) = p.kind == MapPoint::Image ? p.path : p.text;
    }
    return v;
}

void MapPanel::restoreView(const WorkspaceView &v)
{
    if (v.zoom > 0)
        m_map->setView(v.zoom, QPointF(v.centreX, v.centreY));
    const QList<MapPoint> &points = m_map->points();
    for (int i = 0; i < points.size(); ++i) {
        const MapPoint &p = points[i];
        if ((p.kind == MapPoint::Image && !v.selectedImage.isEmpty() && p.path == v.selectedImage)
            || (p.kind == MapPoint::Caption && !v.selectedCaption.isEmpty() && p.text == v.selectedCaption)) {
            m_map->selectPoint(i);
            break;
        }
    }
}

}  // namespace cospace
