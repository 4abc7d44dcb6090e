#include "storecli.h"

#include "core/model/embeddingmodel.h"
#include "core/base/paths.h"

#include <stdexcept>

namespace cospace::cli {

QCommandLineOption storeOption()
{
    return {u"store"_qs, u"the store file (default: %1)"_qs.arg(paths::defaultStorePath()), u"DB"_qs};
}

QString storePath(const QCommandLineParser &parser, const QCommandLineOption &store)
{
    return parser.isSet(store) ? parser.value(store) : paths::defaultStorePath();
}

StoredModel resolveStoredModel(const EmbeddingStore &store, const QString &spec)
{
    if (const auto m = store.findModel(spec))
        return *m;
    const QString fingerprint = loadModel(spec)->fingerprint();
    if (const auto m = store.findModel(fingerprint))
        return *m;
    throw std::runtime_error(u"%1 holds no vectors of model %2; run 'cospace-cli embed ... --model %2' first"_qs
                                 .arg(store.path(), spec).toStdString());
}

}  // namespace cospace::cli
