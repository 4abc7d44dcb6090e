#pragma once
// Writing a training run folder (the layout in trainer.h; RunFolder in runfolder.h reads it back).
// Every write leaves a folder a reader can open at any moment, also after a kill:
//  - the JSON Lines logs get one whole line per write; a line torn by a kill or a full disk is
//    ended before the next one, so it spoils only itself (readers skip lines that do not parse);
//  - every other file is written to a temporary name and renamed (QSaveFile, or writeNpy).
// Errors: appendStep/appendEpoch/writeProbe/writeComposition throw std::runtime_error naming the file; the small
// files (config, data, pairs) are best effort, as a run can go on without them.
// Thread-safety: none; one writer per run folder.

#include "core/base/matrix.h"
#include "core/train/runfolder.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace cospace {

class RunLogWriter
{
public:
    explicit RunLogWriter(QString dir = {});

    QString path(const QString &name) const;   // RUN/name, absolute

    // A fresh run: removes the logs of an earlier run in the same folder.
    void startFresh();
    // A resumed run: keeps the log lines up to the checkpoint's epoch and step; the run rewrites
    // what followed (metrics.jsonl by "epoch", steps.jsonl by "step").
    void startResumed(int epoch, qint64 step);

    void writeConfig(const QJsonObject &config);                        // config.json
    // data.json: the paired data the run trains on (absolute paths) and the checkpoint it started
    // from, so a run can be resumed without asking for them again.
    void writeDataSources(const QStringList &data, const QString &initFrom = {});
    void writeProbePairs(const QList<ProbePair> &pairs);                // probe/pairs.tsv
    void writeProbe(int epoch, const Matrix &embeddings);               // probe/epoch-NNN.npy
    void writeComposition(int epoch, const QJsonObject &report);        // probe/composition-NNN.json
    void appendStep(const QJsonObject &line);                           // steps.jsonl
    void appendEpoch(const QJsonObject &line);                          // metrics.jsonl

private:
    QString m_dir;
};

}  // namespace cospace
