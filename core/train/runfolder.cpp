#include "core/train/runfolder.h"

#include "core/base/npy.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <QSet>

#include <cmath>
#include <limits>
#include <stdexcept>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#endif

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

// Device and inode: a log written elsewhere and renamed over the old one is another file.
QByteArray fileIdentity(QFile &file)
{
#ifdef Q_OS_UNIX
    struct stat st;
    if (fstat(file.handle(), &st) == 0)
        return QByteArray::number(quint64(st.st_dev)) + ':' + QByteArray::number(quint64(st.st_ino));
#else
    Q_UNUSED(file);
#endif
    return {};
}

constexpr qsizetype kTailBytes = 256;   // bytes re-checked before the read offset on every call

// Keys that Cospace's trainer and cospace_runlog write themselves; any other key is the loop's own.
const QSet<QString> &knownEpochKeys()
{
    static const QSet<QString> keys{u"epoch"_qs, u"epochs"_qs, u"step"_qs, u"train_loss"_qs, u"val_loss"_qs,
                                    u"lr"_qs, u"temperature"_qs, u"seconds"_qs, u"best"_qs, u"n_images"_qs,
                                    u"n_captions"_qs, u"i2t"_qs, u"t2i"_qs, u"rsum"_qs, u"alignment"_qs,
                                    u"uniformity"_qs, u"modality_gap"_qs, u"cos_matched"_qs, u"cos_random"_qs,
                                    u"metrics_on"_qs};
    return keys;
}

const QSet<QString> &knownStepKeys()
{
    static const QSet<QString> keys{u"step"_qs, u"epoch"_qs, u"loss"_qs, u"lr"_qs, u"temperature"_qs};
    return keys;
}

// Keys of `o` outside `known` with a number, added to `keys` once each (QJsonObject keeps keys sorted).
void collectNumericKeys(const QJsonObject &o, const QSet<QString> &known, QStringList &keys, QSet<QString> &seen)
{
    for (auto it = o.begin(); it != o.end(); ++it)
        if (it.value().isDouble() && !known.contains(it.key()) && !it.key().contains(u'/') && !seen.contains(it.key())) {
            seen.insert(it.key());
            keys.append(it.key());
        }
}

}  // namespace

// Seen from a reader that polls, "appended since the last call" holds only while the bytes already
// read are still there: a log cut back (a resumed run) and grown past the old offset between two
// calls, or replaced by a rename, would otherwise be read from the middle of a line.
bool JsonLinesTail::rewritten(QFile &file, const QByteArray &identity) const
{
    if (file.size() < m_offset)
        return true;
    if (!identity.isEmpty() && !m_identity.isEmpty() && identity != m_identity)
        return true;
    if (m_tail.isEmpty())
        return false;
    return !file.seek(m_offset - m_tail.size()) || file.read(m_tail.size()) != m_tail;
}

QList<QJsonObject> JsonLinesTail::readNew(bool *restarted)
{
    if (restarted)
        *restarted = false;
    QList<QJsonObject> out;
    QFile file(m_path);
    const bool opened = file.open(QIODevice::ReadOnly);
    const QByteArray identity = opened ? fileIdentity(file) : QByteArray();
    if (m_offset > 0 && (!opened || rewritten(file, identity))) {
        m_offset = 0;   // removed or rewritten (a resumed run cuts the log back): read it again
        m_tail.clear();
        m_badLines = 0;
        if (restarted)
            *restarted = true;
    }
    m_identity = identity;
    if (!opened || !file.seek(m_offset))
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
    m_tail = chunk.left(end + 1).right(kTailBytes);
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
    const QList<QJsonObject> before = m_epochs;   // shared, not copied, until the merge changes it
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
    m_firstChanged = 0;
    for (qsizetype i = 0; i < before.size() && m_firstChanged == 0; ++i)
        if (i >= m_epochs.size() || before[i] != m_epochs[i])
            m_firstChanged = int(i) + 1;
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
        for (auto it = o.begin(); it != o.end(); ++it)
            if (!knownStepKeys().contains(it.key()))
                r.extra.insert(it.key(), it.value());
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
                ProbePair pair;
                pair.image = QDir::cleanPath(base.absoluteFilePath(line.left(tab)));
                pair.caption = line.mid(tab + 1);
                pair.preview = pair.image;
                const QFileInfo info(pair.image);
                pair.imageReadable = info.isFile() && info.isReadable();
                const QString thumb = filePath(u"probe/thumbs/%1.png"_qs.arg(m_pairs.size(), 4, 10, QLatin1Char('0')));
                if (!pair.imageReadable && QFileInfo::exists(thumb))
                    pair.preview = thumb;   // a run opened away from its images (or logged from memory)
                m_pairs.append(pair);
            }
        }
        m_pairsStamp = stamp;
        changed = true;
    }
    return changed;
}

int RunFolder::plannedEpochs() const
{
    if (!m_epochs.isEmpty() && m_epochs.last().contains(u"epochs"_qs))
        return m_epochs.last().value(u"epochs"_qs).toInt();
    if (writtenOutsideCospace())   // its "train" key, if any, is the loop's own
        return m_config.value(u"cospace_runlog"_qs).toObject().value(u"epochs"_qs).toInt();
    return m_config.value(u"train"_qs).toObject().value(u"epochs"_qs).toInt();
}

bool RunFolder::writtenOutsideCospace() const { return m_config.value(u"cospace_runlog"_qs).isObject(); }

QStringList RunFolder::extraEpochKeys() const
{
    QStringList keys;
    QSet<QString> seen;
    for (const QJsonObject &o : m_epochs)
        collectNumericKeys(o, knownEpochKeys(), keys, seen);
    return keys;
}

QStringList RunFolder::extraStepKeys() const
{
    QStringList keys;
    QSet<QString> seen;
    for (const StepRecord &s : m_steps)
        if (!s.extra.isEmpty())
            collectNumericKeys(s.extra, {}, keys, seen);
    return keys;
}

QString RunFolder::metricsOn(const QJsonObject &epoch)
{
    return epoch.value(u"metrics_on"_qs).toString(u"validation"_qs);
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
