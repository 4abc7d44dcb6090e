// A training run folder built from the input: parts separated by "\n--\n" become config.json,
// metrics.jsonl, steps.jsonl, probe/pairs.tsv and probe/epoch-001.npy; then RunFolder::open, a
// second refresh after appending to the logs (follow mode), and every accessor.
// Contract (runfolder.h): open() and probeEmbeddings() throw std::runtime_error; refresh() never throws.
#include "core/train/runfolder.h"
#include "fuzzutil.h"

#include <QFile>

#include <cmath>
#include <stdexcept>

using namespace cospace;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QString names[] = {u"config.json"_qs, u"metrics.jsonl"_qs, u"steps.jsonl"_qs,
                                    u"probe/pairs.tsv"_qs, u"probe/epoch-001.npy"_qs};
    const QByteArray input = fuzz::bytes(data, size);
    QList<QByteArray> parts;
    for (qsizetype from = 0; parts.size() < 5;) {
        const qsizetype at = input.indexOf("\n--\n", from);
        parts.append(input.mid(from, at < 0 ? -1 : at - from));
        if (at < 0)
            break;
        from = at + 4;
    }
    QDir run(fuzz::scratch().absoluteFilePath(u"run"_qs));
    run.removeRecursively();
    for (int i = 0; i < parts.size(); ++i)
        fuzz::writeFile(u"run/"_qs + names[i], parts[i]);
    if (parts.size() < 2)
        fuzz::writeFile(u"run/metrics.jsonl"_qs, {});
    RunFolder folder;
    try {
        folder = RunFolder::open(run.path());
    } catch (const std::runtime_error &) {
        return 0;
    }
    // Follow mode: the logs grow by what they already hold (a half line waits for its newline).
    for (int i = 1; i < 3 && i < parts.size(); ++i) {
        QFile f(run.filePath(names[i]));
        if (f.open(QIODevice::Append))
            f.write(parts[i]);
    }
    folder.refresh();
    FUZZ_CHECK(folder.badLines() >= 0);
    (void)folder.plannedEpochs();
    (void)folder.finished();
    (void)folder.stepsPerEpoch();
    for (const QJsonObject &epoch : folder.epochs())
        (void)RunFolder::value(epoch, u"i2t/R@1"_qs);
    for (const StepRecord &s : folder.steps())
        FUZZ_CHECK(s.step >= 1);
    for (int epoch : folder.probeEpochs()) {
        try {
            const Matrix m = folder.probeEmbeddings(epoch);
            FUZZ_CHECK(m.rows >= 2 && m.rows % 2 == 0);
        } catch (const std::runtime_error &) {
        }
    }
    return 0;
}
