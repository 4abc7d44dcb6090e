#pragma once
// The Captions dock: type a caption and press Enter (pasting several lines adds one caption per
// line); the list shows the captions of the workspace's files (greyed, they change with their file)
// and the typed ones (F2 or double-click edits, Delete deletes, Undo brings deleted ones back).

#include "core/explorer/collection.h"

#include <QDockWidget>

class QAction;
class QLineEdit;
class QListWidget;
class QListWidgetItem;

namespace cospace {

class CaptionsDock : public QDockWidget
{
    Q_OBJECT
public:
    explicit CaptionsDock(QWidget *parent = nullptr);
    QListWidget *list() const { return m_list; }
    QLineEdit *edit() const { return m_edit; }
    QAction *undoAction() const { return m_undo; }

    // Rows: Qt::UserRole is the typed caption's index in Workspace::captions, -1 for a file's caption.
    void setFileCaptions(const QList<CaptionFile> &files);
    void setTypedCaptions(const QStringList &typed);

Q_SIGNALS:
    void captionsAdded(const QStringList &lines);
    void captionEdited(int index, const QString &text);
    void captionsDeleted(const QList<int> &indices);
    void undoRequested();
    void message(const QString &text);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;   // pasting many captions at once

private:
    void rebuild();
    void addItem(const QString &text, int typedIndex, const QString &file);

    QLineEdit *m_edit = nullptr;
    QListWidget *m_list = nullptr;
    QAction *m_undo = nullptr;
    QList<QPair<QString, QString>> m_fileCaptions;   // (caption, file)
    QStringList m_typed;
};

}  // namespace cospace
