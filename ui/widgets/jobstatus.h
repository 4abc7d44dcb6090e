#pragma once
// The status-bar face of a long job: what it does, a progress bar with ETA, and Cancel.

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace cospace {

struct JobProgress;
struct WorkspaceLayout;

class JobStatus : public QWidget
{
    Q_OBJECT
public:
    explicit JobStatus(QWidget *parent = nullptr);

    // Busy: the bar (indeterminate until a total arrives) and Cancel show.
    void setBusy(bool busy, const QString &text = {});
    bool isBusy() const { return m_busy; }
    void showProgress(const JobProgress &progress);   // ignored when not busy
    void setText(const QString &text, const QString &toolTip = {});
    QString text() const;
    // "N images, M captions — UMAP (cached layout) — K files skipped", the reasons on hover.
    void showLayoutSummary(const WorkspaceLayout &layout);

Q_SIGNALS:
    void cancelRequested();

private:
    bool m_busy = false;
    QLabel *m_label = nullptr;
    QProgressBar *m_bar = nullptr;
    QPushButton *m_cancel = nullptr;
};

}  // namespace cospace
