#pragma once
// Help ▸ About Cospace: the version and the licences of the demo data.

class QWidget;

namespace cospace {

void showAboutDialog(QWidget *parent);

}  // namespace cospace
