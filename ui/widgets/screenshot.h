#pragma once
// --screenshot: after `settleMs` (queued thumbnail loads land, animations end) the widget is saved
// as PNG and the application exits with 0, or 1 (with a message) when the file cannot be written.

#include <QString>

class QWidget;

namespace cospace {

void saveScreenshotThenQuit(QWidget *widget, const QString &pngPath, int settleMs = 1500);

}  // namespace cospace
