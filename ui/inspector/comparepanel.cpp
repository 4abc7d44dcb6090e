#include "ui/inspector/comparepanel.h"

#include "ui/widgets/jobdelivery.h"

#include "core/projection/alignment.h"
#include "core/model/embeddingmodel.h"
#include "core/eval/evaluation.h"
#include "core/train/probeanalysis.h"
#include "core/projection/projection.h"
#include "ui/map/mapview.h"
#include "ui/inspector/probepoints.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QToolButton>
#include <QHBoxLayout>
#include <QHash>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace cospace {

namespace {

struct MetricRow {
    const char *label;
    const char *key;
};
const MetricRow kRows[] = {
    {"text→image R@1", "t2i/R@1"}, {"text→image R@5", "t2i/R@5"}, {"text→image R@10", "t2i/R@10"},
    {"image→text R@1", "i2t/R@1"}, {"image→text R@5", "i2t/R@5"}, {"image→text R@10", "i2t/R@10"},
    {"text→image median rank", "t2i/median_rank"}, {"image→text median rank", "i2t/median_rank"},
    {"RSUM", "rsum"}, {"validation loss", "val_loss"}, {"train loss", "train_loss"},
    {"temperature", "temperature"}, {"modality gap", "modality_gap"}, {"alignment", "alignment"},
    {"uniformity", "uniformity"}, {"step", "step"},
};

// The same retrieval metrics computed on the probe pairs alone: what a model outside the run (which
// has no metrics.jsonl) can be compared on.
const MetricRow kProbeRows[] = {
    {"probe text→image R@1", "t2i/R@1"}, {"probe image→text R@1", "i2t/R@1"},
    {"probe text→image R@5", "t2i/R@5"}, {"probe text→image median rank", "t2i/median_rank"},
    {"probe modality gap", "modality_gap"}, {"probe alignment", "alignment"}, {"probe uniformity", "uniformity"},
};

QString cell(double v) { return std::isfinite(v) ? QString::number(v, 'g', 4) : u"–"_qs; }

constexpr int kEmbedBatch = 64;

}  // namespace

ComparePanel::ModelProbe ComparePanel::embedProbe(const QString &spec, const QList<ProbePair> &pairs)
{
    ModelProbe out;
    {
        const std::unique_ptr<EmbeddingModel> model = loadModel(spec);
        out.name = model->name();
        out.source = model->source();
        std::vector<Matrix> parts;
        for (int first = 0; first < pairs.size(); first += kEmbedBatch) {
            std::vector<RgbImage> images;
            for (int i = first; i < std::min<int>(int(pairs.size()), first + kEmbedBatch); ++i)
                images.push_back(readImageFile(pairs[i].image, model->imageSize()));
            parts.push_back(model->encodeImages(images));
        }
        QStringList captions;
        for (const ProbePair &p : pairs)
            captions << p.caption;
        parts.push_back(model->encodeTexts(captions));
        out.embeddings = Matrix(2 * int(pairs.size()), parts.front().cols);
        auto at = out.embeddings.data.begin();
        for (const Matrix &m : parts)
            at = std::copy(m.data.begin(), m.data.end(), at);
    }
    return out;
}

ComparePanel::ComparePanel(QWidget *parent) : QWidget(parent)
{
    m_epochA = new QComboBox(this);
    m_epochB = new QComboBox(this);
    m_sourceB = new QLabel(tr("this run"), this);
    auto *other = new QPushButton(tr("Other Run…"), this);
    other->setToolTip(tr("Compare with another run folder trained on the same data"));
    connect(other, &QPushButton::clicked, this, &ComparePanel::chooseRunB);
    auto *same = new QPushButton(tr("This Run"), this);
    connect(same, &QPushButton::clicked, this, [this] {
        m_bIsA = true;
        m_bIsModel = false;
        ++m_modelRequest;
        m_epochB->setEnabled(true);
        m_b = m_a;
        m_sourceB->setText(tr("this run"));
        fillEpochs(m_epochB, m_b, -1);
        refresh();
    });
    for (QComboBox *box : {m_epochA, m_epochB})
        connect(box, &QComboBox::activated, this, &ComparePanel::refresh);
    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("A: epoch"), this));
    bar->addWidget(m_epochA);
    bar->addSpacing(16);
    bar->addWidget(new QLabel(tr("B:"), this));
    bar->addWidget(m_sourceB);
    bar->addWidget(new QLabel(tr("epoch"), this));
    bar->addWidget(m_epochB);
    auto *model = new QToolButton(this);
    model->setText(tr("Model"));
    model->setPopupMode(QToolButton::InstantPopup);
    model->setToolTip(tr("Embed this run's probe pairs with another model (a checkpoint, a CLIP bundle or the default "
                         "model) and compare it on them"));
    auto *menu = new QMenu(model);
    menu->addAction(tr("Checkpoint File…"), this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Checkpoint"), {}, tr("Checkpoints (*.ckpt);;All files (*)"));
        if (!f.isEmpty())
            compareWithModel(f);
    });
    menu->addAction(tr("Model Bundle Folder…"), this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Model Bundle (model.pt + cospace-model.json)"));
        if (!d.isEmpty())
            compareWithModel(d);
    });
    menu->addAction(tr("Default Model"), this, [this] { compareWithModel(u"default"_qs); });
    model->setMenu(menu);
    bar->addWidget(same);
    bar->addWidget(other);
    bar->addWidget(model);
    bar->addStretch(1);

    const int rows = int(std::size(kRows)), probeRows = int(std::size(kProbeRows));
    m_table = new QTableWidget(rows + probeRows, 3, this);
    m_table->setHorizontalHeaderLabels({tr("A"), tr("B"), tr("B − A")});
    for (int r = 0; r < rows + probeRows; ++r)
        m_table->setVerticalHeaderItem(
            r, new QTableWidgetItem(QString::fromUtf8(r < rows ? kRows[r].label : kProbeRows[r - rows].label)));
    m_table->setToolTip(tr("Validation metrics from metrics.jsonl, then the same metrics on the probe pairs"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_mapA = new MapView(this);
    m_mapB = new MapView(this);
    m_note = new QLabel(this);
    m_note->setWordWrap(true);
    auto *maps = new QSplitter(Qt::Horizontal, this);
    maps->addWidget(m_mapA);
    maps->addWidget(m_mapB);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_table);
    split->addWidget(maps);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(split, 1);
    layout->addWidget(m_note);
}

void ComparePanel::fillEpochs(QComboBox *box, const RunFolder &run, int select)
{
    box->clear();
    for (const QJsonObject &e : run.epochs())
        box->addItem(QString::number(e.value(u"epoch"_qs).toInt()), e.value(u"epoch"_qs).toInt());
    box->setCurrentIndex(select >= 0 ? box->findData(select) : box->count() - 1);
}

void ComparePanel::setRunA(const RunFolder &run)
{
    const int a = m_epochA->currentData().toInt(), b = m_epochB->currentData().toInt();
    m_a = run;
    fillEpochs(m_epochA, m_a, a > 0 ? a : -1);
    if (m_bIsA) {
        m_b = run;
        // Two epochs of one run: by default the first against the last.
        fillEpochs(m_epochB, m_b, b > 0 ? b : -1);
        if (b <= 0 && m_epochA->count() > 1 && a <= 0)
            m_epochA->setCurrentIndex(0);
    }
    refresh();
}

void ComparePanel::setRunB(const RunFolder &run)
{
    m_b = run;
    m_bIsA = false;
    m_bIsModel = false;
    ++m_modelRequest;
    m_epochB->setEnabled(true);
    m_sourceB->setText(QFileInfo(run.dir()).fileName());
    m_sourceB->setToolTip(run.dir());
    fillEpochs(m_epochB, m_b, -1);
    refresh();
}

void ComparePanel::chooseRunB()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Run Folder to Compare"));
    if (dir.isEmpty())
        return;
    try {
        setRunB(RunFolder::open(dir));
    } catch (const std::exception &e) {
        m_note->setText(QString::fromUtf8(e.what()));
    }
}

void ComparePanel::setEpochs(int epochA, int epochB)
{
    m_epochA->setCurrentIndex(m_epochA->findData(epochA));
    m_epochB->setCurrentIndex(m_epochB->findData(epochB));
    refresh();
}

QString ComparePanel::message() const { return m_note->text(); }

void ComparePanel::compareWithModel(const QString &spec)
{
    if (m_a.probePairs().isEmpty()) {
        m_note->setText(tr("This run has no probe pairs to embed (probe/pairs.tsv)."));
        return;
    }
    const auto missing = std::count_if(m_a.probePairs().cbegin(), m_a.probePairs().cend(),
                                       [](const ProbePair &p) { return !p.imageReadable; });
    if (missing > 0) {   // a thumbnail is not what the run's model saw: refuse rather than mislead
        m_note->setText(tr("%1 of the %2 probe images are not on this machine (the run keeps only thumbnails "
                           "of them, e.g. %3): a model can be compared only on the images themselves.")
                            .arg(missing).arg(m_a.probePairs().size())
                            .arg(std::find_if(m_a.probePairs().cbegin(), m_a.probePairs().cend(),
                                              [](const ProbePair &p) { return !p.imageReadable; })->image));
        return;
    }
    const quint64 id = ++m_modelRequest;
    m_note->setText(tr("Embedding the %1 probe pairs with %2…").arg(m_a.probePairs().size()).arg(spec));
    startJob<ModelProbe>(
        JobRunner(QThreadPool::globalInstance()), this,
        [spec, pairs = m_a.probePairs()](JobControl &) { return embedProbe(spec, pairs); },
        [this](const JobOutcome<ModelProbe> &o) {
            if (!o.ok()) {
                m_note->setText(o.cancelled ? tr("Cancelled.") : o.error);
                return;
            }
            m_bIsModel = true;
            m_bIsA = false;
            m_modelEmbeddings = o.value->embeddings;
            m_sourceB->setText(tr("model %1").arg(o.value->name));
            m_sourceB->setToolTip(o.value->source);
            m_epochB->clear();
            m_epochB->setEnabled(false);
            refresh();
            Q_EMIT modelCompared();
        },
        {}, [this, id] { return id == m_modelRequest; });   // another model (or run) chosen meanwhile
}

void ComparePanel::refresh()
{
    const int a = m_epochA->currentData().toInt(), b = m_epochB->currentData().toInt();
    const QJsonObject va = a > 0 ? m_a.epochs().value(a - 1) : QJsonObject();
    const QJsonObject vb = !m_bIsModel && b > 0 ? m_b.epochs().value(b - 1) : QJsonObject();
    m_shared = 0;
    m_mapA->setPoints({});
    m_mapB->setPoints({});
    Matrix ea, eb;
    QString problem;
    try {
        if (a > 0)
            ea = m_a.probeEmbeddings(a);
        eb = m_bIsModel ? m_modelEmbeddings : b > 0 ? m_b.probeEmbeddings(b) : Matrix();
    } catch (const std::exception &e) {
        problem = QString::fromUtf8(e.what());
    }
    // A model is compared on run A's probe pairs, so its captions are A's.
    const ProbeAnalysis pa = ea.empty() ? ProbeAnalysis() : analyseProbe(ea, m_a.probePairs());
    const ProbeAnalysis pb = eb.empty() ? ProbeAnalysis()
                                        : analyseProbe(eb, (m_bIsModel ? m_a : m_b).probePairs());
    QJsonObject probeA = ea.empty() ? QJsonObject() : pa.metrics.toJson();
    QJsonObject probeB = eb.empty() ? QJsonObject() : pb.metrics.toJson();
    const QString sharedNote = !m_bIsA && !m_bIsModel && !ea.empty() && !eb.empty()
        ? probeMetricsOnSharedPairs(ea, eb, probeA, probeB) : QString();
    fillTable(va, vb, probeA, probeB);
    if (!ea.empty() && !eb.empty()) {
        fillMaps(ea, pa, eb, pb);
        QStringList notes{m_note->text(), sharedNote};
        if (!va.isEmpty() && !vb.isEmpty() && RunFolder::metricsOn(va) != RunFolder::metricsOn(vb))
            notes << tr("The logged metrics are on different sets (A: %1, B: %2): compare the probe rows.")
                         .arg(RunFolder::metricsOn(va), RunFolder::metricsOn(vb));
        notes.removeAll(QString());
        m_note->setText(notes.join(u' '));
    }
    if (!problem.isEmpty())
        m_note->setText(problem);
}

// Two runs (a Cospace run and a PyTorch run, say) need not list the same probe pairs, nor in the same
// order: their probe rows are computed on the pairs both have, so each side ranks the same queries
// against the same candidates. Returns a note when that is fewer pairs than a run has.
QString ComparePanel::probeMetricsOnSharedPairs(const Matrix &ea, const Matrix &eb, QJsonObject &probeA,
                                                QJsonObject &probeB) const
{
    std::vector<int> rowsA, rowsB;
    QList<ProbePair> pairs;
    for (const auto &[i, j] : sharedProbePairs(m_a.probePairs(), m_b.probePairs()))
        if (i < ea.rows / 2 && j < eb.rows / 2) {
            rowsA.push_back(i);
            rowsB.push_back(j);
            pairs << m_a.probePairs()[i];
        }
    const int shared = int(rowsA.size());
    if (shared == ea.rows / 2 && shared == eb.rows / 2)
        return {};   // the same probe set: the full-set metrics already agree in what they count
    if (shared < 2) {
        probeA = probeB = QJsonObject();
        return tr("Probe metrics are not compared: the runs share %1 probe pairs.").arg(shared);
    }
    probeA = analyseProbe(probeSubset(ea, rowsA), pairs).metrics.toJson();
    probeB = analyseProbe(probeSubset(eb, rowsB), pairs).metrics.toJson();
    return tr("Probe metrics on the %1 probe pairs both runs have.").arg(shared);
}

void ComparePanel::fillTable(const QJsonObject &a, const QJsonObject &b, const QJsonObject &probeA,
                             const QJsonObject &probeB)
{
    const int rows = int(std::size(kRows));
    for (int r = 0; r < m_table->rowCount(); ++r) {
        const bool probe = r >= rows;
        const QString key = QString::fromUtf8(probe ? kProbeRows[r - rows].key : kRows[r].key);
        const double va = RunFolder::value(probe ? probeA : a, key), vb = RunFolder::value(probe ? probeB : b, key);
        m_table->setItem(r, 0, new QTableWidgetItem(cell(va)));
        m_table->setItem(r, 1, new QTableWidgetItem(cell(vb)));
        m_table->setItem(r, 2, new QTableWidgetItem(cell(vb - va)));
    }
}

void ComparePanel::fillMaps(const Matrix &ea, const ProbeAnalysis &pa, const Matrix &eb, const ProbeAnalysis &pb)
{
    const QList<ProbePair> &pairsA = m_a.probePairs();
    const QList<ProbePair> &pairsB = m_bIsModel ? m_a.probePairs() : m_b.probePairs();
    SpaceTimeline ta, tb;
    const Matrix la = ta.append(ea);
    Matrix lb = tb.append(eb);
    // Rows of B that are the same item as a row of A (same image and caption, whoever wrote the run).
    const int na = ea.rows / 2, nb = eb.rows / 2;
    std::vector<int> fromA, fromB;
    for (const auto &[i, j] : sharedProbePairs(pairsA, pairsB))
        if (i < na && j < nb) {
            fromA.insert(fromA.end(), {i, i + na});
            fromB.insert(fromB.end(), {j, j + nb});
        }
    if (fromA.size() >= 6) {
        Matrix sa(int(fromA.size()), 2), sb(int(fromB.size()), 2);
        for (std::size_t k = 0; k < fromA.size(); ++k) {
            std::copy_n(la.row(fromA[k]), 2, sa.row(int(k)));
            std::copy_n(lb.row(fromB[k]), 2, sb.row(int(k)));
        }
        lb = applySimilarity(lb, procrustes2D(sb, sa));
        m_shared = int(fromA.size() / 2);
    }
    m_mapA->setPoints(probeMapPoints(la, pairsA, pa));
    m_mapB->setPoints(probeMapPoints(lb, pairsB, pb));
    m_note->setText(m_shared > 0 ? tr("B aligned to A on %1 shared probe pairs.").arg(m_shared)
                                 : tr("The runs share no probe pairs (other data?): B is not aligned to A."));
}

}  // namespace cospace
