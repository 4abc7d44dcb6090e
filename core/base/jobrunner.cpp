#include "core/base/jobrunner.h"

#include "core/base/runtime.h"

namespace cospace {

void JobRunner::prepareThread()
{
    thread_local bool prepared = false;   // pool threads are reused: set each one up once
    if (!prepared) {
        initWorkerThread();
        prepared = true;
    }
}

}  // namespace cospace
