#include "core/train/runfolder.h"

#include "core/base/npy.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

// A cheap "did it change" stamp: modification time and size (-1 if missing).
qint64 stampOf(const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists())
        return -1;
    return info.lastModified().toMSecsSinceEpoch() * 1000003 + info.size();
}

}  // namespace

QList<QJsonObject> JsonLinesTail::readNew(bool *restarted)
{
    if (restarted)
        *restarted = false;
    QList<QJsonObject> out;
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly))
        return out;
    if (file.size() < m_offset) {
        m_offset = 0;   // rewritten shorter (a resumed run truncates the log): read it again
        m_badLines = 0;
        if (restarted)
            *restarted = true;
    }
    if (!file.seek(m_offset))
        return out;
    const QByteArray chunk = file.readAll();
    const qsizetype end = chunk.lastIndexOf('\n');
    if (end < 0)
        return out;   // nothing complete yet: a half-written line waits for its newline
    for (const QByteArray &line : chunk.left(end).split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject())
            ++m_badLines;
        else
            out.append(doc.object());
    }
    m_offset += end + 1;
    return out;
}

RunFolder::RunFolder(QString dir)
    : m_dir(std::move(dir)),
      m_metrics(filePath(u"metrics.jsonl"_qs)),
      m_stepLog(filePath(u"steps.jsonl"_qs))
{
}

RunFolder RunFolder::open(const QString &dir)
{
    const QFileInfo info(dir);
    if (!info.isDir())
        fail(u"%1: no such folder"_qs.arg(dir));
    RunFolder run(info.absoluteFilePath());
    if (!QFileInfo::exists(run.filePath(u"config.json"_qs)) && !QFileInfo::exists(run.filePath(u"metrics.jsonl"_qs)))
        fail(u"%1: not a training run folder (no config.json or metrics.jsonl); "
             u"cospace-cli train --out DIR writes one"_qs.arg(dir));
    run.refresh();
    return run;
}

QString RunFolder::filePath(const QString &name) const { return QDir(m_dir).filePath(name); }

bool RunFolder::refresh()
{
    bool changed = readSmallFiles();
    bool restarted = false;
    const QList<QJsonObject> epochs = m_metrics.readNew(&restarted);
    if (restarted) {
        m_epochs.clear();
        changed = true;
    }
    if (!epochs.isEmpty()) {
        mergeEpochs(epochs);
        changed = true;
    }
    const QList<QJsonObject> steps = m_stepLog.readNew(&restarted);
    if (restarted) {
        m_steps.clear();
        changed = true;
    }
    if (!steps.isEmpty()) {
        mergeSteps(steps);
        changed = true;
    }
    return changed;
}

// A line for an epoch already seen means the run was resumed from an earlier checkpoint: what
// followed that epoch is replaced.
void RunFolder::mergeEpochs(const QList<QJsonObject> &lines)
{
    for (const QJsonObject &o : lines) {
        const int epoch = o.value(u"epoch"_qs).toInt();
        if (epoch < 1)
            continue;
        if (epoch <= m_epochs.size())
            m_epochs.resize(epoch - 1);
        m_epochs.append(o);
    }
}

void RunFolder::mergeSteps(const QList<QJsonObject> &lines)
{
    for (const QJsonObject &o : lines) {
        StepRecord r;
        r.step = o.value(u"step"_qs).toInteger();
        r.epoch = o.value(u"epoch"_qs).toInt();
        r.loss = o.value(u"loss"_qs).toDouble(std::nan(""));
        r.lr = o.value(u"lr"_qs).toDouble(std::nan(""));
        r.temperature = o.value(u"temperature"_qs).toDouble(std::nan(""));
        if (r.step < 1)
            continue;
        while (!m_steps.isEmpty() && m_steps.last().step >= r.step)
            m_steps.removeLast();
        m_steps.append(r);
    }
}

bool RunFolder::readSmallFiles()
{
    bool changed = false;
    const QString configPath = filePath(u"config.json"_qs);
    if (const qint64 stamp = stampOf(configPath); stamp != m_configStamp) {
        QFile f(configPath);
        m_config = f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
        m_configStamp = stamp;
        changed = true;
    }
    const QString pairsPath = filePath(u"probe/pairs.tsv"_qs);
    if (const qint64 stamp = stampOf(pairsPath); stamp != m_pairsStamp) {
        m_pairs.clear();
        QFile f(pairsPath);
        if (f.open(QIODevice::ReadOnly)) {
            const QDir base(m_dir);
            const QList<QByteArray> lines = f.readAll().split('\n');
            for (int i = 0; i < lines.size(); ++i) {
                const QString line = QString::fromUtf8(lines[i]);
                const qsizetype tab = line.indexOf(u'\t');
                if (tab < 0 || (i == 0 && line == u"image\tcaption"_qs))
                    continue;
                m_pairs.append({base.absoluteFilePath(line.left(tab)), line.mid(tab + 1)});
            }
        }
        m_pairsStamp = stamp;
        changed = true;
    }
    return changed;
}

int RunFolder::plannedEpochs() const
{
    if (!m_epochs.isEmpty())
        return m_epochs.last().value(u"epochs"_qs).toInt();
    return m_config.value(u"train"_qs).toObject().value(u"epochs"_qs).toInt();
}

bool RunFolder::finished() const
{
    const int planned = plannedEpochs();
    return planned > 0 && m_epochs.size() >= planned;
}

bool RunFolder::hasCheckpoint() const { return QFileInfo::exists(filePath(u"last.ckpt"_qs)); }

QStringList RunFolder::dataSources() const
{
    QFile file(filePath(u"data.json"_qs));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QStringList sources;
    for (const QJsonValue &v : QJsonDocument::fromJson(file.readAll()).object().value(u"data"_qs).toArray())
        if (v.isString() && !v.toString().isEmpty())
            sources << v.toString();
    return sources;
}

qint64 RunFolder::stepsPerEpoch() const
{
    if (m_epochs.isEmpty())
        return 0;
    const QJsonObject &first = m_epochs.first();
    return first.value(u"step"_qs).toInteger() / std::max(1, first.value(u"epoch"_qs).toInt());
}

QString RunFolder::probeFile(int epoch) const
{
    return filePath(u"probe/epoch-%1.npy"_qs.arg(epoch, 3, 10, QLatin1Char('0')));
}

QList<int> RunFolder::probeEpochs() const
{
    QList<int> out;
    for (const QJsonObject &o : m_epochs) {
        const int epoch = o.value(u"epoch"_qs).toInt();
        if (QFileInfo::exists(probeFile(epoch)))
            out.append(epoch);
    }
    return out;
}

Matrix RunFolder::probeEmbeddings(int epoch) const
{
    const QString path = probeFile(epoch);
    if (!QFileInfo::exists(path))
        fail(u"%1: no such file (no probe embeddings for epoch %2)"_qs.arg(path).arg(epoch));
    Matrix m = readNpy(path);
    if (m.rows < 2 || m.rows % 2 != 0)
        fail(u"%1: %2 rows; expected P image rows then P caption rows"_qs.arg(path).arg(m.rows));
    if (!m_pairs.isEmpty() && m.rows != 2 * m_pairs.size())
        fail(u"%1: %2 rows, but probe/pairs.tsv lists %3 pairs"_qs.arg(path).arg(m.rows).arg(m_pairs.size()));
    return m;
}

QJsonObject RunFolder::composition(int epoch) const
{
    QFile file(filePath(u"probe/composition-%1.json"_qs.arg(epoch, 3, 10, QLatin1Char('0'))));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.read(64 << 20)).object();
}

double RunFolder::value(const QJsonObject &epoch, const QString &path)
{
    QJsonValue v = epoch;
    for (const QString &key : path.split(u'/'))
        v = v.toObject().value(key);
    return v.isDouble() ? v.toDouble() : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace cospace
