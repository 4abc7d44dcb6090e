#include "core/train/runlog.h"

#include "core/base/npy.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void failWrite(const QString &path, const QString &why)
{
    throw std::runtime_error(u"%1: cannot write: %2"_qs.arg(path, why).toStdString());
}

// One line per call, in one write. A line torn by a kill or a full disk is ended first, so it
// spoils only itself (readers and truncateLog() skip lines that do not parse).
void appendLine(const QString &path, const QJsonObject &object)
{
    QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    if (QFile tail(path); tail.open(QIODevice::ReadOnly) && tail.size() > 0) {
        char last = '\n';
        if (tail.seek(tail.size() - 1) && tail.getChar(&last) && last != '\n')
            line.prepend('\n');
    }
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append))
        failWrite(path, file.errorString());
    if (file.write(line) != line.size() || !file.flush())
        failWrite(path, file.errorString());
}

// Keeps the lines of a JSON Lines log whose `key` is at most `keep`.
void truncateLog(const QString &path, const QString &key, qint64 keep)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return;
    QByteArray kept;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (!o.isEmpty() && o.value(key).toInteger() <= keep)
            kept += line + '\n';
    }
    file.close();
    QSaveFile out(path);
    if (out.open(QIODevice::WriteOnly)) {
        out.write(kept);
        out.commit();
    }
}

// Best effort: a temporary file renamed over `path`, or nothing.
void writeSmallFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile file(path);
    if (file.open(QIODevice::WriteOnly)) {
        file.write(bytes);
        file.commit();
    }
}

}  // namespace

RunLogWriter::RunLogWriter(QString dir) : m_dir(std::move(dir)) {}

QString RunLogWriter::path(const QString &name) const { return QDir(m_dir).absoluteFilePath(name); }

void RunLogWriter::startFresh()
{
    QDir().mkpath(m_dir);
    QFile::remove(path(u"metrics.jsonl"_qs));
    QFile::remove(path(u"steps.jsonl"_qs));
}

void RunLogWriter::startResumed(int epoch, qint64 step)
{
    truncateLog(path(u"metrics.jsonl"_qs), u"epoch"_qs, epoch);
    truncateLog(path(u"steps.jsonl"_qs), u"step"_qs, step);
}

void RunLogWriter::writeConfig(const QJsonObject &config)
{
    writeSmallFile(path(u"config.json"_qs), QJsonDocument(config).toJson());
}

void RunLogWriter::writeDataSources(const QStringList &data, const QString &initFrom)
{
    QJsonObject o{{u"data"_qs, QJsonArray::fromStringList(data)}};
    if (!initFrom.isEmpty())
        o.insert(u"init"_qs, initFrom);
    writeSmallFile(path(u"data.json"_qs), QJsonDocument(o).toJson());
}

void RunLogWriter::writeProbePairs(const QList<ProbePair> &pairs)
{
    QByteArray tsv = "image\tcaption\n";
    for (const ProbePair &p : pairs)
        tsv += p.image.toUtf8() + '\t' + p.caption.toUtf8() + '\n';
    writeSmallFile(path(u"probe/pairs.tsv"_qs), tsv);
}

void RunLogWriter::writeProbe(int epoch, const Matrix &embeddings)
{
    QDir().mkpath(path(u"probe"_qs));
    writeNpy(path(u"probe/epoch-%1.npy"_qs.arg(epoch, 3, 10, QLatin1Char('0'))), embeddings);
}

void RunLogWriter::writeComposition(int epoch, const QJsonObject &report)
{
    QDir().mkpath(path(u"probe"_qs));
    const QString file = path(u"probe/composition-%1.json"_qs.arg(epoch, 3, 10, QLatin1Char('0')));
    QSaveFile out(file);
    const QByteArray bytes = QJsonDocument(report).toJson(QJsonDocument::Compact);
    if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit())
        failWrite(file, out.errorString());
}

void RunLogWriter::appendStep(const QJsonObject &line) { appendLine(path(u"steps.jsonl"_qs), line); }
void RunLogWriter::appendEpoch(const QJsonObject &line) { appendLine(path(u"metrics.jsonl"_qs), line); }

}  // namespace cospace
