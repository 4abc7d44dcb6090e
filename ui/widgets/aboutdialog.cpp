#include "ui/widgets/aboutdialog.h"

#include <QCoreApplication>
#include <QMessageBox>

namespace cospace {

void showAboutDialog(QWidget *parent)
{
    auto tr = [](const char *text) { return QCoreApplication::translate("AboutDialog", text); };
    QMessageBox::about(parent, tr("About Cospace"),
                       tr("<h3>Cospace %1</h3><p>Explore shared image–text embedding spaces.</p>"
                          "<p><b>Demo data licences</b><br>"
                          "Noto Color Emoji art (via npm <i>emoji-datasource-google</i>, MIT): Apache License 2.0.<br>"
                          "OpenMoji art and annotations (npm <i>openmoji</i>): CC BY-SA 4.0.<br>"
                          "Twemoji art (via npm <i>emoji-datasource-twitter</i>, MIT): CC BY 4.0, © Twitter, Inc. and contributors.<br>"
                          "CLIP BPE vocabulary: MIT, © 2021 OpenAI.</p>")
                           .arg(QString::fromLatin1(COSPACE_VERSION)));
}

}  // namespace cospace
