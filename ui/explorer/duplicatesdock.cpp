#include "ui/explorer/duplicatesdock.h"

#include "ui/explorer/explorerengine.h"
#include "ui/map/mapview.h"
#include "ui/widgets/thumbnailicon.h"

#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace cospace {

namespace {
constexpr int kIconSide = 48;
enum Role { GroupRole = Qt::UserRole, MemberRole };

QString csvField(QString s)
{
    if (s.contains(u',') || s.contains(u'"') || s.contains(u'\n'))
        s = u'"' + s.replace(u"\""_qs, u"\"\""_qs) + u'"';
    return s;
}
}  // namespace

DuplicatesDock::DuplicatesDock(ExplorerEngine *engine, MapView *map, std::function<void()> filesMoved, QWidget *parent)
    : QDockWidget(tr("Duplicates"), parent), m_engine(engine), m_map(map), m_filesMoved(std::move(filesMoved))
{
    setObjectName(u"duplicatesDock"_qs);
    auto *panel = new QWidget(this);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Cosine ≥"), panel));
    m_threshold = new QDoubleSpinBox(panel);
    m_threshold->setRange(0.5, 1.0);
    m_threshold->setDecimals(3);
    m_threshold->setSingleStep(0.005);
    m_threshold->setValue(double(kDefaultDuplicateThreshold));
    m_threshold->setToolTip(tr("Images at least this similar are near-duplicates (default %1: finds re-encoded, "
                               "resized and lightly cropped copies)").arg(double(kDefaultDuplicateThreshold)));
    row->addWidget(m_threshold);
    auto *run = new QPushButton(tr("Find Duplicates"), panel);
    connect(run, &QPushButton::clicked, this, &DuplicatesDock::find);
    row->addWidget(run);
    layout->addLayout(row);
    m_summary = new QLabel(tr("Groups of near-identical images, identical files, and outliers."), panel);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    m_groups = new QTreeWidget(panel);
    m_groups->setHeaderHidden(true);
    m_groups->setIconSize(QSize(kIconSide, kIconSide));
    connect(m_groups, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem *item) {
        if (item->parent())
            m_map->selectPoint(item->data(0, MemberRole).toInt());
    });
    m_outliers = new QListWidget(panel);
    m_outliers->setIconSize(QSize(32, 32));
    connect(m_outliers, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) { m_map->selectPoint(item->data(MemberRole).toInt()); });
    auto *split = new QSplitter(Qt::Vertical, panel);
    split->addWidget(m_groups);
    split->addWidget(m_outliers);
    layout->addWidget(split, 1);
    auto *actions = new QHBoxLayout;
    auto *keep = new QPushButton(tr("Keep Selected, Move the Rest…"), panel);
    keep->setToolTip(tr("Select the image to keep in a group; the others are moved to a folder you choose (after you confirm)"));
    connect(keep, &QPushButton::clicked, this, &DuplicatesDock::keepSelected);
    auto *exportList = new QPushButton(tr("Export List…"), panel);
    connect(exportList, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export Duplicates"), u"duplicates.csv"_qs, tr("CSV (*.csv)"));
        if (!f.isEmpty())
            if (const QString e = exportCsv(f); !e.isEmpty())
                QMessageBox::warning(this, tr("Export Duplicates"), e);
    });
    actions->addWidget(keep);
    actions->addWidget(exportList);
    layout->addLayout(actions);
    setWidget(panel);
}

void DuplicatesDock::setThreshold(double threshold) { m_threshold->setValue(threshold); }

void DuplicatesDock::mapReplaced()
{
    m_result = {};
    m_paths.clear();
    m_groups->clear();
    m_outliers->clear();
}

void DuplicatesDock::find()
{
    DuplicateParams params;
    params.threshold = float(m_threshold->value());
    const quint64 id = ++m_request;
    m_summary->setText(tr("Comparing…"));
    using Found = std::pair<DuplicateResult, QStringList>;
    m_engine->analyse<Found>(
        this,
        [params](WorkspaceSession &s, JobControl &job) {
            const WorkspaceSession::MapData d = s.mapData();
            if (d.imageCount == 0)
                throw std::runtime_error("No images on the map.");
            Matrix copy;   // only when the image rows are not one block (read in place at 1M)
            const MatrixView images = d.vectors->slice(0, d.imageCount).viewOrCopy(copy);
            QStringList paths;
            for (int i = 0; i < d.imageCount; ++i)
                paths << (*d.items)[i].path;
            return Found{findDuplicates(images, fileHashes(paths, &job), params, &job), paths};
        },
        [this, id](const JobOutcome<Found> &o) {
            if (id != m_request)
                return;
            if (!o.ok())
                m_summary->setText(o.cancelled ? tr("Cancelled.") : o.error);
            else
                show(o.value->first, o.value->second);
        });
}

void DuplicatesDock::show(const DuplicateResult &r, const QStringList &paths)
{
    m_result = r;
    m_paths = paths;
    m_groups->clear();
    m_outliers->clear();
    for (int g = 0; g < r.groups.size(); ++g) {
        const DuplicateGroup &group = r.groups[g];
        auto *top = new QTreeWidgetItem(m_groups, {tr("%n image(s), similarity ≥ %1%2", nullptr, int(group.members.size()))
                                                       .arg(group.minSimilarity, 0, 'f', 3)
                                                       .arg(group.exact ? tr(" — identical files") : QString())});
        top->setData(0, GroupRole, g);
        for (int i : group.members) {
            auto *child = new QTreeWidgetItem(top, {QFileInfo(paths[i]).fileName()});
            child->setToolTip(0, paths[i]);
            child->setIcon(0, thumbnailIcon(paths[i], kIconSide));
            child->setData(0, GroupRole, g);
            child->setData(0, MemberRole, i);
        }
        top->setExpanded(g < 20);
    }
    for (const Outlier &o : r.outliers) {
        auto *item = new QListWidgetItem(tr("outlier %1 — %2").arg(o.score, 0, 'f', 3).arg(QFileInfo(paths[o.row]).fileName()));
        item->setData(MemberRole, o.row);
        item->setToolTip(tr("Mean cosine distance to its %1 nearest images: %2\n%3").arg(kOutlierNeighbours)
                             .arg(o.score, 0, 'f', 4).arg(paths[o.row]));
        item->setIcon(thumbnailIcon(paths[o.row], 32));
        m_outliers->addItem(item);
    }
    m_summary->setText(tr("%1 group(s) among %2 images at cosine ≥ %3; the %4 least typical images below.")
                           .arg(r.groups.size()).arg(paths.size()).arg(m_threshold->value(), 0, 'f', 3).arg(r.outliers.size()));
    Q_EMIT found();
}

QStringList DuplicatesDock::moveAllBut(int group, int keep, const QString &folder)
{
    QStringList failures;
    if (group < 0 || group >= m_result.groups.size())
        return failures;
    QDir().mkpath(folder);
    for (int i : m_result.groups[group].members) {
        if (i == keep)
            continue;
        const QString from = m_paths[i];
        QString to = QDir(folder).filePath(QFileInfo(from).fileName());
        for (int n = 2; QFileInfo::exists(to); ++n)   // never overwrite: name.2.jpg, name.3.jpg, ...
            to = QDir(folder).filePath(u"%1.%2.%3"_qs.arg(QFileInfo(from).completeBaseName()).arg(n).arg(QFileInfo(from).suffix()));
        if (!QFile::rename(from, to))
            failures << tr("%1: could not be moved to %2").arg(from, folder);
    }
    return failures;
}

void DuplicatesDock::keepSelected()
{
    QTreeWidgetItem *item = m_groups->currentItem();
    if (!item || !item->parent()) {
        QMessageBox::information(this, tr("Keep One"), tr("Select the image to keep inside a group first."));
        return;
    }
    const int group = item->data(0, GroupRole).toInt(), keep = item->data(0, MemberRole).toInt();
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Move the Other Copies To"));
    if (folder.isEmpty())
        return;
    const int moving = int(m_result.groups[group].members.size()) - 1;
    const auto answer = QMessageBox::question(
        this, tr("Move Duplicates"),
        tr("Keep %1 and move %n other file(s) of this group to\n%2?\n\nNothing is deleted; you can move them back.", nullptr, moving)
            .arg(QFileInfo(m_paths[keep]).fileName(), folder));
    if (answer != QMessageBox::Yes)
        return;
    const QStringList failures = moveAllBut(group, keep, folder);
    if (!failures.isEmpty())
        QMessageBox::warning(this, tr("Move Duplicates"), failures.join(u'\n'));
    if (m_filesMoved)
        m_filesMoved();
}

QString DuplicatesDock::exportCsv(const QString &file) const
{
    QByteArray csv = "group,path,min_similarity,exact\n";
    for (int g = 0; g < m_result.groups.size(); ++g)
        for (int i : m_result.groups[g].members)
            csv += u"%1,%2,%3,%4\n"_qs.arg(g + 1).arg(csvField(m_paths[i])).arg(double(m_result.groups[g].minSimilarity), 0, 'f', 4)
                       .arg(m_result.groups[g].exact ? u"true"_qs : u"false"_qs).toUtf8();
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) || out.write(csv) != csv.size() || !out.commit())
        return tr("%1: cannot write: %2").arg(file, out.errorString());
    return {};
}

}  // namespace cospace
