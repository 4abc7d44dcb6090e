#include "ui/widgets/jobstatus.h"

#include "core/base/job.h"
#include "core/explorer/workspacesession.h"

#include <QFileInfo>

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>

namespace cospace {

JobStatus::JobStatus(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_label = new QLabel(this);
    m_bar = new QProgressBar(this);
    m_bar->setMaximumWidth(200);
    m_bar->setVisible(false);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setVisible(false);
    connect(m_cancel, &QPushButton::clicked, this, &JobStatus::cancelRequested);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_bar);
    layout->addWidget(m_cancel);
}

void JobStatus::setBusy(bool busy, const QString &text)
{
    m_busy = busy;
    m_label->setText(text);
    m_bar->setVisible(busy);
    m_cancel->setVisible(busy);
    m_bar->setRange(0, 0);   // indeterminate until the job reports a total
}

void JobStatus::showProgress(const JobProgress &p)
{
    if (!m_busy)
        return;
    if (p.total > 0) {
        m_bar->setRange(0, 1000);
        m_bar->setValue(int(1000 * std::min<qint64>(p.done, p.total) / p.total));
    } else {
        m_bar->setRange(0, 0);
    }
    QString text = p.stage;
    if (p.total > 0)
        text += tr(" — %1/%2, %3/s, ETA %4").arg(p.done).arg(p.total).arg(p.itemsPerSecond, 0, 'f', 1).arg(p.formatEta());
    m_label->setText(text);
}

void JobStatus::setText(const QString &text, const QString &toolTip)
{
    m_label->setText(text);
    m_label->setToolTip(toolTip);
}

QString JobStatus::text() const { return m_label->text(); }

void JobStatus::showLayoutSummary(const WorkspaceLayout &layout)
{
    int images = 0;
    for (const MapPoint &p : layout.points)
        images += p.kind == MapPoint::Image;
    QString text = tr("%n image(s), %1 captions — %2", nullptr, images)
                       .arg(layout.points.size() - images).arg(kProjectionMethods.name(layout.method).toUpper());
    if (layout.cachedLayout)
        text += tr(" (cached layout)");
    QStringList reasons;
    for (const SkippedFile &s : layout.skipped)
        reasons << u"%1: %2"_qs.arg(QFileInfo(s.path).fileName(), s.reason);
    if (!layout.skipped.isEmpty())
        text += tr(" — %n file(s) skipped (hover for reasons)", nullptr, int(layout.skipped.size()));
    setText(text, reasons.join(u'\n'));
}

}  // namespace cospace
