#pragma once
// Symmetric int8 codes for float rows: code = round(127 * x / max|x_row|), scale = max|x_row| / 127,
// so a row is approximately scale * codes. Rows are stored padded to codeStride(dim) bytes (a
// multiple of one AVX2 register) so scans need no tail loop. Used by the int8 search scan
// (search/quantizedscan.h) and the store's mapped snapshots (store/vectorsnapshot.h), which must
// agree on every byte.

#include <cstdint>
#include <span>

namespace cospace {

inline constexpr int kCodeAlign = 32;
constexpr int codeStride(int dim) { return (dim + kCodeAlign - 1) / kCodeAlign * kCodeAlign; }

// Writes values.size() codes and returns the scale; a row without a finite maximum gets zero codes
// and scale 0. The padding bytes up to codeStride() are the caller's (left as they are).
float quantizeRow(std::span<const float> values, std::int8_t *codes);

// sum(a[i] * b[i]) over n codes, n a multiple of kCodeAlign (codes padded to codeStride()), exact in
// int32 for codes in [-127, 127]: the AVX2 kernel when the CPU has it (checked at run time).
using Int8DotFn = std::int32_t (*)(const std::int8_t *a, const std::int8_t *b, int n);
Int8DotFn int8Dot();

}  // namespace cospace
