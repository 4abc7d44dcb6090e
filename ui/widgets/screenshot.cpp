#include "ui/widgets/screenshot.h"

#include <QApplication>
#include <QTimer>
#include <QWidget>

namespace cospace {

void saveScreenshotThenQuit(QWidget *widget, const QString &pngPath, int settleMs)
{
    QTimer::singleShot(settleMs, widget, [widget, pngPath] {
        const bool ok = widget->grab().save(pngPath, "PNG");
        if (!ok)
            qCritical("%s: could not write the screenshot", qPrintable(pngPath));
        QApplication::exit(ok ? 0 : 1);
    });
}

}  // namespace cospace
