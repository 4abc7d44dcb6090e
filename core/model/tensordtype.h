#pragma once
// Element types of tensors in weight files, without Torch: names as safetensors spells them, sizes,
// and a checked element count. Pure, thread-safe.

#include <QString>

#include <cstdint>
#include <optional>
#include <span>

namespace cospace {

enum class TensorDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

// "F32", "BF16", ... (safetensors' names).
QString dtypeName(TensorDtype dtype);
std::optional<TensorDtype> dtypeFromName(const QString &name);
int dtypeSize(TensorDtype dtype);
bool isFloating(TensorDtype dtype);

// The product of `shape`, or nullopt when a dimension is negative or the product times `itemSize`
// would exceed 2^62 bytes (a hostile shape like [2^40, 2^40]).
std::optional<std::int64_t> checkedNumel(std::span<const std::int64_t> shape, int itemSize);

// "[768, 3, 32, 32]"
QString shapeText(std::span<const std::int64_t> shape);

}  // namespace cospace
