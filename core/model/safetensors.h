#pragma once
// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
// {string: string}} (possibly padded with spaces), then the raw little-endian tensor bytes; offsets
// are relative to the first byte after the header.
//
// This is the Torch-free half: it reads and checks the header only (so it can be fuzzed, and a
// front end can describe a file without LibTorch). Wrapping the bytes as tensors without copying
// is in weightsafetensors.cpp (private, Torch).
//
// Errors: std::runtime_error naming the file and, where there is one, the tensor, for a truncated
// file, a header length past the end, JSON that is not a header, an unknown dtype, a shape whose
// element count overflows, shape x dtype size different from the byte span, and offsets outside the
// data or overlapping another tensor. Pure functions, thread-safe.

#include "core/model/tensordtype.h"

#include <QByteArrayView>
#include <QMap>
#include <QString>

#include <cstdint>
#include <vector>

namespace cospace {

struct SafetensorsEntry {
    QString name;
    TensorDtype dtype = TensorDtype::F32;
    std::vector<std::int64_t> shape;
    std::int64_t begin = 0;   // absolute byte offsets in the file, begin <= end
    std::int64_t end = 0;
};

struct SafetensorsHeader {
    std::vector<SafetensorsEntry> tensors;   // in the file's byte order
    QMap<QString, QString> metadata;          // "__metadata__"
    std::int64_t dataOffset = 0;              // 8 + header length
};

inline constexpr std::int64_t kSafetensorsMaxHeader = 100 * 1024 * 1024;   // as the reference reader

// `start` holds at least the first min(fileSize, 8 + header length) bytes of the file (the whole
// file is fine); `fileSize` is the file's size. `file` names the file in messages.
SafetensorsHeader parseSafetensorsHeader(const QString &file, QByteArrayView start, std::int64_t fileSize);

// True when the first bytes look like a safetensors file (a plausible length, then '{').
bool looksLikeSafetensors(QByteArrayView start, std::int64_t fileSize);

}  // namespace cospace
