#include "core/base/runtime.h"

#include <ATen/Parallel.h>
#include <torch/version.h>
#include <opencv2/core/version.hpp>

#include <atomic>
#include <cpuid.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>
#include <utility>

namespace cospace {

void tuneThreadRuntime(char **argv)
{
#ifdef __linux__
    if (!argv || !argv[0])
        return;
    bool changed = false;
    for (const auto &[name, value] : {std::pair{"OMP_WAIT_POLICY", "PASSIVE"}, std::pair{"OPENBLAS_THREAD_TIMEOUT", "4"}}) {
        if (!std::getenv(name)) {
            ::setenv(name, value, 1);
            changed = true;
        }
    }
    if (changed)
        ::execv("/proc/self/exe", argv);   // returns only on failure: go on with the defaults
#else
    (void)argv;
#endif
}

int initComputeThreads(int threads)
{
#ifdef __GLIBC__
    // Tensors of a training step are allocated and freed every step: keep blocks below 32 MiB in
    // the heap and do not trim it below 256 MiB of free space (-5% sys time, +5% samples/s).
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
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

bool cpuHasNativeBf16()
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return false;
    const unsigned maxSub = a;
    if (d & (1u << 22))   // AMX-BF16
        return true;
    return maxSub >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5));   // AVX512_BF16
#else
    return false;
#endif
}

namespace {
std::atomic<ComputePrecision> g_precision{ComputePrecision::Auto};
}

void setComputePrecision(ComputePrecision precision)
{
    if (precision == ComputePrecision::Auto)
        precision = cpuHasNativeBf16() ? ComputePrecision::BFloat16 : ComputePrecision::Float32;
    g_precision = precision;
}

ComputePrecision computePrecision()
{
    if (g_precision == ComputePrecision::Auto)
        setComputePrecision(ComputePrecision::Auto);
    return g_precision;
}

QString versionString()
{
    return u"Cospace %1 (LibTorch %2, OpenCV %3, Qt %4)"_qs.arg(QString::fromLatin1(COSPACE_VERSION),
                                                                 QString::fromLatin1(TORCH_VERSION),
                                                                 QString::fromLatin1(CV_VERSION),
                                                                 QString::fromLatin1(qVersion()));
}

}  // namespace cospace
