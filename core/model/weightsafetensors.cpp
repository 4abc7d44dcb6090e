// safetensors files as tensors over a memory map (weights_p.h); the header is parsed by the
// Torch-free safetensors.cpp.

#include "core/model/weights_p.h"

#include "core/base/limits.h"
#include "core/model/safetensors.h"

#include <QFile>

#include <cstring>

#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>
#endif
#include <stdexcept>

namespace cospace::detail {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

}  // namespace

struct MappedFile {
    QFile file;
    uchar *data = nullptr;
    qint64 size = 0;
};

std::shared_ptr<MappedFile> mapFile(const QString &path)
{
    auto m = std::make_shared<MappedFile>();
    m->file.setFileName(path);
    if (!m->file.open(QIODevice::ReadOnly))
        fail(u"%1: cannot read: %2"_qs.arg(path, m->file.errorString()));
    m->size = m->file.size();
    if (const QString problem = modelSizeProblem(m->size); !problem.isEmpty())
        fail(u"%1: %2"_qs.arg(path, problem));
    // Copy-on-write: a stray in-place operation on a view changes private pages, never the file.
    if (m->size > 0 && !(m->data = m->file.map(0, m->size, QFileDevice::MapPrivateOption)))
        fail(u"%1: cannot map the file into memory: %2"_qs.arg(path, m->file.errorString()));
    return m;
}

const uchar *mappedData(const MappedFile &m) { return m.data; }
qint64 mappedSize(const MappedFile &m) { return m.size; }

torch::Tensor mappedTensor(const std::shared_ptr<MappedFile> &m, qint64 offset, torch::IntArrayRef shape,
                           torch::ScalarType type)
{
    const auto options = torch::TensorOptions().dtype(type);
    uchar *p = m->data + offset;
    const std::size_t item = c10::elementSize(type);
    if (reinterpret_cast<std::uintptr_t>(p) % item != 0) {   // the format does not promise alignment
        torch::Tensor t = torch::empty(shape, options);
        std::memcpy(t.data_ptr(), p, std::size_t(t.nbytes()));
        return t;
    }
    return torch::from_blob(p, shape, [keep = m](void *) {}, options);
}

void prefault(const torch::Tensor &t)
{
#ifdef __linux__
    constexpr int kPopulateRead = 22;   // MADV_POPULATE_READ, Linux 5.14
    const auto page = std::uintptr_t(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(t.data_ptr()) / page * page;
    const auto end = reinterpret_cast<std::uintptr_t>(t.data_ptr()) + std::uintptr_t(t.nbytes());
    if (t.nbytes() > 0)
        ::madvise(reinterpret_cast<void *>(begin), end - begin, kPopulateRead);
#else
    (void)t;
#endif
}

struct TensorArena::Chunk {
    void *data = nullptr;
    std::size_t size = 0;
    ~Chunk()
    {
#ifdef __linux__
        if (data)
            ::munmap(data, size);
#endif
    }
};

torch::Tensor TensorArena::empty(torch::IntArrayRef shape)
{
#ifdef __linux__
    constexpr std::size_t kHuge = 2u << 20, kChunk = 64u << 20, kAlign = 64;
    const std::size_t bytes = (std::size_t(c10::multiply_integers(shape)) * sizeof(float) + kAlign - 1) / kAlign * kAlign;
    if (!m_chunk || m_used + bytes > m_chunk->size) {
        auto chunk = std::make_shared<Chunk>();
        chunk->size = (std::max(bytes, kChunk) + kHuge - 1) / kHuge * kHuge;
        void *p = ::mmap(nullptr, chunk->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return torch::empty(shape);
        chunk->data = p;
        ::madvise(p, chunk->size, MADV_HUGEPAGE);   // a hint: without THP this is an ordinary mapping
        m_chunk = std::move(chunk);
        m_used = 0;
    }
    void *at = static_cast<char *>(m_chunk->data) + m_used;
    m_used += bytes;
    return torch::from_blob(at, shape, [keep = m_chunk](void *) {}, torch::kFloat);
#else
    return torch::empty(shape);
#endif
}

TensorDtype tensorDtype(const QString &file, const QString &name, torch::ScalarType type)
{
    switch (type) {
    case torch::kDouble: return TensorDtype::F64;
    case torch::kFloat: return TensorDtype::F32;
    case torch::kHalf: return TensorDtype::F16;
    case torch::kBFloat16: return TensorDtype::BF16;
    case torch::kLong: return TensorDtype::I64;
    case torch::kInt: return TensorDtype::I32;
    case torch::kShort: return TensorDtype::I16;
    case torch::kChar: return TensorDtype::I8;
    case torch::kByte: return TensorDtype::U8;
    case torch::kBool: return TensorDtype::Bool;
    default:
        fail(u"%1: tensor \"%2\" has dtype %3, which Cospace does not read"_qs.arg(file, name,
                 QString::fromLatin1(c10::toString(type))));
    }
}

torch::ScalarType torchType(TensorDtype dtype)
{
    switch (dtype) {
    case TensorDtype::F64: return torch::kDouble;
    case TensorDtype::F32: return torch::kFloat;
    case TensorDtype::F16: return torch::kHalf;
    case TensorDtype::BF16: return torch::kBFloat16;
    case TensorDtype::I64: return torch::kLong;
    case TensorDtype::I32: return torch::kInt;
    case TensorDtype::I16: return torch::kShort;
    case TensorDtype::I8: return torch::kChar;
    case TensorDtype::U8: return torch::kByte;
    case TensorDtype::Bool: return torch::kBool;
    }
    return torch::kFloat;
}

TensorInfoMap tensorInfos(const WeightFile &weights)
{
    TensorInfoMap infos;
    for (const auto &[name, t] : weights.tensors)
        infos[name] = TensorInfo{tensorDtype(weights.path, name, t.scalar_type()), t.sizes().vec()};
    return infos;
}

WeightFile readSafetensors(const QString &path)
{
    const std::shared_ptr<MappedFile> m = mapFile(path);
    const SafetensorsHeader h = parseSafetensorsHeader(
        path, QByteArrayView(reinterpret_cast<const char *>(m->data), qsizetype(m->size)), m->size);
    WeightFile w;
    w.path = path;
    w.format = u"safetensors"_qs;
    w.metadata = h.metadata;
    for (const SafetensorsEntry &e : h.tensors)
        w.tensors[e.name] = mappedTensor(m, e.begin, e.shape, torchType(e.dtype));
    return w;
}

}  // namespace cospace::detail
