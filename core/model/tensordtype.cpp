#include "core/model/tensordtype.h"

#include <QStringList>

#include <algorithm>

namespace cospace {

namespace {

struct DtypeRow {
    TensorDtype dtype;
    const char *name;
    int size;
};

constexpr DtypeRow kDtypes[] = {
    {TensorDtype::F64, "F64", 8}, {TensorDtype::F32, "F32", 4}, {TensorDtype::F16, "F16", 2},
    {TensorDtype::BF16, "BF16", 2}, {TensorDtype::I64, "I64", 8}, {TensorDtype::I32, "I32", 4},
    {TensorDtype::I16, "I16", 2}, {TensorDtype::I8, "I8", 1}, {TensorDtype::U8, "U8", 1},
    {TensorDtype::Bool, "BOOL", 1},
};

const DtypeRow &row(TensorDtype dtype)
{
    for (const DtypeRow &r : kDtypes)
        if (r.dtype == dtype)
            return r;
    return kDtypes[1];
}

}  // namespace

QString dtypeName(TensorDtype dtype) { return QString::fromLatin1(row(dtype).name); }

std::optional<TensorDtype> dtypeFromName(const QString &name)
{
    for (const DtypeRow &r : kDtypes)
        if (name == QLatin1String(r.name))
            return r.dtype;
    return std::nullopt;
}

int dtypeSize(TensorDtype dtype) { return row(dtype).size; }

bool isFloating(TensorDtype dtype)
{
    return dtype == TensorDtype::F64 || dtype == TensorDtype::F32 || dtype == TensorDtype::F16
        || dtype == TensorDtype::BF16;
}

std::optional<std::int64_t> checkedNumel(std::span<const std::int64_t> shape, int itemSize)
{
    constexpr std::int64_t kMaxBytes = std::int64_t(1) << 62;
    bool empty = false;
    for (std::int64_t d : shape) {
        if (d < 0)
            return std::nullopt;
        empty = empty || d == 0;
    }
    if (empty)   // [2^40, 2^40, 0] holds nothing: not an overflow
        return 0;
    std::int64_t n = 1;
    for (std::int64_t d : shape) {
        if (n > kMaxBytes / d / std::max(itemSize, 1))
            return std::nullopt;
        n *= d;
    }
    return n;
}

QString shapeText(std::span<const std::int64_t> shape)
{
    QStringList parts;
    for (std::int64_t d : shape)
        parts << QString::number(d);
    return u'[' + parts.join(u", "_qs) + u']';
}

}  // namespace cospace
