#pragma once
// The menus of the explorer window that are about the application, not the workspace:
// Training (New Training…, Open Run… — the training inspector), Settings (Input Limits…) and Help.

class QMainWindow;

namespace cospace {

void addApplicationMenus(QMainWindow *window);

}  // namespace cospace
