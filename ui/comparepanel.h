#pragma once
// Compare two checkpoints (two epochs of one run) or two runs trained on the same data: their
// validation metrics side by side (A, B, B − A) and both probe maps, B aligned to A by 2-D Procrustes
// over the probe pairs they share (same image and caption), so the same item sits in the same place
// unless the spaces really differ. The maps are PCA layouts of a few hundred points: computed on the
// GUI thread in milliseconds. GUI thread only.

#include "core/runfolder.h"

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

    QTableWidget *table() const { return m_table; }
    MapView *mapA() const { return m_mapA; }
    MapView *mapB() const { return m_mapB; }
    int sharedPairs() const { return m_shared; }   // pairs the alignment used (0 = not aligned)
    QString message() const;

private:
    void fillEpochs(QComboBox *box, const RunFolder &run, int select);
    void refresh();
    void fillTable(const QJsonObject &a, const QJsonObject &b);
    void fillMaps(int epochA, int epochB);

    RunFolder m_a, m_b;
    bool m_bIsA = true;
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
