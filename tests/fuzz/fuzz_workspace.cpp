// Workspace::load of the input as a .cospace file, then save + load again.
// Contract (workspace.h): std::runtime_error naming the file; what loads survives a save/load round trip.
#include "core/explorer/workspace.h"
#include "fuzzutil.h"

#include <stdexcept>

using namespace cospace;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString path = fuzz::writeFile(u"ws/input.cospace"_qs, fuzz::bytes(data, size));
    Workspace w;
    try {
        w = Workspace::load(path);
    } catch (const std::runtime_error &) {
        return 0;
    }
    const QString again = fuzz::scratch().absoluteFilePath(u"ws/again.cospace"_qs);
    w.save(again);
    const Workspace v = Workspace::load(again);
    FUZZ_CHECK(v.folders == w.folders);
    FUZZ_CHECK(v.captionFiles == w.captionFiles);
    FUZZ_CHECK(v.captions == w.captions);
    FUZZ_CHECK(v.model == w.model && v.method == w.method);
    FUZZ_CHECK(v.view == w.view);
    return 0;
}
