#pragma once
// A store's vectors of one model and one modality as one memory-mapped file beside the store: the
// float rows, their item ids and their int8 codes (base/quantize.h), so a million-vector search
// opens in milliseconds instead of reading every row out of SQLite and coding it again.
//
//   STORE-m<MODEL>-<image|caption>.vec   (e.g. cospace.db-m1-image.vec)
//
// The file is a cache: it can always be rebuilt from the store, and it is used only when its
// header says it was built from this store file (meta 'store_id') at the model's current vector
// version (vector_versions, bumped by triggers in every transaction that writes the model's
// vectors). Anything else — missing, stale, truncated, another store's, another format — is
// rebuilt. It is written to a temporary file and renamed into place (QSaveFile), so a process
// killed while writing leaves the previous file or none, never a torn one. Where the store's
// folder cannot be written, the snapshot is built in memory and not kept.
//
// Layout (little-endian): a 4096-byte header (magic "CSVSNAP1", counts, version, store id,
// section offsets, an FNV-1a checksum of the header), then float32 rows [rows x dim], int64 item
// ids [rows], float32 scales [rows], int8 codes [rows x codeStride(dim)], each 64-byte aligned.

#include "core/base/job.h"
#include "core/store/embeddingstore.h"

#include <QString>

#include <cstdint>
#include <memory>
#include <span>

namespace cospace {

// Below this many vectors a search loads them from the store (fast enough) and writes no snapshot.
inline constexpr qint64 kSnapshotMinRows = 100'000;

class VectorSnapshot
{
public:
    enum class Origin { Mapped, Rebuilt, InMemory };

    // The current snapshot of (model, modality): mapped when the file beside the store is current,
    // else rebuilt (and written when the folder allows) with progress and cancellation through
    // `job` (JobCancelled; the previous file stays). Throws std::runtime_error naming the store when
    // the store cannot be read.
    static std::shared_ptr<const VectorSnapshot> open(const EmbeddingStore &store, qint64 modelId, Modality modality,
                                                      JobControl *job = nullptr);
    // The file beside the store mapped if it is current, else null (nothing is built).
    static std::shared_ptr<const VectorSnapshot> openCurrent(const EmbeddingStore &store, qint64 modelId, Modality modality);
    static QString filePath(const QString &storePath, qint64 modelId, Modality modality);

    ~VectorSnapshot();
    VectorSnapshot(const VectorSnapshot &) = delete;
    VectorSnapshot &operator=(const VectorSnapshot &) = delete;

    Modality modality() const { return m_modality; }
    int rows() const { return m_rows; }
    int dim() const { return m_dim; }
    int codeStride() const { return m_stride; }
    qint64 vectorVersion() const { return m_version; }
    QString storeId() const { return m_storeId; }   // the store file it was built from (meta 'store_id')
    Origin origin() const { return m_origin; }
    QString path() const { return m_path; }   // the file; for InMemory where it would have been

    const float *vectors() const { return m_vectors; }   // rows x dim
    std::span<const float> row(int i) const { return {m_vectors + std::size_t(i) * std::size_t(m_dim), std::size_t(m_dim)}; }
    const qint64 *itemIds() const { return m_ids; }
    const float *scales() const { return m_scales; }
    const std::int8_t *codes() const { return m_codes; }   // rows x codeStride

private:
    VectorSnapshot() = default;
    static std::shared_ptr<const VectorSnapshot> mapIfCurrent(const EmbeddingStore &store, qint64 modelId,
                                                              Modality modality, int dim, Origin origin);
    struct Storage;
    friend struct SnapshotBuilder;

    std::shared_ptr<Storage> m_storage;
    QString m_path;
    QString m_storeId;
    Origin m_origin = Origin::InMemory;
    Modality m_modality = Modality::Image;
    int m_rows = 0;
    int m_dim = 0;
    int m_stride = 0;
    qint64 m_version = 0;
    const float *m_vectors = nullptr;
    const qint64 *m_ids = nullptr;
    const float *m_scales = nullptr;
    const std::int8_t *m_codes = nullptr;

public:
    // What keeps the rows alive (for views that outlive this object's scope, e.g. a search scan).
    std::shared_ptr<const void> keepAlive() const { return m_storage; }
};

}  // namespace cospace
