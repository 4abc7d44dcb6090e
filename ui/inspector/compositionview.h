#pragma once
// The Composition tab of the training inspector: where the space fails to bind attributes. Lists the
// compositional probe's failures of one epoch (probe/composition-NNN.json, written by the trainer on
// the validation split; see core/eval/composition.h): the image, its true caption and the swapped
// caption it scored higher, with the swap kind and both cosines, worst first. Above the list, the
// epoch's accuracy per swap kind with its 95% interval and count; a kind filter and "Failures only"
// (off: the near misses the trainer kept are listed too). Hovering an image shows it.
// GUI thread only.

#include "core/eval/composition.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QTreeWidget;

namespace cospace {

class RunFolder;

class CompositionView : public QWidget
{
    Q_OBJECT
public:
    explicit CompositionView(QWidget *parent = nullptr);

    // Shows this epoch of the run (re-reads the file only when the run or epoch changed).
    void showEpoch(const RunFolder &run, int epoch);
    void setResult(const CompositionResult &result, int epoch);
    void clear();

    const CompositionResult &result() const { return m_result; }
    QTreeWidget *list() const { return m_list; }
    QLabel *summary() const { return m_summary; }
    QComboBox *kindFilter() const { return m_kind; }
    QCheckBox *failuresOnly() const { return m_failuresOnly; }

private:
    void fill();

    CompositionResult m_result;
    int m_epoch = 0;
    QString m_dir;
    QLabel *m_summary = nullptr;
    QComboBox *m_kind = nullptr;
    QCheckBox *m_failuresOnly = nullptr;
    QTreeWidget *m_list = nullptr;
};

}  // namespace cospace
