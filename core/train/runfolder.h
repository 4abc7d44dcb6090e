#pragma once
// Reading a training run folder (layout: see trainer.h) without Torch: the per-epoch metrics, the
// step log, the probe pairs and the probe embeddings. What the training inspector and tests read.
//
// Works on a folder the trainer is still writing ("follow mode"): refresh() reads only what was
// appended since the last call; a last line without its newline (half-written) is left for the next
// refresh; a log that was rewritten (a resumed run keeps only its first epochs) is re-read, and a
// line for an epoch or step seen before replaces what followed it. Probe embeddings count only once
// the epoch's metrics line exists (the trainer writes the .npy first).
//
// Errors: open() and probeEmbeddings() throw std::runtime_error with a message that names the file
// ("RUN/probe/epoch-003.npy: no such file"). refresh() never throws: unreadable lines are skipped
// and counted in badLines().
// Thread-safety: none; a RunFolder is a value, read it from one thread at a time (copy to hand over).

#include "core/base/matrix.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace cospace {

// Incremental reader of a JSON Lines file another process appends to.
class JsonLinesTail
{
public:
    explicit JsonLinesTail(QString path = {}) : m_path(std::move(path)) {}
    // The complete lines appended since the last call, parsed. When the file became shorter than what
    // was read (rewritten), reading starts again from the top and *restarted is set.
    QList<QJsonObject> readNew(bool *restarted = nullptr);
    const QString &path() const { return m_path; }
    int badLines() const { return m_badLines; }

private:
    QString m_path;
    qint64 m_offset = 0;
    int m_badLines = 0;
};

struct StepRecord {
    qint64 step = 0;      // global optimizer step, 1-based
    int epoch = 0;        // 1-based epoch it belongs to
    double loss = 0;
    double lr = 0;
    double temperature = 0;
};

struct ProbePair {
    QString image;        // absolute path (as the trainer wrote it, resolved against the run folder)
    QString caption;
};

class RunFolder
{
public:
    explicit RunFolder(QString dir = {});   // lenient: the folder may not exist yet (a run starting)
    // A folder that holds a run: throws std::runtime_error "DIR: not a training run folder (no
    // config.json or metrics.jsonl)" or "DIR: no such folder". Reads everything there is.
    static RunFolder open(const QString &dir);

    const QString &dir() const { return m_dir; }
    QString filePath(const QString &name) const;
    // Reads what was appended or created since the last call; true if anything changed.
    bool refresh();

    const QList<QJsonObject> &epochs() const { return m_epochs; }   // metrics.jsonl, index = epoch - 1
    const QList<StepRecord> &steps() const { return m_steps; }
    const QJsonObject &config() const { return m_config; }
    int plannedEpochs() const;         // from the last metrics line, else config.json, else 0
    bool finished() const;             // every planned epoch has its metrics line
    bool hasCheckpoint() const;        // last.ckpt exists (a stopped run can resume)
    // The paired data the run trains on (data.json, absolute paths; empty for runs written before
    // it existed or by other tools), so resuming does not ask for it again.
    QStringList dataSources() const;
    qint64 stepsPerEpoch() const;      // from the first metrics line (0 before it)
    int badLines() const { return m_metrics.badLines() + m_stepLog.badLines(); }

    const QList<ProbePair> &probePairs() const { return m_pairs; }
    // Epochs whose probe embeddings are complete, ascending.
    QList<int> probeEpochs() const;
    QString probeFile(int epoch) const;   // RUN/probe/epoch-NNN.npy
    // P image rows then P caption rows (2P x D). Throws if missing, malformed, or the row count is odd
    // or disagrees with probe/pairs.tsv.
    Matrix probeEmbeddings(int epoch) const;
    // The compositional probe of an epoch (probe/composition-NNN.json, the object of
    // `cospace-cli composition --json`); empty when the run has none for it or it does not parse.
    QJsonObject composition(int epoch) const;

    // A value of a metrics line by path ("val_loss", "i2t/R@1"); NaN when absent.
    static double value(const QJsonObject &epoch, const QString &path);

private:
    void mergeEpochs(const QList<QJsonObject> &lines);
    void mergeSteps(const QList<QJsonObject> &lines);
    bool readSmallFiles();

    QString m_dir;
    JsonLinesTail m_metrics;
    JsonLinesTail m_stepLog;
    QList<QJsonObject> m_epochs;
    QList<StepRecord> m_steps;
    QJsonObject m_config;
    QList<ProbePair> m_pairs;
    qint64 m_configStamp = -1;
    qint64 m_pairsStamp = -1;
};

}  // namespace cospace
