#include "analysiscli.h"

#include "clicommon.h"

#include "core/store/embeddingstore.h"

namespace cospace::cli {

AnalysisInput loadAnalysisInput(const QStringList &paths, const QString &modelSpec, const QString &storeFile,
                                const QString &label)
{
    AnalysisInput input;
    input.model = loadModel(modelSpec);
    EmbeddingStore store(storeFile);
    JobControl job(terminalProgress(label));
    CancelOnSignal cancelOnCtrlC(&job);
    input.images = embedImageSet(*input.model, store, paths, &job);
    endProgressLine();
    for (const SkippedFile &s : input.images.skipped)
        err(u"skipped: %1: %2"_qs.arg(s.path, s.reason));
    return input;
}

}  // namespace cospace::cli
