#include "ui/explorer/zeroshotdock.h"

#include "core/analysis/imageset.h"
#include "ui/explorer/explorerengine.h"
#include "ui/map/mapcolouring.h"
#include "ui/map/mapview.h"
#include "ui/widgets/thumbnailicon.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSet>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace cospace {

namespace {
constexpr int kMaxFolderClasses = 50;   // more folders than this are not offered as class names
const QColor kCaptionGrey(160, 160, 160);

QStringList lines(const QPlainTextEdit *edit)
{
    QStringList out;
    for (const QString &l : edit->toPlainText().split(u'\n'))
        if (!l.trimmed().isEmpty())
            out << l.trimmed();
    return out;
}
}  // namespace

ZeroShotDock::ZeroShotDock(ExplorerEngine *engine, MapView *map, QWidget *parent)
    : QDockWidget(tr("Zero-shot"), parent), m_engine(engine), m_map(map)
{
    setObjectName(u"zeroShotDock"_qs);
    auto *panel = new QWidget(this);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *inputs = new QHBoxLayout;
    m_classes = new QPlainTextEdit(panel);
    m_classes->setPlaceholderText(tr("Class names, one per line"));
    m_templates = new QPlainTextEdit(defaultZeroShotTemplates().join(u'\n'), panel);
    m_templates->setToolTip(tr("Prompt templates, one per line; {} is replaced by the class name"));
    inputs->addWidget(m_classes);
    inputs->addWidget(m_templates);
    layout->addLayout(inputs, 1);
    auto *buttons = new QHBoxLayout;
    auto *load = new QPushButton(tr("Classes from File…"), panel);
    connect(load, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Class Names"), {}, tr("Text files (*.txt);;All files (*)"));
        if (!f.isEmpty())
            setClasses(readTextLines(f));
    });
    auto *run = new QPushButton(tr("Classify"), panel);
    connect(run, &QPushButton::clicked, this, &ZeroShotDock::classify);
    buttons->addWidget(load);
    buttons->addStretch();
    buttons->addWidget(run);
    layout->addLayout(buttons);
    m_summary = new QLabel(tr("Each image gets the class whose prompts it matches best."), panel);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    m_confusion = new QTableWidget(panel);
    m_confusion->setToolTip(tr("Rows: the folder (true class); columns: the predicted class"));
    m_confusion->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_wrong = new QListWidget(panel);
    m_wrong->setIconSize(QSize(32, 32));
    connect(m_wrong, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) { m_map->selectPoint(item->data(Qt::UserRole).toInt()); });
    auto *split = new QSplitter(Qt::Vertical, panel);
    split->addWidget(m_confusion);
    split->addWidget(m_wrong);
    layout->addWidget(split, 2);
    setWidget(panel);
}

void ZeroShotDock::setClasses(const QStringList &classes) { m_classes->setPlainText(classes.join(u'\n')); }
void ZeroShotDock::setTemplates(const QStringList &templates) { m_templates->setPlainText(templates.join(u'\n')); }

void ZeroShotDock::mapReplaced()
{
    m_result = {};
    m_confusion->clear();
    m_confusion->setRowCount(0);
    m_wrong->clear();
    // Images in folders named by category: those names are the classes to try first.
    // String slicing, not QFileInfo: this runs on the GUI thread over every point (1M on a big map).
    QStringList folders;
    QSet<QStringView> seen;
    for (const MapPoint &p : m_map->points())
        if (p.kind == MapPoint::Image) {
            const qsizetype slash = p.path.lastIndexOf(u'/');
            const qsizetype before = slash > 0 ? p.path.lastIndexOf(u'/', slash - 1) : -1;
            const QStringView name = QStringView(p.path).mid(before + 1, slash - before - 1);
            if (slash > 0 && !seen.contains(name)) {
                seen.insert(name);
                folders << name.toString();
                if (folders.size() > kMaxFolderClasses)
                    break;
            }
        }
    if (lines(m_classes).isEmpty() && folders.size() >= 2 && folders.size() <= kMaxFolderClasses)
        setClasses(folders);
}

void ZeroShotDock::classify()
{
    const QStringList classes = lines(m_classes), templates = lines(m_templates);
    const quint64 id = ++m_request;
    m_summary->setText(tr("Classifying…"));
    m_engine->analyse<ZeroShotResult>(
        this,
        [classes, templates](WorkspaceSession &s, JobControl &job) {
            const WorkspaceSession::MapData d = s.mapData();
            if (!d.model || d.imageCount == 0)
                throw std::runtime_error("No images on the map to classify.");
            Matrix copy;   // only when the image rows are not one block (read in place at 1M)
            const MatrixView images = d.vectors->slice(0, d.imageCount).viewOrCopy(copy);
            QStringList paths;
            for (int i = 0; i < d.imageCount; ++i)
                paths << (*d.items)[i].path;
            return cospace::classify(images, paths, classes, classEmbeddings(*d.model, classes, templates, &job));
        },
        [this, id](const JobOutcome<ZeroShotResult> &o) {
            if (id != m_request)
                return;
            if (!o.ok())
                m_summary->setText(o.cancelled ? tr("Cancelled.") : o.error);
            else
                show(*o.value);
        });
}

void ZeroShotDock::show(const ZeroShotResult &r)
{
    m_result = r;
    // Colour the map by predicted class; captions grey (they are not classified).
    MapColouring colouring;
    colouring.title = tr("Zero-shot class");
    const QList<MapPoint> &points = m_map->points();
    for (int i = 0; i < points.size(); ++i)
        colouring.colours << (i < r.items.size() ? categoryColour(r.items[i].predicted) : kCaptionGrey).rgba();
    for (int c = 0; c < r.classes.size(); ++c)
        colouring.legend.append({categoryColour(c), r.classes[c]});
    m_map->setColouring(colouring);

    m_wrong->clear();
    const int n = int(r.classes.size());
    m_confusion->setRowCount(r.accuracy ? n : 0);
    m_confusion->setColumnCount(r.accuracy ? n : 0);
    if (!r.accuracy) {
        m_summary->setText(tr("%n image(s) classified. Accuracy needs every image in a folder named like a class.",
                              nullptr, int(r.items.size())));
        Q_EMIT classified();
        return;
    }
    m_confusion->setHorizontalHeaderLabels(r.classes);
    m_confusion->setVerticalHeaderLabels(r.classes);
    for (int t = 0; t < n; ++t)
        for (int p = 0; p < n; ++p) {
            auto *cell = new QTableWidgetItem(QString::number(r.confusion[t][p]));
            cell->setTextAlignment(Qt::AlignCenter);
            if (t == p)
                cell->setFont([&] { QFont f = font(); f.setBold(true); return f; }());
            m_confusion->setItem(t, p, cell);
        }
    for (int i = 0; i < r.items.size(); ++i) {
        const ZeroShotItem &item = r.items[i];
        if (item.predicted == item.truth)
            continue;
        auto *row = new QListWidgetItem(tr("%1: %2, predicted %3 (%4)").arg(QFileInfo(r.paths[i]).fileName(), r.classes[item.truth],
                                                                             r.classes[item.predicted])
                                            .arg(item.probability, 0, 'f', 2));
        row->setData(Qt::UserRole, i);   // images are the first map points, in the same order
        row->setIcon(thumbnailIcon(r.paths[i], 32));
        m_wrong->addItem(row);
    }
    m_summary->setText(tr("Accuracy %1 on %2 images (chance %3); %4 misclassified, listed below.")
                           .arg(*r.accuracy, 0, 'f', 3).arg(r.items.size()).arg(1.0 / n, 0, 'f', 3).arg(m_wrong->count()));
    Q_EMIT classified();
}

}  // namespace cospace
