#include "ui/explorer/captionsdock.h"

#include <QAction>
#include <QClipboard>
#include <QDir>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QLineEdit>
#include <QListWidget>
#include <QVBoxLayout>

namespace cospace {

CaptionsDock::CaptionsDock(QWidget *parent) : QDockWidget(tr("Captions"), parent)
{
    setObjectName(u"captionDock"_qs);
    auto *panel = new QWidget(this);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(4, 4, 4, 4);
    m_edit = new QLineEdit(panel);
    m_edit->setPlaceholderText(tr("Type a caption and press Enter"));
    m_edit->setClearButtonEnabled(true);
    m_edit->setToolTip(tr("Enter adds the caption; pasting several lines adds one caption per line"));
    m_edit->installEventFilter(this);
    connect(m_edit, &QLineEdit::returnPressed, this, [this] {
        const QString text = m_edit->text();
        m_edit->clear();
        if (!text.simplified().isEmpty())
            Q_EMIT captionsAdded({text});
    });
    m_list = new QListWidget(panel);
    m_list->setUniformItemSizes(true);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    layout->addWidget(m_edit);
    layout->addWidget(m_list);
    setWidget(panel);

    auto *editAction = new QAction(tr("Edit Caption"), m_list);
    editAction->setShortcut(Qt::Key_F2);
    editAction->setShortcutContext(Qt::WidgetShortcut);
    connect(editAction, &QAction::triggered, this, [this] {
        if (QListWidgetItem *item = m_list->currentItem(); item && item->flags() & Qt::ItemIsEditable)
            m_list->editItem(item);
    });
    auto *deleteAction = new QAction(QIcon::fromTheme(u"edit-delete"_qs), tr("Delete Caption"), m_list);
    deleteAction->setShortcut(QKeySequence::Delete);
    deleteAction->setShortcutContext(Qt::WidgetShortcut);
    connect(deleteAction, &QAction::triggered, this, [this] {
        QList<int> typed;
        for (QListWidgetItem *item : m_list->selectedItems())
            if (const int i = item->data(Qt::UserRole).toInt(); i >= 0)
                typed << i;
        if (typed.isEmpty() && !m_list->selectedItems().isEmpty())
            Q_EMIT message(tr("Captions from a file change with the file; remove the file in Collection."));
        if (!typed.isEmpty())
            Q_EMIT captionsDeleted(typed);
    });
    m_undo = new QAction(QIcon::fromTheme(u"edit-undo"_qs), tr("&Undo Delete Caption"), this);
    m_undo->setShortcut(QKeySequence::Undo);
    m_undo->setEnabled(false);
    connect(m_undo, &QAction::triggered, this, &CaptionsDock::undoRequested);
    m_list->addActions({editAction, deleteAction, m_undo});
    m_list->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(m_list, &QListWidget::itemChanged, this, [this](QListWidgetItem *item) {
        if (const int index = item->data(Qt::UserRole).toInt(); index >= 0)
            Q_EMIT captionEdited(index, item->text());
    });
}

void CaptionsDock::setFileCaptions(const QList<CaptionFile> &files)
{
    m_fileCaptions.clear();
    for (const CaptionFile &file : files)
        for (const CaptionRow &row : file.rows)
            m_fileCaptions.append({row.caption, file.path});
    rebuild();
}

void CaptionsDock::setTypedCaptions(const QStringList &typed)
{
    m_typed = typed;
    rebuild();
}

void CaptionsDock::rebuild()
{
    const QSignalBlocker noEdits(m_list);   // filling the list is not editing it
    m_list->clear();
    for (const auto &[caption, file] : m_fileCaptions)
        addItem(caption, -1, file);
    for (int i = 0; i < m_typed.size(); ++i)
        addItem(m_typed[i], i, {});
}

void CaptionsDock::addItem(const QString &text, int typedIndex, const QString &file)
{
    auto *item = new QListWidgetItem(text, m_list);
    item->setData(Qt::UserRole, typedIndex);
    if (typedIndex >= 0) {
        item->setFlags(item->flags() | Qt::ItemIsEditable);
        item->setToolTip(tr("Typed: F2 edits, Delete deletes"));
    } else {
        item->setForeground(palette().color(QPalette::PlaceholderText));
        item->setToolTip(tr("From %1").arg(QDir::toNativeSeparators(file)));
    }
}

bool CaptionsDock::eventFilter(QObject *watched, QEvent *event)
{
    // A line edit would join pasted lines into one; many lines pasted are many captions.
    if (watched == m_edit && event->type() == QEvent::KeyPress
        && static_cast<QKeyEvent *>(event)->matches(QKeySequence::Paste)) {
        const QString text = QGuiApplication::clipboard()->text();
        if (text.contains(u'\n')) {
            Q_EMIT captionsAdded(text.split(u'\n'));
            return true;
        }
    }
    return QDockWidget::eventFilter(watched, event);
}

}  // namespace cospace
