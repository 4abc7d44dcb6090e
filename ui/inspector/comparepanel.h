#pragma once
// Compare two checkpoints (two epochs of one run), two runs trained on the same data, or the run with
// any model (a checkpoint file, a CLIP bundle, the default model) on the run's probe pairs: metrics side
// by side (A, B, B − A; the validation metrics of metrics.jsonl, then the same metrics on the probe
// pairs, which is all a model outside the run can be compared on) and both probe maps, B aligned to A
// by 2-D Procrustes over the probe pairs they share (same image and caption), so the same item sits in
// the same place unless the spaces really differ. Two runs may come from different writers (a Cospace
// run and a PyTorch run logged with cospace_runlog): their probe rows are then computed on the pairs
// both have, and a note says when their logged metrics were computed on different sets (validation
// split or probe pairs). A model cannot be compared on a run whose probe images are only thumbnails. A model embeds the probe on a pool thread (loaded,
// used and freed there); an answer for a model replaced meanwhile is dropped. The maps are PCA layouts
// of at most 1,024 points: computed on the GUI thread in milliseconds. GUI thread only.

#include "core/train/probeanalysis.h"
#include "core/train/runfolder.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QTableWidget;

namespace cospace {

class MapView;

class ComparePanel : public QWidget
{
    Q_OBJECT
public:
    explicit ComparePanel(QWidget *parent = nullptr);

    // A is the inspector's run; B defaults to the same run (compare two of its epochs).
    void setRunA(const RunFolder &run);
    void setRunB(const RunFolder &run);
    void chooseRunB();                     // asks for a run folder
    void setEpochs(int epochA, int epochB);
    // B = a model ("default", a checkpoint file or a bundle folder) on this run's probe pairs.
    void compareWithModel(const QString &spec);

    QTableWidget *table() const { return m_table; }
    MapView *mapA() const { return m_mapA; }
    MapView *mapB() const { return m_mapB; }
    int sharedPairs() const { return m_shared; }   // pairs the alignment used (0 = not aligned)
    QString message() const;

Q_SIGNALS:
    void modelCompared();   // a model's probe embeddings arrived and are shown as B

private:
    struct ModelProbe {
        Matrix embeddings;   // 2P x D: images, then captions
        QString name, source;
    };
    // A job (throws on a model or image error): the model is created, used and destroyed on the
    // worker thread (models are not thread-safe).
    static ModelProbe embedProbe(const QString &spec, const QList<ProbePair> &pairs);
    void fillEpochs(QComboBox *box, const RunFolder &run, int select);
    void refresh();
    void fillTable(const QJsonObject &a, const QJsonObject &b, const QJsonObject &probeA, const QJsonObject &probeB);
    void fillMaps(const Matrix &ea, const ProbeAnalysis &pa, const Matrix &eb, const ProbeAnalysis &pb);
    QString probeMetricsOnSharedPairs(const Matrix &ea, const Matrix &eb, QJsonObject &probeA, QJsonObject &probeB) const;

    RunFolder m_a, m_b;
    bool m_bIsA = true;
    bool m_bIsModel = false;
    Matrix m_modelEmbeddings;
    quint64 m_modelRequest = 0;
    QComboBox *m_epochA = nullptr;
    QComboBox *m_epochB = nullptr;
    QLabel *m_sourceB = nullptr;
    QLabel *m_note = nullptr;
    QTableWidget *m_table = nullptr;
    MapView *m_mapA = nullptr;
    MapView *m_mapB = nullptr;
    int m_shared = 0;
};

}  // namespace cospace
