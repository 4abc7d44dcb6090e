#pragma once
// Workspace files in the File menu: Open…, Open Recent (QSettings), Save, Save As…, with the
// dialogs and their error messages. The window does the opening and saving (callbacks), this
// class the asking.

#include <QObject>
#include <QString>

#include <functional>

class QMenu;
class QWidget;

namespace cospace {

class WorkspaceFiles : public QObject
{
    Q_OBJECT
public:
    // Each callback returns an error message, or an empty string on success.
    using FileAction = std::function<QString(const QString &file)>;
    WorkspaceFiles(QWidget *window, FileAction open, FileAction save, std::function<QString()> currentFile);

    void addActions(QMenu *file);   // Open…, Open Recent, Save, Save As…
    static void rememberRecent(const QString &file);

private:
    void openDialog();
    void save();
    void saveAs();
    void rebuildRecentMenu();
    void report(const QString &title, const QString &error);

    QWidget *m_window;
    FileAction m_open, m_save;
    std::function<QString()> m_currentFile;
    QMenu *m_recent = nullptr;
};

}  // namespace cospace
