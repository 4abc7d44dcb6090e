#pragma once
// The Matches dock: the captions ranked for an image (dropped, or clicked on the map) or the images
// ranked for a caption, with cosine and calibrated percentile.

#include "core/search/search.h"

#include <QDockWidget>

class QLabel;
class QListWidget;

namespace cospace {

class MatchesDock : public QDockWidget
{
    Q_OBJECT
public:
    explicit MatchesDock(QWidget *parent = nullptr);
    QListWidget *list() const { return m_list; }
    void setWaiting(const QString &what);   // "Matching photo.jpg…"
    void showMatches(const QString &title, const QList<SearchHit> &hits);

private:
    QLabel *m_title = nullptr;
    QListWidget *m_list = nullptr;
};

}  // namespace cospace
