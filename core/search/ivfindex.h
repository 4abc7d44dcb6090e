#pragma once
// An inverted-file (IVF) index over a store's mapped snapshot (store/vectorsnapshot.h), for searches
// of millions of vectors in milliseconds: the rows are split into `lists` clusters by spherical
// k-means, and a query scans only the int8 codes of the rows in its `probes` nearest clusters (a
// copy of the snapshot's codes in list order, so each list is one sequential read), then re-ranks
// the best candidates exactly on the snapshot's float rows.
//
// Training is two-level so that assigning ten million rows stays cheap: ~sqrt(lists) groups are
// clustered from a sample, each group's sample members into leaves in proportion to its share, and
// a row goes to the best leaf among its kAssignGroups best groups. The default number of lists is
// ~sqrt(rows). While the rows are assigned, a fixed sample of stored rows is searched exactly
// (leave-one-out) alongside, and the index records the fewest probes that find
// kCalibrationRecall of their 10 nearest neighbours: the default probes, so recall holds on data of
// any shape without tuning (search() takes an explicit number too).
//
//   STORE-m<MODEL>-<image|caption>.ivf   beside the snapshot's .vec
//
// Like the snapshot, the file is a cache, written to a temporary file and renamed into place
// (QSaveFile) and mapped. Its header names the snapshot it indexes (store id, vector version, rows,
// and a hash of the first `rows` item ids and scales). Against the current snapshot it is
//   current    — the same rows at the same version: mapped and used as it is;
//   appendable — the snapshot is the indexed rows plus rows appended after them (new items):
//                only the new rows are assigned to the existing lists, and the small file is
//                rewritten (retrained instead once the rows grew past kRetrainGrowth times the
//                rows it was trained on);
//   stale      — anything else (rows deleted or re-embedded, another store, damaged file): rebuilt.
// Where the folder cannot be written the index is built in memory and not kept.
//
// Layout (little-endian): a 4096-byte header (magic "CSIVF002", counts, identity, calibration,
// section offsets, FNV-1a checksum of the header), then 64-byte aligned sections: group centroids
// float32 [groups x dim], groupFirst int32 [groups + 1] (each group's first leaf; leaves are stored
// group by group), leaf centroids float32 [lists x dim], listOffsets int64 [lists + 1], listRows
// int32 [rows] (snapshot row numbers, ascending within a list), then in that same list order the
// rows' int8 scales float32 [rows] and codes int8 [rows x codeStride(dim)] (base/quantize.h):
// ~dim + 8 bytes a row.
//
// Thread safety: a built index is read-only; search() may run from several threads at once.

#include "core/base/job.h"
#include "core/search/quantizedscan.h"
#include "core/store/vectorsnapshot.h"

#include <QString>

#include <memory>
#include <span>
#include <vector>

namespace cospace {

inline constexpr int kAssignGroups = 4;
inline constexpr double kCalibrationRecall = 0.98;
inline constexpr int kRetrainGrowth = 4;

struct IvfOptions {
    int lists = 0;     // 0: ~sqrt(rows)
    int threads = 0;   // 0: the OpenMP thread count in effect
};

class IvfIndex
{
public:
    enum class State { Current, Appendable, Stale };
    enum class Origin { Mapped, Built, Updated, InMemory };

    static QString filePath(const VectorSnapshot &snapshot);
    // What the file beside the snapshot is to it (reads its header only).
    static State state(const VectorSnapshot &snapshot);
    // The file mapped if it is current, else null.
    static std::shared_ptr<const IvfIndex> openCurrent(std::shared_ptr<const VectorSnapshot> snapshot);
    // The file mapped if it is current or appendable, else null. Rows appended since it was built
    // (unindexedRows()) are scanned in full by search() until open() folds them into the lists.
    static std::shared_ptr<const IvfIndex> openUsable(std::shared_ptr<const VectorSnapshot> snapshot);
    // The current index: mapped, updated with appended rows, or built (written when the folder
    // allows), with progress and cancellation (JobCancelled; the previous file stays) through `job`.
    // Throws std::invalid_argument for a snapshot too small to cluster (fewer than 2 rows).
    static std::shared_ptr<const IvfIndex> open(std::shared_ptr<const VectorSnapshot> snapshot,
                                                JobControl *job = nullptr, const IvfOptions &options = {});

    ~IvfIndex();
    IvfIndex(const IvfIndex &) = delete;
    IvfIndex &operator=(const IvfIndex &) = delete;

    const VectorSnapshot &snapshot() const { return *m_snapshot; }
    std::shared_ptr<const VectorSnapshot> sharedSnapshot() const { return m_snapshot; }
    Origin origin() const { return m_origin; }
    QString path() const { return m_path; }
    int rows() const { return m_rows; }   // indexed: the snapshot's first rows() rows
    int unindexedRows() const { return m_snapshot->rows() - m_rows; }
    // Whether it indexes exactly the snapshot's rows at its vector version (else openUsable()'s tail).
    bool isCurrent() const { return m_rows == m_snapshot->rows() && m_vectorVersion == m_snapshot->vectorVersion(); }
    int lists() const { return m_lists; }
    int groups() const { return m_groups; }
    int trainedRows() const { return m_trainedRows; }
    // The calibrated default number of probed lists, and the recall@10 it reached on the sample.
    int defaultProbes() const { return m_probes; }
    double calibratedRecall() const { return m_calibratedRecall; }
    // Rows of list `l` (snapshot row numbers).
    std::span<const int> list(int l) const;

    // The k best snapshot rows by exact inner product among the rows of the `probes` lists nearest
    // the query (0: defaultProbes()) and the unindexed rows, best first.
    std::vector<ScoredRow> search(std::span<const float> query, int k, int probes = 0) const;

private:
    IvfIndex() = default;
    struct Storage;
    friend struct IvfBuilder;

    std::shared_ptr<const VectorSnapshot> m_snapshot;
    std::shared_ptr<Storage> m_storage;
    QString m_path;
    Origin m_origin = Origin::InMemory;
    int m_rows = 0, m_lists = 0, m_groups = 0, m_trainedRows = 0, m_probes = 1, m_dim = 0;
    double m_calibratedRecall = 0;
    qint64 m_vectorVersion = 0;
    const float *m_leafCentroids = nullptr;   // lists x dim
    const qint64 *m_listOffsets = nullptr;    // lists + 1
    const int *m_listRows = nullptr;          // rows
    const float *m_listScales = nullptr;      // rows, in list order
    const std::int8_t *m_listCodes = nullptr; // rows x codeStride, in list order
};

}  // namespace cospace
