#pragma once
// The Clusters dock: the workspace's images clustered in the embedding space (spherical k-means, k
// by silhouette unless set; analysis/clusters.h), each labelled by contrasted words (no language
// model; analysis/clusterlabels.h), listed with their sizes. Clicking one selects its points on the
// map; the labels are drawn on the map (MapLabelOverlay, with level of detail). Runs on the
// explorer's session thread through ExplorerEngine::analyse; again after every new layout while
// "Label automatically" is on. GUI thread.

#include "core/analysis/clusterlabels.h"

#include <QDockWidget>

#include <memory>

class QCheckBox;
class QLabel;
class QListWidget;
class QSpinBox;

namespace cospace {

class ExplorerEngine;
class MapLabelOverlay;
class MapView;

class ClustersDock : public QDockWidget
{
    Q_OBJECT
public:
    ClustersDock(ExplorerEngine *engine, MapView *map, MapLabelOverlay *overlay, QWidget *parent = nullptr);

    void compute();                 // clusters and labels for the map shown
    void mapReplaced();             // a new layout: old clusters no longer apply (recomputed if automatic)
    void refreshLabelPositions();   // the points moved (semantic axes): labels follow their clusters
    void setVocabularyFile(const QString &file);   // empty: the workspace's captions + the model's words
    const QList<ClusterSummary> &clusters() const { return m_clusters; }
    bool computing() const { return m_computing; }   // a request is on its way
    QListWidget *list() const { return m_list; }

Q_SIGNALS:
    void clustersShown();

private:
    struct Result {
        QList<ClusterSummary> clusters;   // members are map-point indices
        std::shared_ptr<const Vocabulary> vocabulary;
        QString modelFingerprint;
        int k = 0;
        double silhouette = 0;
    };
    void show(const Result &result);

    ExplorerEngine *m_engine;
    MapView *m_map;
    MapLabelOverlay *m_overlay;
    QSpinBox *m_k = nullptr;
    QCheckBox *m_auto = nullptr;
    QLabel *m_status = nullptr;
    QListWidget *m_list = nullptr;
    QList<ClusterSummary> m_clusters;
    QString m_vocabularyFile;
    std::shared_ptr<const Vocabulary> m_vocabulary;   // encoded once per model and word list
    QString m_vocabularyModel;
    quint64 m_request = 0;
    bool m_computing = false;
};

}  // namespace cospace
