#include "ui/map/selectionpanel.h"

#include "core/explorer/mapexport.h"

#include <QApplication>
#include <QClipboard>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSaveFile>
#include <QVBoxLayout>

namespace cospace {

namespace {
constexpr int kMaxListed = 5000;   // the list shows this many; the CSV has them all

}  // namespace

QString selectionCsv(const QList<MapPoint> &points, const QList<int> &indices)
{
    return indices.isEmpty() ? mapPointsCsv({}, {}, u"modality"_qs) : mapPointsCsv(points, indices, u"modality"_qs);
}

SelectionPanel::SelectionPanel(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_summary = new QLabel(tr("Shift+drag a rectangle or Ctrl+drag a lasso on the map."), this);
    m_summary->setWordWrap(true);
    m_list = new QListWidget(this);
    m_list->setUniformItemSizes(true);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    connect(m_list, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem *item) {
        Q_EMIT activated(item->data(Qt::UserRole).toInt());
    });
    auto *buttons = new QHBoxLayout;
    m_export = new QPushButton(QIcon::fromTheme(u"document-save"_qs), tr("Export CSV…"), this);
    m_copy = new QPushButton(QIcon::fromTheme(u"edit-copy"_qs), tr("Copy"), this);
    auto *clear = new QPushButton(tr("Clear"), this);
    m_copy->setToolTip(tr("Copy the selection as CSV"));
    connect(m_export, &QPushButton::clicked, this, &SelectionPanel::chooseExportFile);
    connect(m_copy, &QPushButton::clicked, this, &SelectionPanel::copyToClipboard);
    connect(clear, &QPushButton::clicked, this, &SelectionPanel::clearRequested);
    buttons->addWidget(m_export);
    buttons->addWidget(m_copy);
    buttons->addWidget(clear);
    buttons->addStretch(1);
    layout->addWidget(m_summary);
    layout->addWidget(m_list);
    layout->addLayout(buttons);
    setSelection({}, {});
}

void SelectionPanel::setSelection(const QList<MapPoint> &points, const QList<int> &indices)
{
    m_csv = selectionCsv(points, indices);
    m_list->clear();
    int images = 0;
    for (int i : indices) {
        const MapPoint &p = points[i];
        images += p.kind == MapPoint::Image;
        if (m_list->count() >= kMaxListed)
            continue;
        auto *item = new QListWidgetItem(p.kind == MapPoint::Image ? tr("🖼 %1").arg(p.text) : tr("✎ %1").arg(p.text), m_list);
        item->setData(Qt::UserRole, i);
        item->setToolTip(p.kind == MapPoint::Image ? p.path : p.text);
    }
    m_summary->setText(indices.isEmpty()
                           ? tr("Nothing selected. Shift+drag a rectangle or Ctrl+drag a lasso on the map; Esc clears.")
                           : tr("%n point(s): %1 image(s), %2 caption(s)", nullptr, int(indices.size()))
                                 .arg(images).arg(indices.size() - images));
    m_export->setEnabled(!indices.isEmpty());
    m_copy->setEnabled(!indices.isEmpty());
}

QString SelectionPanel::exportCsv(const QString &path) const
{
    QSaveFile file(path);
    const QByteArray bytes = m_csv.toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return tr("%1: cannot write (%2)").arg(QFileInfo(path).fileName(), file.errorString());
    return {};
}

void SelectionPanel::copyToClipboard() const
{
    auto *mime = new QMimeData;
    mime->setText(m_csv);
    mime->setData(u"text/csv"_qs, m_csv.toUtf8());
    QApplication::clipboard()->setMimeData(mime);
}

void SelectionPanel::chooseExportFile()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Selection"), u"selection.csv"_qs,
                                                      tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    const QString error = exportCsv(path);
    if (!error.isEmpty())
        QMessageBox::warning(this, tr("Export Selection"), error);
}

}  // namespace cospace
