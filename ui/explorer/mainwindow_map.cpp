// MainWindow, part three: what is drawn on the map - colourings (modality, folder, cluster,
// similarity to the query), the Selection panel, and the animated transition between layouts
// (method switches, added or removed items). See mainwindow.h.

#include "ui/explorer/mainwindow.h"

#include "core/projection/alignment.h"
#include "ui/map/mapcolouring.h"
#include "ui/map/mapview.h"
#include "ui/map/selectionpanel.h"

#include <QActionGroup>
#include <QComboBox>
#include <QDockWidget>
#include <QFutureWatcher>
#include <QLabel>
#include <QMenu>
#include <QToolBar>
#include <QtConcurrent/QtConcurrentRun>

namespace cospace {

namespace {
constexpr int kTransitionMs = 400;

QString identity(const MapPoint &p)
{
    return QString::number(int(p.kind)) + p.path + u'\x1f' + p.text;
}

const std::pair<ColourBy, const char *> kColourModes[] = {
    {ColourBy::Modality, QT_TRANSLATE_NOOP("MainWindow", "Modality")},
    {ColourBy::Folder, QT_TRANSLATE_NOOP("MainWindow", "Folder")},
    {ColourBy::Cluster, QT_TRANSLATE_NOOP("MainWindow", "Cluster")},
    {ColourBy::Similarity, QT_TRANSLATE_NOOP("MainWindow", "Similarity to query")},
};
}  // namespace

void MainWindow::buildMapPanels(QMenu *view)
{
    auto *dock = new QDockWidget(tr("Selection"), this);
    dock->setObjectName(u"selectionDock"_qs);
    m_selectionPanel = new SelectionPanel(dock);
    dock->setWidget(m_selectionPanel);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    if (auto *matches = findChild<QDockWidget *>(u"matchDock"_qs)) {
        tabifyDockWidget(matches, dock);
        matches->raise();   // Matches in front until something is selected
    }
    connect(m_map, &MapView::selectionChanged, this, [this, dock] {
        m_selectionPanel->setSelection(m_map->points(), m_map->selection());
        if (!m_map->selection().isEmpty()) {
            dock->show();
            dock->raise();
        }
    });
    connect(m_selectionPanel, &SelectionPanel::activated, m_map, &MapView::selectPoint);
    connect(m_selectionPanel, &SelectionPanel::clearRequested, m_map, &MapView::clearSelection);

    // Colour by: a toolbar combo and a View submenu, kept in step.
    m_colourCombo = new QComboBox(this);
    QMenu *colourMenu = view->addMenu(tr("&Colour By"));
    m_colourActions = new QActionGroup(this);
    for (const auto &[by, name] : kColourModes) {
        m_colourCombo->addItem(tr(name), int(by));
        QAction *action = colourMenu->addAction(tr(name));
        action->setCheckable(true);
        action->setData(int(by));
        action->setChecked(by == ColourBy::Modality);
        m_colourActions->addAction(action);
    }
    connect(m_colourCombo, &QComboBox::activated, this, [this] { setColourBy(ColourBy(m_colourCombo->currentData().toInt())); });
    connect(m_colourActions, &QActionGroup::triggered, this, [this](QAction *a) { setColourBy(ColourBy(a->data().toInt())); });
    if (auto *bar = findChild<QToolBar *>(u"mapToolBar"_qs)) {
        QAction *info = bar->actions().isEmpty() ? nullptr : bar->actions().last();   // the model info label
        bar->insertWidget(info, new QLabel(tr("  Colour "), bar));
        bar->insertWidget(info, m_colourCombo);
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
}

void MainWindow::setColourBy(ColourBy by)
{
    m_colourBy = by;
    m_colourCombo->setCurrentIndex(m_colourCombo->findData(int(by)));
    for (QAction *a : m_colourActions->actions())
        a->setChecked(a->data().toInt() == int(by));
    applyColouring();
}

void MainWindow::applyColouring()
{
    const quint64 id = ++m_colouringId;
    const QList<MapPoint> &points = m_map->points();
    switch (m_colourBy) {
    case ColourBy::Modality: m_map->setColouring({}); break;
    case ColourBy::Folder: m_map->setColouring(colourByFolder(points, m_workspace.folders)); break;
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
        auto *watcher = new QFutureWatcher<MapColouring>(this);
        connect(watcher, &QFutureWatcher<MapColouring>::finished, this, [this, watcher, id] {
            watcher->deleteLater();
            if (id != m_colouringId)
                return;   // the mode or the points changed meanwhile
            m_map->setColouring(watcher->result());
            Q_EMIT colouringApplied();
        });
        watcher->setFuture(QtConcurrent::run([input] { return colourByCluster(input); }));
        return;
    }
    }
    Q_EMIT colouringApplied();
}

void MainWindow::showSimilarities(quint64 id, const QList<float> &scores, const QString &label)
{
    if (id != m_queryId)
        return;
    m_similarity = scores;
    m_similarityLabel = label;
    if (m_colourBy == ColourBy::Similarity)
        applyColouring();
}

void MainWindow::showLayout(const QList<MapPoint> &points)
{
    m_projected = points;
    m_similarity.clear();   // scores were for the previous point order
    const QList<MapPoint> previous = std::exchange(m_previousLayout, {});
    QHash<QString, QPointF> before;
    for (const MapPoint &p : previous)
        before.insert(identity(p), p.pos);
    QList<int> matched;
    for (int i = 0; i < points.size(); ++i)
        if (before.contains(identity(points[i])))
            matched << i;
    if (matched.size() < 3) {
        m_map->setPoints(points);
        applyColouring();
        return;
    }
    // Rotate, flip and scale the new layout onto the old one (2-D Procrustes over the items both
    // have) so the transition shows what moved, not an arbitrary spin; then glide there.
    Matrix moving(int(matched.size()), 2), reference(int(matched.size()), 2), all(int(points.size()), 2);
    for (int k = 0; k < matched.size(); ++k) {
        const QPointF to = points[matched[k]].pos, from = before.value(identity(points[matched[k]]));
        moving.at(k, 0) = float(to.x()), moving.at(k, 1) = float(to.y());
        reference.at(k, 0) = float(from.x()), reference.at(k, 1) = float(from.y());
    }
    for (int i = 0; i < points.size(); ++i)
        all.at(i, 0) = float(points[i].pos.x()), all.at(i, 1) = float(points[i].pos.y());
    Matrix aligned;
    try {
        aligned = applySimilarity(all, procrustes2D(moving, reference));
    } catch (const std::exception &) {
        m_map->setPoints(points);   // degenerate (all points in one place): no transition
        applyColouring();
        return;
    }
    QList<MapPoint> start = points;
    QList<QPointF> target;
    for (int i = 0; i < points.size(); ++i) {
        target << QPointF(aligned.at(i, 0), aligned.at(i, 1));
        start[i].pos = before.value(identity(points[i]), target.last());   // new items appear in place
    }
    const double zoom = m_map->zoom();
    const QPointF centre = m_map->centre();
    m_map->setPoints(start);
    m_map->setView(zoom, centre);   // the user's view stays; the points move within it
    m_map->animateTo(target, kTransitionMs);
    applyColouring();
}

}  // namespace cospace
