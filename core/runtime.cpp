#include "core/runtime.h"

#include <ATen/Parallel.h>
#include <torch/version.h>
#include <opencv2/core/version.hpp>

#include <thread>

namespace cospace {

int initComputeThreads(int threads)
{
    if (threads <= 0)
        threads = int(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads);
    at::init_num_threads();
    return at::get_num_threads();
}

void initWorkerThread()
{
    at::init_num_threads();
}

QString versionString()
{
    return u"Cospace %1 (LibTorch %2, OpenCV %3, Qt %4)"_qs.arg(QString::fromLatin1(COSPACE_VERSION),
                                                                 QString::fromLatin1(TORCH_VERSION),
                                                                 QString::fromLatin1(CV_VERSION),
                                                                 QString::fromLatin1(qVersion()));
}

}  // namespace cospace
