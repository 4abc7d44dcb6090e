#include "ui/explorer/workspacefiles.h"

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

WorkspaceFiles::WorkspaceFiles(QWidget *window, FileAction open, FileAction save, std::function<QString()> currentFile)
    : QObject(window), m_window(window), m_open(std::move(open)), m_save(std::move(save)),
      m_currentFile(std::move(currentFile))
{
}

void WorkspaceFiles::addActions(QMenu *file)
{
    file->addAction(QIcon::fromTheme(u"document-open"_qs), tr("&Open Workspace…"),
                    QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, &WorkspaceFiles::openDialog);
    m_recent = file->addMenu(tr("Open &Recent"));
    connect(m_recent, &QMenu::aboutToShow, this, &WorkspaceFiles::rebuildRecentMenu);
    file->addAction(QIcon::fromTheme(u"document-save"_qs), tr("&Save Workspace"), QKeySequence::Save, this,
                    &WorkspaceFiles::save);
    file->addAction(QIcon::fromTheme(u"document-save-as"_qs), tr("Save Workspace &As…"),
                    QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), this, &WorkspaceFiles::saveAs);
}

void WorkspaceFiles::report(const QString &title, const QString &error)
{
    if (!error.isEmpty())
        QMessageBox::warning(m_window, title, error);
}

void WorkspaceFiles::openDialog()
{
    const QString file = QFileDialog::getOpenFileName(m_window, tr("Open Workspace"), {}, tr("Cospace workspace (*.cospace)"));
    if (!file.isEmpty())
        report(tr("Open Workspace"), m_open(file));
}

void WorkspaceFiles::save()
{
    if (m_currentFile().isEmpty())
        return saveAs();
    report(tr("Save Workspace"), m_save(m_currentFile()));
}

void WorkspaceFiles::saveAs()
{
    QString file = QFileDialog::getSaveFileName(m_window, tr("Save Workspace"), m_currentFile(),
                                                tr("Cospace workspace (*.cospace)"));
    if (file.isEmpty())
        return;
    if (QFileInfo(file).suffix().isEmpty())
        file += u".cospace"_qs;
    report(tr("Save Workspace"), m_save(file));
}

void WorkspaceFiles::rememberRecent(const QString &file)
{
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    const QString path = QFileInfo(file).absoluteFilePath();
    recent.removeAll(path);
    recent.prepend(path);
    settings.setValue(kRecentKey, QStringList(recent.mid(0, kMaxRecent)));
}

void WorkspaceFiles::rebuildRecentMenu()
{
    m_recent->clear();
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    for (const QString &file : recent) {
        QAction *a = m_recent->addAction(QFileInfo(file).completeBaseName(), this,
                                         [this, file] { report(tr("Open Workspace"), m_open(file)); });
        a->setToolTip(file);
        a->setEnabled(QFileInfo::exists(file));
    }
    if (recent.isEmpty()) {
        m_recent->addAction(tr("(none yet)"))->setEnabled(false);
        return;
    }
    m_recent->addSeparator();
    m_recent->addAction(tr("Clear Menu"), this, [] { QSettings().remove(kRecentKey); });
}

}  // namespace cospace
