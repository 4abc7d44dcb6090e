#pragma once
// The Duplicates dock: groups of near-duplicate images (embedding cosine at or above a threshold,
// identical files marked) side by side, and the outliers (analysis/duplicates.h). Per group: keep
// one and move the rest to a folder — after a confirmation that lists what moves where — and the
// whole list can be exported as CSV. Nothing is ever deleted from here. GUI thread; the comparison
// runs on the explorer's session thread.

#include "core/analysis/duplicates.h"

#include <QDockWidget>

#include <functional>

class QDoubleSpinBox;
class QLabel;
class QListWidget;
class QTreeWidget;

namespace cospace {

class ExplorerEngine;
class MapView;

class DuplicatesDock : public QDockWidget
{
    Q_OBJECT
public:
    // `filesMoved` is called after files were moved (the window re-scans its folders).
    DuplicatesDock(ExplorerEngine *engine, MapView *map, std::function<void()> filesMoved, QWidget *parent = nullptr);

    void setThreshold(double threshold);
    void find();
    void mapReplaced();
    const DuplicateResult &result() const { return m_result; }
    const QStringList &paths() const { return m_paths; }
    QTreeWidget *groupsView() const { return m_groups; }
    QListWidget *outliersView() const { return m_outliers; }
    // Moves every member of group `group` but `keep` into `folder` (no confirmation: the dialog
    // asked). Returns the files that could not be moved, with the reason.
    QStringList moveAllBut(int group, int keep, const QString &folder);
    QString exportCsv(const QString &file) const;   // "" or an error message

Q_SIGNALS:
    void found();

private:
    void show(const DuplicateResult &result, const QStringList &paths);
    void keepSelected();

    ExplorerEngine *m_engine;
    MapView *m_map;
    std::function<void()> m_filesMoved;
    QDoubleSpinBox *m_threshold = nullptr;
    QLabel *m_summary = nullptr;
    QTreeWidget *m_groups = nullptr;
    QListWidget *m_outliers = nullptr;
    DuplicateResult m_result;
    QStringList m_paths;   // image paths, in map order
    quint64 m_request = 0;
};

}  // namespace cospace
