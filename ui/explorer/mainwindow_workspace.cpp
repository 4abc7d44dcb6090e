// MainWindow, part four: workspace files, File ▸ Open Recent and the view saved in a workspace
// (zoom, centre, colouring, selected item). See mainwindow.h.

#include "ui/explorer/mainwindow.h"

#include "ui/map/mapcolouring.h"
#include "ui/map/mapview.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>

namespace cospace {

namespace {
constexpr int kMaxRecent = 8;
const QString kRecentKey = u"recent/workspaces"_qs;
}  // namespace

QString MainWindow::openWorkspaceFile(const QString &file)
{
    try {
        Workspace w = Workspace::load(file);
        openWorkspace(w, QFileInfo(file).absoluteFilePath());
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
    rememberRecent(file);
    return {};
}

void MainWindow::openWorkspaceDialog()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Open Workspace"), {}, tr("Cospace workspace (*.cospace)"));
    if (file.isEmpty())
        return;
    const QString error = openWorkspaceFile(file);
    if (!error.isEmpty())
        QMessageBox::warning(this, tr("Open Workspace"), error);
}

QString MainWindow::saveWorkspaceTo(const QString &file)
{
    Workspace w = m_workspace;
    w.view = currentView();
    try {
        w.save(file);
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
    m_workspaceFile = QFileInfo(file).absoluteFilePath();
    rememberRecent(file);
    return {};
}

void MainWindow::saveWorkspace()
{
    if (m_workspaceFile.isEmpty())
        return saveWorkspaceAs();
    const QString error = saveWorkspaceTo(m_workspaceFile);
    if (!error.isEmpty())
        QMessageBox::warning(this, tr("Save Workspace"), error);
}

void MainWindow::saveWorkspaceAs()
{
    QString file = QFileDialog::getSaveFileName(this, tr("Save Workspace"), m_workspaceFile,
                                                tr("Cospace workspace (*.cospace)"));
    if (file.isEmpty())
        return;
    if (QFileInfo(file).suffix().isEmpty())
        file += u".cospace"_qs;
    const QString error = saveWorkspaceTo(file);
    if (!error.isEmpty())
        QMessageBox::warning(this, tr("Save Workspace"), error);
}

void MainWindow::rememberRecent(const QString &file)
{
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    const QString path = QFileInfo(file).absoluteFilePath();
    recent.removeAll(path);
    recent.prepend(path);
    settings.setValue(kRecentKey, QStringList(recent.mid(0, kMaxRecent)));
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    for (const QString &file : recent) {
        QAction *a = m_recentMenu->addAction(QFileInfo(file).completeBaseName(), this, [this, file] {
            const QString error = openWorkspaceFile(file);
            if (!error.isEmpty())
                QMessageBox::warning(this, tr("Open Workspace"), error);
        });
        a->setToolTip(file);
        a->setEnabled(QFileInfo::exists(file));
    }
    if (recent.isEmpty())
        m_recentMenu->addAction(tr("(none yet)"))->setEnabled(false);
    else
        m_recentMenu->addSeparator(), m_recentMenu->addAction(tr("Clear Menu"), this, [] { QSettings().remove(kRecentKey); });
}

WorkspaceView MainWindow::currentView() const
{
    WorkspaceView v;
    v.zoom = m_map->zoom();
    v.centreX = m_map->centre().x();
    v.centreY = m_map->centre().y();
    v.colourBy = colourByKey(m_colourBy);
    const int selected = m_map->selectedIndex();
    if (selected >= 0) {
        const MapPoint &p = m_map->points()[selected];
        (p.kind == MapPoint::Image ? v.selectedImage : v.selectedCaption) = p.kind == MapPoint::Image ? p.path : p.text;
    }
    return v;
}

void MainWindow::restoreView()
{
    // Runs once the opened workspace's layout is on the map (same layout: the layout cache).
    const WorkspaceView v = std::exchange(m_pendingView, WorkspaceView{});
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
