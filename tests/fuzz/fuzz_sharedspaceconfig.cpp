// SharedSpaceConfig::fromJson of the input parsed as JSON (the config stored in every checkpoint).
// Contract (sharedspaceconfig.h): std::runtime_error naming the first invalid field, or a config
// that validates and survives toJson -> fromJson unchanged.
#include "core/model/sharedspaceconfig.h"
#include "fuzzutil.h"

#include <QJsonDocument>

#include <stdexcept>

using namespace cospace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QJsonDocument doc = QJsonDocument::fromJson(fuzz::bytes(data, size));
    if (!doc.isObject())
        return 0;
    SharedSpaceConfig c;
    try {
        c = SharedSpaceConfig::fromJson(doc.object());
    } catch (const std::runtime_error &) {
        return 0;
    }
    c.validate();   // must not throw: fromJson validated
    const QJsonObject json = c.toJson();
    FUZZ_CHECK(SharedSpaceConfig::fromJson(json).toJson() == json);
    return 0;
}
