#pragma once
// Process-wide runtime set-up shared by both executables and the tests.

#include <QString>

namespace cospace {

// Sets LibTorch's intra-op thread count (Debian's build defaults to 1). threads <= 0 means all
// cores. Call once at start-up, before any model runs; returns the count in effect.
int initComputeThreads(int threads = 0);

// Call at the start of every std::thread/QThread that runs Torch work (sets up its OpenMP pool).
void initWorkerThread();

// "Cospace 0.1.0 (LibTorch 1.13.1, OpenCV 4.6.0, Qt 6.4.2)"
QString versionString();

}  // namespace cospace
