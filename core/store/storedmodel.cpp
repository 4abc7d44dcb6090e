#include "core/store/storedmodel.h"

#include <stdexcept>

namespace cospace {

StoredModel resolveStoredModel(const EmbeddingStore &store, const QString &spec, const EmbeddingModel *model)
{
    if (!model)
        if (const auto m = store.findModel(spec))
            return *m;
    const QString fingerprint = model ? model->fingerprint() : loadModel(spec)->fingerprint();
    if (const auto m = store.findModel(fingerprint))
        return *m;
    throw std::runtime_error(u"%1 holds no vectors of model %2; run 'cospace-cli embed ... --model %2' first"_qs
                                 .arg(store.path(), spec).toStdString());
}

}  // namespace cospace
