#pragma once
// The Search dock: a text query (debounced while typing; search.h prompt syntax) and the images
// ranked for it as a thumbnail grid with cosine and calibrated percentile. Ctrl+F (on the window
// given) shows the dock and focuses the field.

#include "core/search/search.h"

#include <QDockWidget>

class QLineEdit;
class QListWidget;
class QTimer;

namespace cospace {

class SearchDock : public QDockWidget
{
    Q_OBJECT
public:
    explicit SearchDock(QWidget *window);
    QLineEdit *edit() const { return m_edit; }
    QListWidget *results() const { return m_results; }
    void showResults(const QList<SearchHit> &hits);
    void clearResults();

Q_SIGNALS:
    void searchRequested(const QString &prompt);   // after typing pauses

private:
    QLineEdit *m_edit = nullptr;
    QListWidget *m_results = nullptr;
    QTimer *m_debounce = nullptr;
};

}  // namespace cospace
