#pragma once
// The persistent embedding store: one SQLite file (WAL) holding items (image files, captions) and
// their embeddings per model fingerprint, as float32 blobs.
//
//   items       one row per image file or caption; unique on (modality, source, path, caption)
//   models      one row per model fingerprint (name, dimension)
//   embeddings  one vector per (model, item); unique on that pair
//   vector_versions  per model, a counter that triggers bump on every insert, update or delete of
//               its embeddings (in the writing transaction, whoever writes): what mapped
//               snapshots (vectorsnapshot.h) compare to know they are current
//
// Crash safety: every write is one transaction (putBatch, drop*), and an item row is only ever
// inserted or marked fresh in the same transaction as its vector, so a process killed at any
// moment leaves a store in which each file is either fully stored or absent/stale, never
// duplicated; the next run completes it.
//
// An image whose size or mtime changed loses the vectors of every model (they describe old pixels).
// Not thread-safe: one EmbeddingStore per thread (each owns its SQLite connection); several
// processes may open the same file (SQLite locking, 5 s busy timeout). Errors throw
// std::runtime_error "<store path>: <what SQLite said>".

#include "core/base/matrix.h"
#include "core/base/names.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>
#include <span>
#include <vector>

struct sqlite3;

namespace cospace {

enum class Modality { Image = 0, Caption = 1 };
inline constexpr EnumNames<Modality, 2> kModalities{{{{Modality::Image, "image"}, {Modality::Caption, "caption"}}}};
QString modalityName(Modality modality);            // "image", "caption"
std::optional<Modality> parseModality(const QString &name);

struct StoredItem {
    qint64 id = 0;
    Modality modality = Modality::Image;
    QString path;      // image: absolute file path; caption: the image it describes (may be empty)
    QString caption;   // captions only
    QString source;    // captions: the captions file it came from; images: empty
    qint64 size = -1;  // bytes; -1 = unknown (imported vectors)
    qint64 mtime = -1; // ms since the epoch; -1 = unknown
};

struct StoredModel {
    qint64 id = 0;
    QString fingerprint;
    QString name;
    int dim = 0;
};

// What the store knows about one image file for one model (incremental embedding).
struct StoredFileState {
    qint64 size = -1;
    qint64 mtime = -1;
    bool embedded = false;   // has a vector for the model asked about
};

struct StoredSet {
    QList<StoredItem> items;  // row i of vectors belongs to items[i]; in storage order
    Matrix vectors;
};

class EmbeddingStore
{
public:
    static constexpr int kSchemaVersion = 1;

    // Opens or creates the store file (and its folder). Throws when it cannot.
    explicit EmbeddingStore(const QString &path);
    ~EmbeddingStore();
    EmbeddingStore(const EmbeddingStore &) = delete;
    EmbeddingStore &operator=(const EmbeddingStore &) = delete;

    QString path() const { return m_path; }

    // Returns the model's id, registering it on first use. Throws if `dim` differs from the stored one.
    qint64 ensureModel(const QString &fingerprint, const QString &name, int dim);
    std::optional<StoredModel> findModel(const QString &fingerprint) const;
    QList<StoredModel> models() const;

    // Image files known to the store, by absolute path, with whether `modelId` has their vector.
    QHash<QString, StoredFileState> imageStates(qint64 modelId) const;
    // Keys (captionKey) of the captions of `source` that have a vector for `modelId`.
    QSet<QString> embeddedCaptions(qint64 modelId, const QString &source) const;
    static QString captionKey(const QString &imagePath, const QString &caption);
    // Every `source` that captions were stored from (captions files, shards, "typed").
    QStringList captionSources() const;

    // One transaction: upserts each item (matched on modality/source/path/caption) and stores its
    // vector for `modelId`. An image whose size/mtime differ from the stored ones first loses the
    // vectors of all models. vectors.rows must equal items.size() and cols the model's dim.
    void putBatch(qint64 modelId, const QList<StoredItem> &items, const Matrix &vectors);

    // Removes image items inside one of `roots` (folders or single files) whose path is not in
    // `present`, with their vectors. Returns how many were removed. One transaction.
    int dropMissingImages(const QStringList &roots, const QSet<QString> &present);
    // Removes captions of `source` whose captionKey is not in `present`. One transaction.
    int dropMissingCaptions(const QString &source, const QSet<QString> &present);

    // All vectors of one model (optionally one modality) in one query: the fast path for search.
    StoredSet load(qint64 modelId, std::optional<Modality> modality = std::nullopt) const;
    // A random id given to the store file when it is created (meta 'store_id').
    QString storeId() const;
    // The model's vector version (0 before its first vector); changes with every write of its vectors.
    qint64 vectorVersion(qint64 modelId) const;
    // Streams a model's vectors (optionally of one modality) in storage order — load()'s rows, without
    // the items' text — inside one read transaction: `begin` gets an upper bound of the rows first
    // (the model's count), then `visit` each row (the pointer lives until the next row). Returns the
    // vector version these rows belong to.
    qint64 scanVectors(qint64 modelId, std::optional<Modality> modality, const std::function<void(qint64 rows)> &begin,
                       const std::function<void(qint64 itemId, const float *vector)> &visit) const;
    // The items with these ids (those that exist), by id.
    QHash<qint64, StoredItem> itemsById(const QList<qint64> &ids) const;
    // The items of `ids` in that order (a snapshot's rows: vectorsnapshot.h) in one pass over the items
    // table, not one lookup per id; an id without an item (deleted since) gives a StoredItem with id 0.
    // With `modality` only that modality's items are read (a snapshot's ids are all of one: a store of
    // a million images and a million captions converts half the rows); an id of another gives id 0.
    QList<StoredItem> itemsInOrder(std::span<const qint64> ids, std::optional<Modality> modality = std::nullopt) const;
    // The stored vector of an image file for `modelId`, if any.
    std::optional<std::vector<float>> imageVector(qint64 modelId, const QString &path) const;
    qint64 count(qint64 modelId, std::optional<Modality> modality = std::nullopt) const;
    qint64 itemCount() const;
    // Empty when the file is sound: SQLite's integrity and foreign-key checks, vector lengths, and
    // no item without a vector. Otherwise one line per problem (the crash-consistency harness).
    QStringList integrityProblems() const;

private:
    void exec(const char *sql) const;
    void readItems(std::vector<std::pair<qint64, int>> byItem, std::optional<Modality> modality,
                   std::vector<StoredItem> &items, std::vector<char> &keep) const;
    int deleteItems(const QList<qint64> &ids);   // one transaction; their vectors go with them
    [[noreturn]] void fail(const QString &what) const;

    QString m_path;
    sqlite3 *m_db = nullptr;
};

}  // namespace cospace
