#pragma once
// The Selection panel: the points picked on the map with a rectangle or lasso, listed, exported to
// CSV or copied to the clipboard. GUI thread only.
//
// CSV (RFC 4180, UTF-8, header row): modality,path,caption,x,y - modality is "image" or "caption";
// path is the image file (images, and captions written for an image), caption the caption text
// (empty for images); x, y the layout position on the map.

#include "ui/map/mapview.h"

#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;

namespace cospace {

QString selectionCsv(const QList<MapPoint> &points, const QList<int> &indices);

class SelectionPanel : public QWidget
{
    Q_OBJECT
public:
    explicit SelectionPanel(QWidget *parent = nullptr);

    // Shows `indices` of `points` (copied: the map may change afterwards).
    void setSelection(const QList<MapPoint> &points, const QList<int> &indices);
    QListWidget *list() const { return m_list; }
    QString csv() const { return m_csv; }
    // Writes the CSV; returns an error message, or an empty string on success.
    QString exportCsv(const QString &path) const;
    void copyToClipboard() const;

Q_SIGNALS:
    void activated(int pointIndex);   // a row was double-clicked
    void clearRequested();

private:
    void chooseExportFile();

    QLabel *m_summary = nullptr;
    QListWidget *m_list = nullptr;
    QPushButton *m_export = nullptr;
    QPushButton *m_copy = nullptr;
    QString m_csv;
};

}  // namespace cospace
