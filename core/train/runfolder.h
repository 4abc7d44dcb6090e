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
// Runs written outside Cospace (the Python package cospace_runlog, docs/run-folder-format.md) mark
// config.json with {"cospace_runlog": {"version", "epochs"}}: their config is the loop's own, not a
// Cospace config, and they have no checkpoints. Their probe images may exist only as thumbnails
// (RUN/probe/thumbs/NNNN.png), and their logs may carry any extra scalar keys (extraEpochKeys()).
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

class QFile;

namespace cospace {

// Incremental reader of a JSON Lines file another process appends to.
class JsonLinesTail
{
public:
    explicit JsonLinesTail(QString path = {}) : m_path(std::move(path)) {}
    // The complete lines appended since the last call, parsed. When the file was rewritten since —
    // it became shorter, it is another file (a new inode: written elsewhere and renamed over), or the
    // last line read is no longer where it was (cut back and grown again between two calls) —
    // reading starts again from the top and *restarted is set.
    QList<QJsonObject> readNew(bool *restarted = nullptr);
    const QString &path() const { return m_path; }
    int badLines() const { return m_badLines; }

private:
    bool rewritten(QFile &file, const QByteArray &identity) const;

    QString m_path;
    qint64 m_offset = 0;
    QByteArray m_tail;         // the last bytes read (at most 256), ending at m_offset with '\n'
    QByteArray m_identity;     // device and inode of the file read (empty where unknown)
    int m_badLines = 0;
};

struct StepRecord {
    qint64 step = 0;      // global optimizer step, 1-based
    int epoch = 0;        // 1-based epoch it belongs to
    double loss = 0;
    double lr = 0;
    double temperature = 0;
    QJsonObject extra;    // the line's other keys (the loop's own scalars), as written
};

struct ProbePair {
    QString image;        // absolute path (as the trainer wrote it, resolved against the run folder)
    QString caption;
    // What to show for the image: `image` when it can be read here, else the run's thumbnail
    // RUN/probe/thumbs/NNNN.png (NNNN = the pair's 0-based row) when there is one, else `image`.
    QString preview;
    bool imageReadable = true;   // `image` is a readable file on this machine
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
    // From the last metrics line, else config.json (cospace_runlog.epochs, else train.epochs), else 0.
    int plannedEpochs() const;
    bool finished() const;             // every planned epoch has its metrics line
    bool hasCheckpoint() const;        // last.ckpt exists (a stopped run can resume)
    // The paired data the run trains on (data.json, absolute paths; empty for runs written before
    // it existed or by other tools), so resuming does not ask for it again.
    QStringList dataSources() const;
    // config.json carries "cospace_runlog": a loop outside Cospace wrote the run (not a Cospace config).
    bool writtenOutsideCospace() const;
    qint64 stepsPerEpoch() const;      // from the first metrics line (0 before it)
    int badLines() const { return m_metrics.badLines() + m_stepLog.badLines(); }
    // The lowest epoch whose metrics line the last refresh() replaced or removed (a resumed run, or
    // an epoch logged again); 0 when it only appended epochs or changed nothing.
    int firstChangedEpoch() const { return m_firstChanged; }

    // The loop's own scalar keys beyond the known ones that have a number in at least one line
    // (strings, booleans and nulls are not plotted), by first appearance (a line's keys by name).
    QStringList extraEpochKeys() const;   // top-level keys of metrics.jsonl
    QStringList extraStepKeys() const;    // keys of steps.jsonl (StepRecord::extra)
    // What an epoch's retrieval metrics were computed on: "validation" (Cospace's trainer, or
    // cospace_runlog given metrics=) or "probe" (cospace_runlog from the probe embeddings).
    static QString metricsOn(const QJsonObject &epoch);

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
    int m_firstChanged = 0;
};

}  // namespace cospace
