#include "ui/explorer/clustersdock.h"

#include "core/analysis/imageset.h"
#include "core/model/embeddingmodel.h"
#include "ui/explorer/explorerengine.h"
#include "ui/map/maplabels.h"
#include "ui/map/mapview.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QHash>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace cospace {

ClustersDock::ClustersDock(ExplorerEngine *engine, MapView *map, MapLabelOverlay *overlay, QWidget *parent)
    : QDockWidget(tr("Clusters"), parent), m_engine(engine), m_map(map), m_overlay(overlay)
{
    setObjectName(u"clustersDock"_qs);
    auto *panel = new QWidget(this);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("k"), panel));
    m_k = new QSpinBox(panel);
    m_k->setRange(0, 200);
    m_k->setSpecialValueText(tr("auto"));
    m_k->setToolTip(tr("Number of clusters; auto picks k from 2 to 20 by the silhouette"));
    row->addWidget(m_k);
    auto *run = new QPushButton(tr("Find Clusters"), panel);
    connect(run, &QPushButton::clicked, this, &ClustersDock::compute);
    row->addWidget(run);
    auto *vocab = new QPushButton(tr("Vocabulary…"), panel);
    vocab->setToolTip(tr("Label with the words of a file (one per line) instead of the captions and the model's words"));
    connect(vocab, &QPushButton::clicked, this, [this] {
        setVocabularyFile(QFileDialog::getOpenFileName(this, tr("Label Vocabulary"), {}, tr("Text files (*.txt);;All files (*)")));
    });
    row->addWidget(vocab);
    layout->addLayout(row);
    m_auto = new QCheckBox(tr("Label automatically"), panel);
    m_auto->setChecked(true);
    m_auto->setToolTip(tr("Cluster and label every new map"));
    layout->addWidget(m_auto);
    m_status = new QLabel(tr("Clusters of the images in the embedding space, labelled with words."), panel);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    m_list = new QListWidget(panel);
    layout->addWidget(m_list);
    connect(m_list, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        const int c = item->data(Qt::UserRole).toInt();
        if (c >= 0 && c < m_clusters.size())
            m_map->setSelection(m_clusters[c].members);
    });
    setWidget(panel);
}

void ClustersDock::setVocabularyFile(const QString &file)
{
    m_vocabularyFile = file;
    m_vocabulary.reset();
    if (!m_clusters.isEmpty())
        compute();
}

void ClustersDock::mapReplaced()
{
    m_clusters.clear();
    m_list->clear();
    m_overlay->setLabels({});
    if (m_auto->isChecked())
        compute();
}

void ClustersDock::compute()
{
    ClusterParams params;
    params.k = m_k->value();
    const quint64 id = ++m_request;
    m_computing = true;
    m_status->setText(tr("Clustering…"));
    auto vocabulary = m_vocabulary;
    const QString vocabularyModel = m_vocabularyModel, file = m_vocabularyFile;
    m_engine->analyse<Result>(
        this,
        [params, vocabulary, vocabularyModel, file](WorkspaceSession &s, JobControl &job) {
            const WorkspaceSession::MapData d = s.mapData();
            if (!d.model || d.imageCount < 2)
                throw std::runtime_error("Not enough images on the map to cluster.");
            // The image rows come first, in one block when they came whole from the store's snapshot:
            // then clustered where they are mapped (no 2 GB copy at 1M).
            Matrix copy;
            const MatrixView images = d.vectors->slice(0, d.imageCount).viewOrCopy(copy);
            Result r;
            r.modelFingerprint = d.model->fingerprint();
            const Clustering c = clusterEmbeddings(images, params, &job);
            r.k = c.k;
            r.silhouette = c.silhouette;
            r.vocabulary = vocabulary;
            if (!r.vocabulary || vocabularyModel != r.modelFingerprint) {
                QStringList captions;
                for (int i = d.imageCount; i < d.items->size(); ++i)
                    captions << (*d.items)[i].caption;
                const QStringList words = file.isEmpty() ? labelVocabulary(*d.model, captions) : readTextLines(file);
                r.vocabulary = std::make_shared<const Vocabulary>(encodeVocabulary(*d.model, words, &job));
            }
            r.clusters = labelClusters(c, *r.vocabulary);   // image rows are the first map points
            return r;
        },
        [this, id](const JobOutcome<Result> &o) {
            if (id != m_request)
                return;
            m_computing = false;
            if (!o.ok()) {
                m_status->setText(o.cancelled ? tr("Cancelled.") : o.error);
                Q_EMIT clustersShown();   // nothing to wait for any more
                return;
            }
            show(*o.value);
        });
}

void ClustersDock::show(const Result &r)
{
    m_vocabulary = r.vocabulary;
    m_vocabularyModel = r.modelFingerprint;
    m_clusters = r.clusters;
    m_list->clear();
    for (const ClusterSummary &c : m_clusters) {
        QStringList words;
        for (const auto &[w, s] : c.words)
            words << u"%1 (%2)"_qs.arg(w).arg(s, 0, 'f', 3);
        auto *item = new QListWidgetItem(tr("%1 — %n image(s)", nullptr, int(c.members.size()))
                                             .arg(c.label.isEmpty() ? tr("cluster %1").arg(c.id + 1) : c.label));
        item->setData(Qt::UserRole, c.id);
        item->setToolTip(tr("Words closest to this cluster, contrasted with the others:\n%1").arg(words.join(u'\n')));
        m_list->addItem(item);
    }
    m_status->setText(tr("%1 clusters (%2), silhouette %3; %4 vocabulary words. Click one to select it.")
                          .arg(r.k).arg(m_k->value() == 0 ? tr("k by silhouette") : tr("k set"))
                          .arg(r.silhouette, 0, 'f', 3).arg(r.vocabulary ? r.vocabulary->words.size() : 0));
    refreshLabelPositions();
    Q_EMIT clustersShown();
}

void ClustersDock::refreshLabelPositions()
{
    // A cluster of the embedding space need not be one blob on the map (a 2-D layout tears some
    // apart): each label goes where most of its members are — the densest cell of a 24 x 24 grid over
    // the map — on the member nearest the mean of that cell's members, so it always sits on a point.
    constexpr int kGrid = 24;
    const QList<MapPoint> &points = m_map->points();
    QRectF bounds;
    for (const MapPoint &p : points)
        bounds = bounds.isNull() ? QRectF(p.pos, QSizeF(1e-9, 1e-9)) : bounds.united(QRectF(p.pos, QSizeF(1e-9, 1e-9)));
    const double cell = std::max(bounds.width(), bounds.height()) / kGrid + 1e-12;
    QList<MapLabelOverlay::Label> labels;
    for (const ClusterSummary &c : m_clusters) {
        QHash<quint32, QList<int>> cells;
        for (int i : c.members)
            if (i < points.size()) {
                const auto gx = quint32((points[i].pos.x() - bounds.left()) / cell), gy = quint32((points[i].pos.y() - bounds.top()) / cell);
                cells[gx * 1024 + gy].append(i);
            }
        if (cells.isEmpty() || c.label.isEmpty())
            continue;
        const QList<int> *densest = nullptr;
        for (auto it = cells.cbegin(); it != cells.cend(); ++it)
            if (!densest || it->size() > densest->size() || (it->size() == densest->size() && it->first() < densest->first()))
                densest = &*it;
        QPointF mean;
        for (int i : *densest)
            mean += points[i].pos;
        mean /= double(densest->size());
        QPointF at = points[densest->first()].pos;
        double best = 1e300;
        for (int i : *densest) {
            const QPointF d = points[i].pos - mean;
            if (const double dist = d.x() * d.x() + d.y() * d.y(); dist < best) {
                best = dist;
                at = points[i].pos;
            }
        }
        labels.append({at, c.label, int(c.members.size())});
    }
    m_overlay->setLabels(labels);
}

}  // namespace cospace
