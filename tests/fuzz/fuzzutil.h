#pragma once
// Shared bits of the libFuzzer targets: a per-process scratch folder, writing the input to a file
// there, and a check that aborts (a finding) when a parser breaks its own header's contract.

#include <QByteArray>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>
#include <QTemporaryDir>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace cospace::fuzz {

// Qt's image plugins and QStandardPaths want an application object; one per process. Qt's warnings
// (e.g. "Broken filename passed to function" for a path with a NUL byte) are expected for hostile
// input and would flood the log; critical and fatal messages still go to stderr.
inline void initQt()
{
    static int argc = 1;
    static char name[] = "cospace-fuzz";
    static char *argv[] = {name, nullptr};
    static QCoreApplication app(argc, argv);
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &, const QString &message) {
        if (type == QtCriticalMsg || type == QtFatalMsg)
            std::fprintf(stderr, "%s\n", qPrintable(message));
    });
}

// Created once per process, removed at exit. On tmpfs when there is one: the targets write a file
// per input and Workspace::save() fsyncs, which on a disk caps a run at ~60 inputs/s.
inline const QDir &scratch()
{
    static const QString base = QFileInfo(u"/dev/shm"_qs).isWritable() ? u"/dev/shm"_qs : QDir::tempPath();
    static QTemporaryDir dir(base + u"/cospace-fuzz-XXXXXX"_qs);
    static const QDir d(dir.path());
    return d;
}

inline QByteArray bytes(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

// Writes `content` to scratch()/name (creating folders), returns the absolute path.
inline QString writeFile(const QString &name, const QByteArray &content)
{
    const QString path = scratch().absoluteFilePath(name);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(content) != content.size()) {
        std::fprintf(stderr, "fuzz harness: cannot write %s\n", qPrintable(path));
        std::abort();
    }
    return path;
}

}  // namespace cospace::fuzz

// A broken contract is a finding: print what and abort so libFuzzer saves the input.
#define FUZZ_CHECK(cond)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            std::fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                \
        }                                                                                \
    } while (0)
