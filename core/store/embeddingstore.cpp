#include "core/store/embeddingstore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <stdexcept>

// libsqlite3 directly rather than Qt SQL's QSQLITE: loading a million vectors is one prepared
// statement whose blobs are copied straight from SQLite's page into the Matrix (no QVariant /
// QByteArray per row), WAL and pragmas are set without driver indirection, and a connection is a
// plain object with no QSqlDatabase name registry or thread-affinity rules.

namespace cospace {

namespace {

constexpr int kBusyTimeoutMs = 5000;

const char *const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items(
  id INTEGER PRIMARY KEY,
  modality INTEGER NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  path TEXT NOT NULL DEFAULT '',
  caption TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT -1,
  mtime INTEGER NOT NULL DEFAULT -1,
  UNIQUE(modality, source, path, caption));
CREATE TABLE IF NOT EXISTS models(
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  dim INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings(
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  vector BLOB NOT NULL,
  PRIMARY KEY(model_id, item_id));
CREATE INDEX IF NOT EXISTS embeddings_item ON embeddings(item_id);
CREATE TABLE IF NOT EXISTS vector_versions(model_id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS embeddings_added AFTER INSERT ON embeddings BEGIN
  INSERT INTO vector_versions(model_id, version) VALUES(NEW.model_id, 1)
    ON CONFLICT(model_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS embeddings_changed AFTER UPDATE ON embeddings BEGIN
  INSERT INTO vector_versions(model_id, version) VALUES(NEW.model_id, 1)
    ON CONFLICT(model_id) DO UPDATE SET version = version + 1;
  INSERT INTO vector_versions(model_id, version) VALUES(OLD.model_id, 1)
    ON CONFLICT(model_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS embeddings_removed AFTER DELETE ON embeddings BEGIN
  INSERT INTO vector_versions(model_id, version) VALUES(OLD.model_id, 1)
    ON CONFLICT(model_id) DO UPDATE SET version = version + 1;
END;
)sql";

QString text(sqlite3_stmt *s, int col)
{
    const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(s, col));
    return p ? QString::fromUtf8(p, sqlite3_column_bytes(s, col)) : QString();
}

// A prepared statement that finalizes itself. Bind helpers take 1-based indices like SQLite.
class Statement
{
public:
    Statement(sqlite3 *db, const char *sql, const std::function<void(const QString &)> &onError) : m_onError(onError)
    {
        if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK)
            m_onError(QString::fromUtf8(sqlite3_errmsg(db)));
        m_db = db;
    }
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    void bind(int i, qint64 v) { sqlite3_bind_int64(m_stmt, i, v); }
    void bind(int i, const QString &v)
    {
        const QByteArray utf8 = v.toUtf8();
        sqlite3_bind_text(m_stmt, i, utf8.constData(), int(utf8.size()), SQLITE_TRANSIENT);
    }
    void bindBlob(int i, const float *data, int count)
    {
        sqlite3_bind_blob(m_stmt, i, data, count * int(sizeof(float)), SQLITE_STATIC);
    }
    // True while there is a row; throws on error.
    bool step()
    {
        const int rc = sqlite3_step(m_stmt);
        if (rc == SQLITE_ROW)
            return true;
        if (rc != SQLITE_DONE)
            m_onError(QString::fromUtf8(sqlite3_errmsg(m_db)));
        return false;
    }
    void reset()
    {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }
    sqlite3_stmt *get() const { return m_stmt; }

private:
    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_stmt = nullptr;
    std::function<void(const QString &)> m_onError;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when an exception leaves the scope.
class Transaction
{
public:
    Transaction(sqlite3 *db, const std::function<void(const char *)> &exec) : m_db(db), m_exec(exec)
    {
        m_exec("BEGIN IMMEDIATE");
    }
    ~Transaction()
    {
        if (!m_done)
            sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit()
    {
        m_exec("COMMIT");
        m_done = true;
    }

private:
    sqlite3 *m_db;
    std::function<void(const char *)> m_exec;
    bool m_done = false;
};

bool insideRoot(const QString &path, const QString &root)
{
    // A folder holds what is below it; a shard "x.tar" holds its members "x.tar#KEY" (shards.h).
    return path == root
           || (path.startsWith(root) && (root.endsWith(u'/') || path.at(root.size()) == u'/' || path.at(root.size()) == u'#'));
}

}  // namespace

QString modalityName(Modality modality) { return kModalities.name(modality); }

std::optional<Modality> parseModality(const QString &name)
{
    return name == name.toLower() ? kModalities.parse(name) : std::nullopt;   // stored names are exact
}

EmbeddingStore::EmbeddingStore(const QString &path) : m_path(QFileInfo(path).absoluteFilePath())
{
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    const QByteArray file = QFile::encodeName(m_path);
    if (sqlite3_open_v2(file.constData(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        const QString why = m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : u"out of memory"_qs;
        sqlite3_close(m_db);
        m_db = nullptr;
        throw std::runtime_error(u"%1: cannot open store: %2"_qs.arg(m_path, why).toStdString());
    }
    sqlite3_busy_timeout(m_db, kBusyTimeoutMs);
    try {
        // WAL: readers never block the embedding writer; synchronous=NORMAL is durable against
        // process crashes (kill -9) and keeps the database consistent on power loss.
        // 64 KiB pages: a 512-d vector row is ~2 KiB, which 4 KiB pages store one per page (half
        // empty); 64 KiB pages pack 31 and halve the file a million-vector load has to read. Only
        // takes effect on a new file, before WAL is switched on.
        exec("PRAGMA page_size=65536");
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=NORMAL");
        exec("PRAGMA foreign_keys=ON");
        exec("PRAGMA cache_size=-65536");   // 64 MB page cache
        Transaction t(m_db, [this](const char *sql) { exec(sql); });
        exec(kSchema);
        exec("INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '1')");
        // Names this store file for its snapshots (a copy keeps the name and the same vectors).
        exec("INSERT OR IGNORE INTO meta(key, value) VALUES('store_id', lower(hex(randomblob(16))))");
        t.commit();
    } catch (...) {
        sqlite3_close(m_db);
        m_db = nullptr;
        throw;
    }
}

EmbeddingStore::~EmbeddingStore()
{
    sqlite3_close(m_db);
}

void EmbeddingStore::fail(const QString &what) const
{
    throw std::runtime_error(u"%1: %2"_qs.arg(m_path, what).toStdString());
}

void EmbeddingStore::exec(const char *sql) const
{
    char *message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        const QString why = QString::fromUtf8(message ? message : sqlite3_errmsg(m_db));
        sqlite3_free(message);
        fail(why);
    }
}

#define COSPACE_STMT(name, sql) Statement name(m_db, sql, [this](const QString &e) { fail(e); })

qint64 EmbeddingStore::ensureModel(const QString &fingerprint, const QString &name, int dim)
{
    if (const auto m = findModel(fingerprint)) {
        if (m->dim != dim)
            fail(u"model %1 is stored with %2 dimensions, not %3"_qs.arg(fingerprint).arg(m->dim).arg(dim));
        return m->id;
    }
    COSPACE_STMT(s, "INSERT INTO models(fingerprint, name, dim) VALUES(?, ?, ?)");
    s.bind(1, fingerprint);
    s.bind(2, name);
    s.bind(3, qint64(dim));
    s.step();
    return sqlite3_last_insert_rowid(m_db);
}

std::optional<StoredModel> EmbeddingStore::findModel(const QString &fingerprint) const
{
    for (const StoredModel &m : models())
        if (m.fingerprint == fingerprint)
            return m;
    return std::nullopt;
}

QList<StoredModel> EmbeddingStore::models() const
{
    COSPACE_STMT(s, "SELECT id, fingerprint, name, dim FROM models ORDER BY id");
    QList<StoredModel> out;
    while (s.step())
        out.append({sqlite3_column_int64(s.get(), 0), text(s.get(), 1), text(s.get(), 2),
                    sqlite3_column_int(s.get(), 3)});
    return out;
}

QHash<QString, StoredFileState> EmbeddingStore::imageStates(qint64 modelId) const
{
    COSPACE_STMT(s, "SELECT i.path, i.size, i.mtime, e.item_id IS NOT NULL FROM items i "
                    "LEFT JOIN embeddings e ON e.item_id = i.id AND e.model_id = ? WHERE i.modality = 0");
    s.bind(1, modelId);
    QHash<QString, StoredFileState> out;
    while (s.step())
        out.insert(text(s.get(), 0), {sqlite3_column_int64(s.get(), 1), sqlite3_column_int64(s.get(), 2),
                                      sqlite3_column_int(s.get(), 3) != 0});
    return out;
}

QString EmbeddingStore::captionKey(const QString &imagePath, const QString &caption)
{
    return imagePath + QChar(0x1f) + caption;
}

QSet<QString> EmbeddingStore::embeddedCaptions(qint64 modelId, const QString &source) const
{
    COSPACE_STMT(s, "SELECT i.path, i.caption FROM items i JOIN embeddings e ON e.item_id = i.id "
                    "WHERE i.modality = 1 AND i.source = ? AND e.model_id = ?");
    s.bind(1, source);
    s.bind(2, modelId);
    QSet<QString> out;
    while (s.step())
        out.insert(captionKey(text(s.get(), 0), text(s.get(), 1)));
    return out;
}

QStringList EmbeddingStore::captionSources() const
{
    COSPACE_STMT(s, "SELECT DISTINCT source FROM items WHERE modality = 1");
    QStringList out;
    while (s.step())
        out << text(s.get(), 0);
    return out;
}

void EmbeddingStore::putBatch(qint64 modelId, const QList<StoredItem> &items, const Matrix &vectors)
{
    if (vectors.rows != items.size())
        fail(u"putBatch: %1 items but %2 vectors"_qs.arg(items.size()).arg(vectors.rows));
    Transaction t(m_db, [this](const char *sql) { exec(sql); });
    COSPACE_STMT(find, "SELECT id, size, mtime FROM items WHERE modality = ? AND source = ? AND path = ? AND caption = ?");
    COSPACE_STMT(insert, "INSERT INTO items(modality, source, path, caption, size, mtime) VALUES(?, ?, ?, ?, ?, ?)");
    COSPACE_STMT(update, "UPDATE items SET size = ?, mtime = ? WHERE id = ?");
    COSPACE_STMT(stale, "DELETE FROM embeddings WHERE item_id = ?");
    COSPACE_STMT(put, "INSERT OR REPLACE INTO embeddings(model_id, item_id, vector) VALUES(?, ?, ?)");
    for (qsizetype i = 0; i < items.size(); ++i) {
        const StoredItem &item = items[i];
        find.bind(1, qint64(item.modality));
        find.bind(2, item.source);
        find.bind(3, item.path);
        find.bind(4, item.caption);
        qint64 id = 0;
        if (find.step()) {
            id = sqlite3_column_int64(find.get(), 0);
            const qint64 size = sqlite3_column_int64(find.get(), 1);
            const qint64 mtime = sqlite3_column_int64(find.get(), 2);
            // Known sizes that differ: the file changed, every model's vector is stale. A stored
            // size of -1 (imported vectors) is unknown: adopt the file's without dropping anything.
            if (item.size >= 0 && (size != item.size || mtime != item.mtime)) {
                if (size >= 0) {
                    stale.bind(1, id);
                    stale.step();
                    stale.reset();
                }
                update.bind(1, item.size);
                update.bind(2, item.mtime);
                update.bind(3, id);
                update.step();
                update.reset();
            }
        } else {
            insert.bind(1, qint64(item.modality));
            insert.bind(2, item.source);
            insert.bind(3, item.path);
            insert.bind(4, item.caption);
            insert.bind(5, item.size);
            insert.bind(6, item.mtime);
            insert.step();
            insert.reset();
            id = sqlite3_last_insert_rowid(m_db);
        }
        find.reset();
        put.bind(1, modelId);
        put.bind(2, id);
        put.bindBlob(3, vectors.row(int(i)), vectors.cols);
        put.step();
        put.reset();
    }
    t.commit();
}

int EmbeddingStore::dropMissingImages(const QStringList &roots, const QSet<QString> &present)
{
    QList<qint64> gone;
    {
        COSPACE_STMT(s, "SELECT id, path FROM items WHERE modality = 0 AND size >= 0");
        while (s.step()) {
            const QString path = text(s.get(), 1);
            if (present.contains(path))
                continue;
            for (const QString &root : roots) {
                if (insideRoot(path, root)) {
                    gone.append(sqlite3_column_int64(s.get(), 0));
                    break;
                }
            }
        }
    }
    return deleteItems(gone);
}

int EmbeddingStore::deleteItems(const QList<qint64> &ids)
{
    if (ids.isEmpty())
        return 0;
    Transaction t(m_db, [this](const char *sql) { exec(sql); });
    COSPACE_STMT(del, "DELETE FROM items WHERE id = ?");
    for (qint64 id : ids) {
        del.bind(1, id);
        del.step();
        del.reset();
    }
    t.commit();
    return int(ids.size());
}

int EmbeddingStore::dropMissingCaptions(const QString &source, const QSet<QString> &present)
{
    QList<qint64> gone;
    {
        COSPACE_STMT(s, "SELECT id, path, caption FROM items WHERE modality = 1 AND source = ?");
        s.bind(1, source);
        while (s.step())
            if (!present.contains(captionKey(text(s.get(), 1), text(s.get(), 2))))
                gone.append(sqlite3_column_int64(s.get(), 0));
    }
    return deleteItems(gone);
}

// items[row] and keep[row] = 1 for each (item id, row) of `byItem` whose item exists (of `modality`, when
// given): one pass over the items table in id order, merged with the sorted ids.
void EmbeddingStore::readItems(std::vector<std::pair<qint64, int>> byItem, std::optional<Modality> modality,
                               std::vector<StoredItem> &items, std::vector<char> &keep) const
{
    std::sort(byItem.begin(), byItem.end());
    COSPACE_STMT(s, "SELECT id, modality, source, path, caption, size, mtime FROM items "
                    "WHERE ?1 < 0 OR modality = ?1 ORDER BY id");
    s.bind(1, modality ? qint64(*modality) : qint64(-1));
    auto it = byItem.begin();
    while (it != byItem.end() && s.step()) {
        sqlite3_stmt *st = s.get();
        const qint64 id = sqlite3_column_int64(st, 0);
        while (it != byItem.end() && it->first < id)
            ++it;
        for (; it != byItem.end() && it->first == id; ++it) {
            items[std::size_t(it->second)] = {id, Modality(sqlite3_column_int(st, 1)), text(st, 3), text(st, 4),
                                              text(st, 2), sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6)};
            keep[std::size_t(it->second)] = 1;
        }
    }
}

QList<StoredItem> EmbeddingStore::itemsInOrder(std::span<const qint64> ids, std::optional<Modality> modality) const
{
    std::vector<std::pair<qint64, int>> byItem;
    byItem.reserve(ids.size());
    for (std::size_t row = 0; row < ids.size(); ++row)
        byItem.emplace_back(ids[row], int(row));
    std::vector<StoredItem> items(ids.size());
    std::vector<char> keep(ids.size(), 0);
    readItems(std::move(byItem), modality, items, keep);
    return QList<StoredItem>(std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
}

StoredSet EmbeddingStore::load(qint64 modelId, std::optional<Modality> modality) const
{
    int dim = 0;
    for (const StoredModel &m : models())
        if (m.id == modelId)
            dim = m.dim;
    if (dim <= 0)
        fail(u"no model with id %1"_qs.arg(modelId));
    // Two sequential scans instead of a join (three B-tree seeks per row): the vectors in storage
    // order straight into the Matrix, then the items in id order, matched by a merge. A modality with
    // few of the model's rows (a thousand captions beside a million images) is joined instead: its
    // rows alone, still in storage order.
    StoredSet out;
    const std::size_t bytes = std::size_t(dim) * sizeof(float);
    const qint64 total = count(modelId);
    const qint64 wanted = modality ? count(modelId, *modality) : total;
    const bool join = wanted * 4 < total;
    out.vectors = Matrix(int(join ? wanted : total), dim);
    std::vector<std::pair<qint64, int>> byItem;   // (item id, row)
    byItem.reserve(std::size_t(out.vectors.rows));
    {
        COSPACE_STMT(s, join ? "SELECT e.item_id, e.vector FROM items i JOIN embeddings e "
                               "ON e.model_id = ?1 AND e.item_id = i.id WHERE i.modality = ?2 ORDER BY e.rowid"
                             : "SELECT item_id, vector FROM embeddings NOT INDEXED WHERE model_id = ?1");
        s.bind(1, modelId);
        if (join)
            s.bind(2, qint64(*modality));
        int row = 0;
        while (s.step() && row < out.vectors.rows) {
            if (std::size_t(sqlite3_column_bytes(s.get(), 1)) != bytes)
                fail(u"item %1: vector of %2 bytes, expected %3"_qs.arg(sqlite3_column_int64(s.get(), 0))
                         .arg(sqlite3_column_bytes(s.get(), 1)).arg(bytes));
            std::memcpy(out.vectors.row(row), sqlite3_column_blob(s.get(), 1), bytes);
            byItem.emplace_back(sqlite3_column_int64(s.get(), 0), row++);
        }
        out.vectors.rows = row;
    }
    std::vector<StoredItem> items(byItem.size());
    std::vector<char> keep(byItem.size(), 0);
    readItems(std::move(byItem), modality, items, keep);
    // Drop rows of the other modality, in place.
    int kept = 0;
    out.items.reserve(qsizetype(items.size()));
    for (int row = 0; row < out.vectors.rows; ++row) {
        if (!keep[std::size_t(row)])
            continue;
        if (kept != row)
            std::memmove(out.vectors.row(kept), out.vectors.row(row), bytes);
        out.items.append(std::move(items[std::size_t(row)]));
        ++kept;
    }
    out.vectors.rows = kept;
    out.vectors.data.resize(std::size_t(kept) * std::size_t(dim));
    return out;
}

QString EmbeddingStore::storeId() const
{
    COSPACE_STMT(s, "SELECT value FROM meta WHERE key = 'store_id'");
    return s.step() ? text(s.get(), 0) : QString();
}

qint64 EmbeddingStore::vectorVersion(qint64 modelId) const
{
    COSPACE_STMT(s, "SELECT version FROM vector_versions WHERE model_id = ?");
    s.bind(1, modelId);
    return s.step() ? sqlite3_column_int64(s.get(), 0) : 0;
}

qint64 EmbeddingStore::scanVectors(qint64 modelId, std::optional<Modality> modality,
                                   const std::function<void(qint64 rows)> &begin,
                                   const std::function<void(qint64 itemId, const float *vector)> &visit) const
{
    int dim = 0;
    for (const StoredModel &m : models())
        if (m.id == modelId)
            dim = m.dim;
    if (dim <= 0)
        fail(u"no model with id %1"_qs.arg(modelId));
    // One read transaction: the version, the count and the rows are one snapshot of the file.
    exec("BEGIN");
    try {
        const qint64 version = vectorVersion(modelId);
        std::vector<bool> wanted;   // by item id: the items of the modality asked for
        if (modality) {
            COSPACE_STMT(s, "SELECT id FROM items WHERE modality = ? ORDER BY id");
            s.bind(1, qint64(*modality));
            while (s.step()) {
                const qint64 id = sqlite3_column_int64(s.get(), 0);
                if (id >= 0 && id < (qint64(1) << 40)) {
                    if (wanted.size() <= std::size_t(id))
                        wanted.resize(std::size_t(id) + 1, false);
                    wanted[std::size_t(id)] = true;
                }
            }
        }
        begin(count(modelId));
        const std::size_t bytes = std::size_t(dim) * sizeof(float);
        COSPACE_STMT(s, "SELECT item_id, vector FROM embeddings NOT INDEXED WHERE model_id = ?");
        s.bind(1, modelId);
        while (s.step()) {
            const qint64 id = sqlite3_column_int64(s.get(), 0);
            if (modality && (id < 0 || std::size_t(id) >= wanted.size() || !wanted[std::size_t(id)]))
                continue;
            if (std::size_t(sqlite3_column_bytes(s.get(), 1)) != bytes)
                fail(u"item %1: vector of %2 bytes, expected %3"_qs.arg(id).arg(sqlite3_column_bytes(s.get(), 1)).arg(bytes));
            visit(id, static_cast<const float *>(sqlite3_column_blob(s.get(), 1)));
        }
        exec("COMMIT");
        return version;
    } catch (...) {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

QHash<qint64, StoredItem> EmbeddingStore::itemsById(const QList<qint64> &ids) const
{
    QHash<qint64, StoredItem> out;
    COSPACE_STMT(s, "SELECT id, modality, source, path, caption, size, mtime FROM items WHERE id = ?");
    for (const qint64 id : ids) {
        s.bind(1, id);
        if (s.step()) {
            sqlite3_stmt *st = s.get();
            out.insert(id, {id, Modality(sqlite3_column_int(st, 1)), text(st, 3), text(st, 4), text(st, 2),
                            sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6)});
        }
        s.reset();
    }
    return out;
}

std::optional<std::vector<float>> EmbeddingStore::imageVector(qint64 modelId, const QString &path) const
{
    COSPACE_STMT(s, "SELECT e.vector FROM items i JOIN embeddings e ON e.item_id = i.id "
                    "WHERE i.modality = 0 AND i.source = '' AND i.path = ? AND e.model_id = ?");
    s.bind(1, path);
    s.bind(2, modelId);
    if (!s.step())
        return std::nullopt;
    const auto *p = static_cast<const float *>(sqlite3_column_blob(s.get(), 0));
    return std::vector<float>(p, p + sqlite3_column_bytes(s.get(), 0) / int(sizeof(float)));
}

qint64 EmbeddingStore::count(qint64 modelId, std::optional<Modality> modality) const
{
    if (!modality) {   // the primary-key index alone answers this, no join
        COSPACE_STMT(s, "SELECT count(*) FROM embeddings WHERE model_id = ?");
        s.bind(1, modelId);
        s.step();
        return sqlite3_column_int64(s.get(), 0);
    }
    COSPACE_STMT(s, "SELECT count(*) FROM embeddings e JOIN items i ON i.id = e.item_id "
                    "WHERE e.model_id = ?1 AND (?2 < 0 OR i.modality = ?2)");
    s.bind(1, modelId);
    s.bind(2, modality ? qint64(*modality) : qint64(-1));
    s.step();
    return sqlite3_column_int64(s.get(), 0);
}

QStringList EmbeddingStore::integrityProblems() const
{
    QStringList problems;
    {
        COSPACE_STMT(s, "PRAGMA integrity_check");
        while (s.step())
            if (const QString line = text(s.get(), 0); line != u"ok")
                problems << line;
    }
    {
        COSPACE_STMT(s, "PRAGMA foreign_key_check");
        while (s.step())
            problems << u"foreign key: table %1 row %2"_qs.arg(text(s.get(), 0)).arg(sqlite3_column_int64(s.get(), 1));
    }
    {
        // Every vector has its model's dimension (float32).
        COSPACE_STMT(s, "SELECT count(*) FROM embeddings e JOIN models m ON m.id = e.model_id "
                        "WHERE length(e.vector) != 4 * m.dim");
        s.step();
        if (const qint64 bad = sqlite3_column_int64(s.get(), 0))
            problems << u"%1 vectors of the wrong length"_qs.arg(bad);
    }
    {
        // putBatch inserts an item with its vector in one transaction: an image item without any
        // vector means a torn write (captions and imported items follow the same rule).
        COSPACE_STMT(s, "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.item_id = i.id)");
        s.step();
        if (const qint64 bare = sqlite3_column_int64(s.get(), 0))
            problems << u"%1 items without any vector"_qs.arg(bare);
    }
    return problems;
}

qint64 EmbeddingStore::itemCount() const
{
    COSPACE_STMT(s, "SELECT count(*) FROM items");
    s.step();
    return sqlite3_column_int64(s.get(), 0);
}

}  // namespace cospace
