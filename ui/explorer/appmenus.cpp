#include "ui/explorer/appmenus.h"

#include "ui/inspector/traininginspector.h"
#include "ui/widgets/aboutdialog.h"
#include "ui/widgets/limitsdialog.h"

#include <QCoreApplication>
#include <QFileDialog>
#include <QMainWindow>
#include <QMenuBar>
#include <QStatusBar>

namespace cospace {

void addApplicationMenus(QMainWindow *window)
{
    auto tr = [](const char *text) { return QCoreApplication::translate("MainWindow", text); };
    QMenu *training = window->menuBar()->addMenu(tr("&Training"));
    training->addAction(tr("&New Training…"), window, [] { openTrainingInspector(); });
    training->addAction(tr("&Open Run…"), window, [window, tr] {
        if (const QString dir = QFileDialog::getExistingDirectory(window, tr("Open Run Folder")); !dir.isEmpty())
            openTrainingInspector(dir);
    });
    QMenu *settings = window->menuBar()->addMenu(tr("&Settings"));
    settings->addAction(QIcon::fromTheme(QStringLiteral("preferences-system")), tr("Input &Limits…"), window, [window, tr] {
        if (LimitsDialog::edit(window))
            window->statusBar()->showMessage(tr("New limits apply to the next scan, caption file and model load"), 5000);
    });
    QMenu *help = window->menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Cospace"), window, [window] { showAboutDialog(window); });
}

}  // namespace cospace
