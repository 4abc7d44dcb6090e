// safetensors header parsing: Qt only (fuzzed by tests/fuzz/fuzz_safetensors.cpp).

#include "core/model/safetensors.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

std::uint64_t readLe64(const char *p)
{
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | std::uint8_t(p[i]);
    return v;
}

// A JSON number that is a whole number a double holds exactly (offsets and dimensions; 2^53 is far
// beyond any real file, and larger values fail the byte checks anyway).
bool wholeNumber(const QJsonValue &v, std::int64_t *out)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    if (!std::isfinite(d) || d < 0 || d > 9007199254740992.0 || std::floor(d) != d)
        return false;
    *out = std::int64_t(d);
    return true;
}

SafetensorsEntry parseEntry(const QString &file, const QString &name, const QJsonValue &value,
                            std::int64_t dataOffset, std::int64_t dataSize)
{
    const QString where = u"%1: tensor \"%2\""_qs.arg(file, name.left(200));
    if (!value.isObject())
        fail(where + u": header entry is not an object"_qs);
    const QJsonObject o = value.toObject();
    SafetensorsEntry e;
    e.name = name;
    const QString dtype = o.value(u"dtype"_qs).toString();
    const std::optional<TensorDtype> dt = dtypeFromName(dtype);
    if (!dt)
        fail(where + u": unknown or unsupported dtype \"%1\" (Cospace reads F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)"_qs
                         .arg(dtype.left(40)));
    e.dtype = *dt;
    const QJsonValue shape = o.value(u"shape"_qs);
    if (!shape.isArray() || shape.toArray().size() > 16)
        fail(where + u": \"shape\" must be a list of at most 16 dimensions"_qs);
    for (const QJsonValue &d : shape.toArray()) {
        std::int64_t dim = 0;
        if (!wholeNumber(d, &dim))
            fail(where + u": \"shape\" holds something that is not a non-negative whole number"_qs);
        e.shape.push_back(dim);
    }
    const QJsonArray offsets = o.value(u"data_offsets"_qs).toArray();
    std::int64_t begin = 0, end = 0;
    if (offsets.size() != 2 || !wholeNumber(offsets[0], &begin) || !wholeNumber(offsets[1], &end) || begin > end)
        fail(where + u": \"data_offsets\" must be [begin, end] with 0 <= begin <= end"_qs);
    if (end > dataSize)
        fail(where + u": data_offsets [%1, %2] run past the end of the data (%3 bytes; truncated file?)"_qs
                         .arg(begin).arg(end).arg(dataSize));
    const std::optional<std::int64_t> numel = checkedNumel(e.shape, dtypeSize(e.dtype));
    if (!numel)
        fail(where + u": shape %1 has too many elements"_qs.arg(shapeText(e.shape)));
    const std::int64_t bytes = *numel * dtypeSize(e.dtype);
    if (bytes != end - begin)
        fail(where + u": shape %1 of %2 is %3 bytes but data_offsets [%4, %5] span %6"_qs.arg(shapeText(e.shape), dtype)
                         .arg(bytes).arg(begin).arg(end).arg(end - begin));
    e.begin = dataOffset + begin;
    e.end = dataOffset + end;
    return e;
}

}  // namespace

bool looksLikeSafetensors(QByteArrayView start, std::int64_t fileSize)
{
    if (start.size() < 9 || fileSize < 9)
        return false;
    const std::uint64_t n = readLe64(start.data());
    return n >= 2 && n <= std::uint64_t(kSafetensorsMaxHeader) && start[8] == '{';
}

SafetensorsHeader parseSafetensorsHeader(const QString &file, QByteArrayView start, std::int64_t fileSize)
{
    if (fileSize < 8 || start.size() < 8)
        fail(u"%1: truncated: %2 bytes, but a safetensors file starts with an 8-byte header length"_qs.arg(file)
                 .arg(fileSize));
    const std::uint64_t n = readLe64(start.data());
    if (n > std::uint64_t(fileSize - 8))
        fail(u"%1: the header length %2 runs past the end of the file (%3 bytes; truncated, or not a safetensors file)"_qs
                 .arg(file).arg(n).arg(fileSize));
    if (n > std::uint64_t(kSafetensorsMaxHeader))
        fail(u"%1: the header length %2 is above the 100 MB a safetensors header may have"_qs.arg(file).arg(n));
    if (start.size() < qsizetype(8 + n))
        fail(u"%1: truncated in the header"_qs.arg(file));
    SafetensorsHeader h;
    h.dataOffset = std::int64_t(8 + n);
    const std::int64_t dataSize = fileSize - h.dataOffset;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(start.data() + 8, qsizetype(n)), &error);
    if (error.error != QJsonParseError::NoError)
        fail(u"%1: the header is not valid JSON at offset %2: %3"_qs.arg(file).arg(8 + error.offset)
                 .arg(error.errorString()));
    if (!doc.isObject())
        fail(u"%1: the header is not a JSON object"_qs.arg(file));
    const QJsonObject root = doc.object();
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (it.key() == u"__metadata__") {
            if (!it.value().isObject())
                fail(u"%1: __metadata__ is not an object"_qs.arg(file));
            const QJsonObject meta = it.value().toObject();
            for (auto m = meta.begin(); m != meta.end(); ++m)
                h.metadata.insert(m.key(), m.value().toString());
            continue;
        }
        h.tensors.push_back(parseEntry(file, it.key(), it.value(), h.dataOffset, dataSize));
    }
    std::sort(h.tensors.begin(), h.tensors.end(),
              [](const SafetensorsEntry &a, const SafetensorsEntry &b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
    // Sorted by begin, a tensor overlaps an earlier one exactly when it starts before the furthest
    // end seen so far. Empty tensors own no bytes and may sit anywhere.
    const SafetensorsEntry *furthest = nullptr;
    for (const SafetensorsEntry &cur : h.tensors) {
        if (cur.end == cur.begin)
            continue;
        if (furthest && cur.begin < furthest->end)
            fail(u"%1: tensor \"%2\" overlaps tensor \"%3\" (bytes %4..%5 and %6..%7 of the data)"_qs
                     .arg(file, cur.name.left(200), furthest->name.left(200)).arg(cur.begin - h.dataOffset)
                     .arg(cur.end - h.dataOffset).arg(furthest->begin - h.dataOffset).arg(furthest->end - h.dataOffset));
        if (!furthest || cur.end > furthest->end)
            furthest = &cur;
    }
    return h;
}

}  // namespace cospace
