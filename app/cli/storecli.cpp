#include "storecli.h"

#include "core/base/paths.h"


namespace cospace::cli {

QCommandLineOption storeOption()
{
    return {u"store"_qs, u"the store file (default: %1)"_qs.arg(paths::defaultStorePath()), u"DB"_qs};
}

QString storePath(const QCommandLineParser &parser, const QCommandLineOption &store)
{
    return parser.isSet(store) ? parser.value(store) : paths::defaultStorePath();
}


}  // namespace cospace::cli
