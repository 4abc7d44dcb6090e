#pragma once
// Process-wide runtime set-up shared by both executables and the tests.

#include "core/base/names.h"

#include <QString>

namespace cospace {

// Call first in main(). libgomp and OpenBLAS read their settings once, when they load, and their
// defaults make idle pool threads spin (libgomp for milliseconds after every parallel region,
// OpenBLAS yielding for 2^28 cycles after every matrix product): on a 2-core machine they take
// the cores from the decode / augmentation workers and from each other. Training runs ~1.7x
// faster with OMP_WAIT_POLICY=PASSIVE and OPENBLAS_THREAD_TIMEOUT=4 (bench/README.md). Each one
// that is unset gets that value and the program re-executes itself (/proc/self/exe, same
// arguments) once; values the user set are left alone. No-op off Linux.
void tuneThreadRuntime(char **argv);

// Sets LibTorch's intra-op thread count (Debian's build defaults to 1). threads <= 0 means all
// cores. Also keeps freed memory of up to 32 MiB blocks in the heap instead of returning it to the
// kernel after every step (fewer page faults per training step). Call once at start-up, before
// any model runs; returns the count in effect.
int initComputeThreads(int threads = 0);

// Call at the start of every std::thread/QThread that runs Torch work (sets up its OpenMP pool).
void initWorkerThread();

// The arithmetic of image towers that support a choice (native CLIP ViTs): bfloat16 matrix products
// with float32 results (norms, attention, activations and the residual stream stay float32). With
// AVX-512 BF16 a ViT-B/32's model time is 1.7x shorter, at a cosine >= 0.9999 to float32's
// embeddings (bench/embed/precision.sh). Auto = bf16 exactly when the CPU has AVX-512 BF16 or
// AMX-BF16 (elsewhere oneDNN would emulate it, gaining nothing).
enum class ComputePrecision { Auto, Float32, BFloat16 };
inline constexpr EnumNames<ComputePrecision, 5> kComputePrecisionNames{{{
    {ComputePrecision::Auto, "auto"}, {ComputePrecision::Float32, "fp32"}, {ComputePrecision::BFloat16, "bf16"},
    {ComputePrecision::Float32, "float32"}, {ComputePrecision::BFloat16, "bfloat16"}}}};

// Whether this CPU multiplies bfloat16 in hardware (cpuid: AVX-512 BF16 or AMX-BF16).
bool cpuHasNativeBf16();
// Process-wide; models read it when they are loaded. Auto is resolved on the spot.
void setComputePrecision(ComputePrecision precision);
ComputePrecision computePrecision();   // Float32 or BFloat16, never Auto

// "Cospace 0.1.0 (LibTorch 1.13.1, OpenCV 4.6.0, Qt 6.4.2)"
QString versionString();

}  // namespace cospace
