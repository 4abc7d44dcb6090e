#include "core/store/vectorsnapshot.h"

#include "core/base/cachefile.h"
#include "core/base/quantize.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <climits>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace cospace {

namespace {

constexpr char kMagic[8] = {'C', 'S', 'V', 'S', 'N', 'A', 'P', '1'};
constexpr std::uint32_t kFormat = 1;
constexpr std::uint64_t kHeaderBytes = kCacheHeaderBytes;

struct Header {
    char magic[8];
    std::uint32_t format;
    std::uint32_t headerBytes;
    std::int64_t modelId;
    std::int32_t modality;
    std::int32_t dim;
    std::int64_t rows;
    std::int32_t stride;
    std::int32_t reserved;
    std::int64_t vectorVersion;
    char storeId[48];
    std::uint64_t vectorsOffset;
    std::uint64_t idsOffset;
    std::uint64_t scalesOffset;
    std::uint64_t codesOffset;
    std::uint64_t fileBytes;
    std::uint64_t checksum;   // FNV-1a of every byte above
};
static_assert(std::is_standard_layout_v<Header> && sizeof(Header) == 152);

struct Layout {
    std::uint64_t vectors = kHeaderBytes, ids = 0, scales = 0, codes = 0, end = 0;
};

Layout layoutFor(std::uint64_t rows, int dim)
{
    Layout l;
    l.ids = alignedSection(l.vectors + rows * std::uint64_t(dim) * sizeof(float));
    l.scales = alignedSection(l.ids + rows * sizeof(qint64));
    l.codes = alignedSection(l.scales + rows * sizeof(float));
    l.end = l.codes + rows * std::uint64_t(codeStride(dim));
    return l;
}

Header makeHeader(qint64 modelId, Modality modality, int dim, qint64 rows, qint64 version, const QString &storeId)
{
    Header h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.format = kFormat;
    h.headerBytes = std::uint32_t(kHeaderBytes);
    h.modelId = modelId;
    h.modality = std::int32_t(modality);
    h.dim = dim;
    h.rows = rows;
    h.stride = codeStride(dim);
    h.vectorVersion = version;
    copyStoreId(storeId, h.storeId);
    const Layout l = layoutFor(std::uint64_t(rows), dim);
    h.vectorsOffset = l.vectors;
    h.idsOffset = l.ids;
    h.scalesOffset = l.scales;
    h.codesOffset = l.codes;
    h.fileBytes = l.end;
    h.checksum = fnv1a(&h, offsetof(Header, checksum));
    return h;
}

// What a current file's header must say; anything else means "rebuild".
bool headerMatches(const Header &h, const Header &want, qint64 fileSize)
{
    return std::memcmp(h.magic, kMagic, sizeof kMagic) == 0 && h.checksum == fnv1a(&h, offsetof(Header, checksum))
           && std::memcmp(&h, &want, offsetof(Header, rows)) == 0   // magic, format, model, modality, dim
           && h.rows >= 0 && h.rows <= INT_MAX && h.vectorVersion == want.vectorVersion
           && std::memcmp(h.storeId, want.storeId, sizeof h.storeId) == 0 && h.stride == want.stride
           && [&] {
                  const Layout l = layoutFor(std::uint64_t(h.rows), h.dim);
                  return h.vectorsOffset == l.vectors && h.idsOffset == l.ids && h.scalesOffset == l.scales
                         && h.codesOffset == l.codes && h.fileBytes == l.end && qint64(l.end) == fileSize;
              }();
}

int modelDim(const EmbeddingStore &store, qint64 modelId)
{
    for (const StoredModel &m : store.models())
        if (m.id == modelId)
            return m.dim;
    throw std::runtime_error(u"%1: no model with id %2"_qs.arg(store.path()).arg(modelId).toStdString());
}

}  // namespace

struct VectorSnapshot::Storage {
    QFile file;                  // Mapped / Rebuilt
    uchar *map = nullptr;
    std::vector<float> vectors;  // InMemory
    std::vector<qint64> ids;
    std::vector<float> scales;
    std::vector<std::int8_t> codes;
};

// Builds a snapshot from the store: streamed to a QSaveFile, or into memory.
struct SnapshotBuilder {
    const EmbeddingStore &store;
    qint64 modelId;
    Modality modality;
    int dim;
    JobControl *job;

    // Scans the store; each row goes to `row` and is coded into `storage`'s codes and scales.
    qint64 scan(VectorSnapshot::Storage &s, const std::function<void(const float *)> &row) const
    {
        const int stride = codeStride(dim);
        qint64 n = 0;
        const qint64 version = store.scanVectors(
            modelId, modality,
            [&](qint64 rows) {
                                if (job)
                    job->setTotal(rows);
                s.ids.reserve(std::size_t(rows));
                s.scales.reserve(std::size_t(rows));
                s.codes.reserve(std::size_t(rows) * std::size_t(stride));
            },
            [&](qint64 id, const float *v) {
                if (n >= INT_MAX)
                    throw std::runtime_error(u"%1: more than %2 vectors for one model"_qs.arg(store.path()).arg(INT_MAX).toStdString());
                row(v);
                s.ids.push_back(id);
                s.codes.resize(s.codes.size() + std::size_t(stride), 0);
                s.scales.push_back(quantizeRow({v, std::size_t(dim)}, s.codes.data() + s.codes.size() - std::size_t(stride)));
                if (++n % 16384 == 0 && job) {
                    job->advance(16384);
                    if (job->cancelled())
                        throw JobCancelled();
                }
            });
        return version;
    }

    std::shared_ptr<VectorSnapshot> inMemory() const
    {
        auto storage = std::make_shared<VectorSnapshot::Storage>();
        const qint64 version = scan(*storage, [&](const float *v) { storage->vectors.insert(storage->vectors.end(), v, v + dim); });
        std::shared_ptr<VectorSnapshot> snap(new VectorSnapshot);
        snap->m_storage = storage;
        snap->m_origin = VectorSnapshot::Origin::InMemory;
        snap->m_modality = modality;
        snap->m_rows = int(storage->ids.size());
        snap->m_dim = dim;
        snap->m_stride = codeStride(dim);
        snap->m_version = version;
        snap->m_storeId = store.storeId();
        snap->m_vectors = storage->vectors.data();
        snap->m_ids = storage->ids.data();
        snap->m_scales = storage->scales.data();
        snap->m_codes = storage->codes.data();
        return snap;
    }

    // Writes the file; false when it cannot be written (the caller builds in memory instead).
    bool write(const QString &path) const
    {
        QSaveFile out(path);
        if (!out.open(QIODevice::WriteOnly))
            return false;
        VectorSnapshot::Storage s;
        bool ok = out.write(QByteArray(qsizetype(kHeaderBytes), '\0')) == qint64(kHeaderBytes);
        const qint64 rowBytes = qint64(dim) * qint64(sizeof(float));
        const qint64 version = scan(s, [&](const float *v) {
            ok = ok && out.write(reinterpret_cast<const char *>(v), rowBytes) == rowBytes;
        });
        const qint64 rows = qint64(s.ids.size());
        const Header h = makeHeader(modelId, modality, dim, rows, version, store.storeId());
        const auto section = [&](std::uint64_t offset, const void *data, std::uint64_t bytes) {
            ok = ok && out.seek(qint64(offset))
                 && out.write(static_cast<const char *>(data), qint64(bytes)) == qint64(bytes);
        };
        section(h.idsOffset, s.ids.data(), std::uint64_t(rows) * sizeof(qint64));
        section(h.scalesOffset, s.scales.data(), std::uint64_t(rows) * sizeof(float));
        section(h.codesOffset, s.codes.data(), std::uint64_t(s.codes.size()));
        if (ok && out.size() < qint64(h.fileBytes))
            ok = out.resize(qint64(h.fileBytes));   // an empty snapshot ends at its header
        section(0, &h, sizeof h);
        if (!ok) {
            out.cancelWriting();
            return false;
        }
        return out.commit();
    }
};

VectorSnapshot::~VectorSnapshot() = default;

QString VectorSnapshot::filePath(const QString &storePath, qint64 modelId, Modality modality)
{
    return u"%1-m%2-%3.vec"_qs.arg(QFileInfo(storePath).absoluteFilePath()).arg(modelId).arg(modalityName(modality));
}

std::shared_ptr<const VectorSnapshot> VectorSnapshot::mapIfCurrent(const EmbeddingStore &store, qint64 modelId,
                                                                   Modality modality, int dim, Origin origin)
{
    auto storage = std::make_shared<Storage>();
    storage->file.setFileName(filePath(store.path(), modelId, modality));
    if (!storage->file.open(QIODevice::ReadOnly))
        return nullptr;
    Header h{};
    const qint64 size = storage->file.size();
    const Header want = makeHeader(modelId, modality, dim, 0, store.vectorVersion(modelId), store.storeId());
    if (storage->file.read(reinterpret_cast<char *>(&h), sizeof h) != qint64(sizeof h) || !headerMatches(h, want, size)
        || (storage->map = storage->file.map(0, size)) == nullptr)
        return nullptr;
    std::shared_ptr<VectorSnapshot> snap(new VectorSnapshot);
    snap->m_storage = storage;
    snap->m_path = storage->file.fileName();
    snap->m_origin = origin;
    snap->m_modality = modality;
    snap->m_rows = int(h.rows);
    snap->m_dim = dim;
    snap->m_stride = h.stride;
    snap->m_version = h.vectorVersion;
    snap->m_storeId = QString::fromLatin1(h.storeId, qsizetype(qstrnlen(h.storeId, sizeof h.storeId)));
    snap->m_vectors = reinterpret_cast<const float *>(storage->map + h.vectorsOffset);
    snap->m_ids = reinterpret_cast<const qint64 *>(storage->map + h.idsOffset);
    snap->m_scales = reinterpret_cast<const float *>(storage->map + h.scalesOffset);
    snap->m_codes = reinterpret_cast<const std::int8_t *>(storage->map + h.codesOffset);
    return snap;
}

std::shared_ptr<const VectorSnapshot> VectorSnapshot::openCurrent(const EmbeddingStore &store, qint64 modelId, Modality modality)
{
    return mapIfCurrent(store, modelId, modality, modelDim(store, modelId), Origin::Mapped);
}

std::shared_ptr<const VectorSnapshot> VectorSnapshot::open(const EmbeddingStore &store, qint64 modelId,
                                                           Modality modality, JobControl *job)
{
    const int dim = modelDim(store, modelId);
    if (auto current = mapIfCurrent(store, modelId, modality, dim, Origin::Mapped))
        return current;
    // Write the file and map what was written; a writer that changed the store again in between
    // just means this open builds in memory.
    const QString path = filePath(store.path(), modelId, modality);
    const SnapshotBuilder builder{store, modelId, modality, dim, job};
    if (builder.write(path))
        if (auto written = mapIfCurrent(store, modelId, modality, dim, Origin::Rebuilt))
            return written;
    std::shared_ptr<VectorSnapshot> snap = builder.inMemory();
    snap->m_path = path;
    return snap;
}

}  // namespace cospace
