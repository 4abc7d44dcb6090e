#include "core/search/ivfindex.h"

#include "core/base/cachefile.h"
#include "core/base/kmeans.h"
#include "core/base/ompthreads.h"
#include "core/base/pagecache.h"
#include "core/base/quantize.h"
#include "core/base/rng.h"
#include "core/search/topk_p.h"

#include <faiss/utils/distances.h>
#include <omp.h>

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace cospace {

namespace {

constexpr char kMagic[8] = {'C', 'S', 'I', 'V', 'F', '0', '0', '2'};
constexpr std::uint32_t kFormat = 2;
constexpr std::uint64_t kHeaderBytes = kCacheHeaderBytes;
// Training: this many sample rows per list, Lloyd steps per level.
constexpr int kTrainRowsPerList = 32;
constexpr int kTrainIterations = 10;
// Rows are assigned (and the calibration sample searched) in blocks of this many.
constexpr int kAssignBlock = 16384;
// Calibration: this many stored rows searched exactly for their kCalibrationK nearest others.
constexpr int kCalibrationQueries = 100;
constexpr int kCalibrationK = 10;
constexpr std::uint64_t kSeed = 20261206;

struct Header {
    char magic[8];
    std::uint32_t format;
    std::uint32_t headerBytes;
    std::int32_t modality;
    std::int32_t dim;
    std::int64_t rows;
    std::int64_t trainedRows;
    std::int64_t vectorVersion;
    char storeId[48];
    std::uint64_t prefixHash;
    std::int32_t lists;
    std::int32_t groups;
    std::int32_t probes;
    float calibratedRecall;
    std::uint64_t groupCentroidsOffset;
    std::uint64_t groupFirstOffset;
    std::uint64_t leafCentroidsOffset;
    std::uint64_t listOffsetsOffset;
    std::uint64_t listRowsOffset;
    std::uint64_t listScalesOffset;
    std::uint64_t listCodesOffset;
    std::uint64_t fileBytes;
    std::uint64_t checksum;   // FNV-1a of every byte above
};
static_assert(std::is_standard_layout_v<Header> && sizeof(Header) < kHeaderBytes);

void setLayout(Header &h)
{
    const std::uint64_t d = std::uint64_t(h.dim);
    h.groupCentroidsOffset = kHeaderBytes;
    h.groupFirstOffset = alignedSection(h.groupCentroidsOffset + std::uint64_t(h.groups) * d * sizeof(float));
    h.leafCentroidsOffset = alignedSection(h.groupFirstOffset + std::uint64_t(h.groups + 1) * sizeof(std::int32_t));
    h.listOffsetsOffset = alignedSection(h.leafCentroidsOffset + std::uint64_t(h.lists) * d * sizeof(float));
    h.listRowsOffset = alignedSection(h.listOffsetsOffset + std::uint64_t(h.lists + 1) * sizeof(std::int64_t));
    h.listScalesOffset = alignedSection(h.listRowsOffset + std::uint64_t(h.rows) * sizeof(std::int32_t));
    h.listCodesOffset = alignedSection(h.listScalesOffset + std::uint64_t(h.rows) * sizeof(float));
    h.fileBytes = h.listCodesOffset + std::uint64_t(h.rows) * std::uint64_t(codeStride(h.dim));
}

// Hash of the first `rows` item ids and scales: equal for a snapshot that only gained rows after them.
std::uint64_t prefixHash(const VectorSnapshot &s, qint64 rows)
{
    std::uint64_t h = 1469598103934665603ull;
    for (qint64 i = 0; i < rows; ++i) {
        std::uint32_t scaleBits = 0;
        std::memcpy(&scaleBits, s.scales() + i, sizeof scaleBits);
        h = (h ^ std::uint64_t(s.itemIds()[i])) * 1099511628211ull;
        h = (h ^ scaleBits) * 1099511628211ull;
    }
    return h;
}

// A header that is intact, describes a whole file of `fileSize` bytes, and indexes a prefix of this
// snapshot's store and modality.
bool plausible(const Header &h, qint64 fileSize, const VectorSnapshot &s)
{
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.checksum != fnv1a(&h, offsetof(Header, checksum))
        || h.format != kFormat || h.headerBytes != kHeaderBytes || h.modality != std::int32_t(s.modality())
        || h.dim != s.dim() || h.rows < 0 || h.rows > INT_MAX || h.lists < 1 || h.groups < 1
        || h.groups > h.lists || h.probes < 1 || h.probes > h.lists || h.trainedRows < 1)
        return false;
    char want[48];
    copyStoreId(s.storeId(), want);
    Header layout = h;
    setLayout(layout);
    return std::memcmp(h.storeId, want, sizeof want) == 0 && std::memcmp(&layout, &h, sizeof h) == 0
           && qint64(h.fileBytes) == fileSize;
}

std::optional<Header> readHeader(QFile &file)
{
    Header h{};
    if (!file.open(QIODevice::ReadOnly) || file.read(reinterpret_cast<char *>(&h), sizeof h) != qint64(sizeof h))
        return std::nullopt;
    return h;
}

// The trained part of an index: centroids of both levels.
struct Centroids {
    Matrix groups;                 // groups x dim
    std::vector<int> groupFirst;   // groups + 1
    Matrix leaves;                 // lists x dim, group by group
};

struct Lists {
    std::vector<qint64> offsets;   // lists + 1
    std::vector<int> rows;
    std::vector<float> scales;          // in list order: only for an index kept in memory
    std::vector<std::int8_t> codes;
};

// Each row of [first, end) to its list, in `out[row - first]`; with `calibration`, also the exact
// kCalibrationK nearest rows (other than itself) of each calibration query row.
struct Calibration {
    std::vector<int> queries;                  // snapshot rows
    std::vector<std::vector<ScoredRow>> best;  // per query, best first
};

void checkCancel(JobControl *job)
{
    if (job && job->cancelled())
        throw JobCancelled();
}

void assignRows(const VectorSnapshot &s, const Centroids &c, int first, int end, std::vector<int> &out,
                Calibration *calibration, JobControl *job)
{
    const int d = s.dim(), groups = c.groups.rows;
    const int probeGroups = std::min(kAssignGroups, groups);
    out.assign(std::size_t(end - first), 0);
    Matrix queries;
    if (calibration) {
        queries = Matrix(int(calibration->queries.size()), d);
        for (int q = 0; q < queries.rows; ++q)
            std::copy_n(s.row(calibration->queries[std::size_t(q)]).data(), d, queries.row(q));
        calibration->best.assign(calibration->queries.size(), {});
    }
    std::vector<float> groupSim(std::size_t(kAssignBlock) * probeGroups), best(kAssignBlock);
    std::vector<int64_t> groupOf(groupSim.size());
    std::vector<float> leafSim;
    std::vector<int64_t> leafOf;
    std::vector<std::vector<int>> byGroup{std::size_t(groups)};
    for (int b = first; b < end; b += kAssignBlock) {
        checkCancel(job);
        const int n = std::min(kAssignBlock, end - b);
        const float *x = s.row(b).data();
        faiss::knn_inner_product(x, c.groups.data.data(), std::size_t(d), std::size_t(n), std::size_t(groups),
                                 std::size_t(probeGroups), groupSim.data(), groupOf.data());
        std::fill_n(best.begin(), n, -INFINITY);
        for (std::vector<int> &m : byGroup)
            m.clear();
        for (int i = 0; i < n; ++i)
            for (int r = 0; r < probeGroups; ++r)
                if (const int64_t g = groupOf[std::size_t(i) * probeGroups + r]; g >= 0)
                    byGroup[std::size_t(g)].push_back(i);
        for (int g = 0; g < groups; ++g) {
            const std::vector<int> &members = byGroup[std::size_t(g)];
            const int leaves = c.groupFirst[std::size_t(g) + 1] - c.groupFirst[std::size_t(g)];
            if (members.empty() || leaves == 0)
                continue;
            const Matrix sub = gatherRows(x, d, members);
            leafSim.resize(members.size());
            leafOf.resize(members.size());
            faiss::knn_inner_product(sub.data.data(), c.leaves.row(c.groupFirst[std::size_t(g)]), std::size_t(d),
                                     members.size(), std::size_t(leaves), 1, leafSim.data(), leafOf.data());
            for (std::size_t m = 0; m < members.size(); ++m) {
                const int i = members[m];
                if (leafOf[m] >= 0 && leafSim[m] > best[std::size_t(i)]) {
                    best[std::size_t(i)] = leafSim[m];
                    out[std::size_t(b - first + i)] = c.groupFirst[std::size_t(g)] + int(leafOf[m]);
                }
            }
        }
        if (calibration && queries.rows > 0) {
            const int kk = std::min(kCalibrationK + 1, n);
            std::vector<float> sim(std::size_t(queries.rows) * kk);
            std::vector<int64_t> ids(sim.size());
            faiss::knn_inner_product(queries.data.data(), x, std::size_t(d), std::size_t(queries.rows), std::size_t(n),
                                     std::size_t(kk), sim.data(), ids.data());
            for (int q = 0; q < queries.rows; ++q) {
                TopHeap heap;
                for (const ScoredRow &r : calibration->best[std::size_t(q)])
                    heap.push(r);
                for (int j = 0; j < kk; ++j) {
                    const int64_t id = ids[std::size_t(q) * kk + j];
                    if (id >= 0 && b + int(id) != calibration->queries[std::size_t(q)])
                        offer(heap, kCalibrationK, {b + int(id), sim[std::size_t(q) * kk + j]});
                }
                calibration->best[std::size_t(q)] = drainBestFirst(heap);
            }
        }
        if (job)
            job->advance(n);
    }
}

// The fewest probes that find kCalibrationRecall of the calibration queries' neighbours, and that recall.
std::pair<int, double> calibrateProbes(const VectorSnapshot &s, const Centroids &c, const Calibration &cal,
                                       const std::vector<int> &listOf)
{
    const int lists = c.leaves.rows, d = s.dim();
    std::vector<int> ranks;
    std::vector<float> sim(std::size_t(lists), 0.f);
    std::vector<int> order(static_cast<std::size_t>(lists)), rankOf(static_cast<std::size_t>(lists));
    for (std::size_t q = 0; q < cal.queries.size(); ++q) {
        faiss::fvec_inner_products_ny(sim.data(), s.row(cal.queries[q]).data(), c.leaves.data.data(), std::size_t(d),
                                      std::size_t(lists));
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](int a, int b) { return sim[std::size_t(a)] > sim[std::size_t(b)]; });
        for (int r = 0; r < lists; ++r)
            rankOf[std::size_t(order[std::size_t(r)])] = r;
        for (const ScoredRow &n : cal.best[q])
            ranks.push_back(rankOf[std::size_t(listOf[std::size_t(n.row)])]);
    }
    if (ranks.empty())
        return {std::min(lists, 8), 1.0};
    std::sort(ranks.begin(), ranks.end());
    const std::size_t need = std::min(ranks.size(), std::size_t(std::ceil(kCalibrationRecall * double(ranks.size()))));
    const int probes = std::clamp(ranks[need - 1] + 1, 1, lists);
    const auto found = std::lower_bound(ranks.begin(), ranks.end(), probes) - ranks.begin();
    return {probes, double(found) / double(ranks.size())};
}

Lists groupByList(int lists, const std::vector<int> &listOf, int firstRow, const Lists *previous)
{
    Lists out;
    out.offsets.assign(std::size_t(lists) + 1, 0);
    for (int l = 0; l < lists; ++l) {
        const qint64 before = previous ? previous->offsets[std::size_t(l) + 1] - previous->offsets[std::size_t(l)] : 0;
        out.offsets[std::size_t(l) + 1] = before;
    }
    for (int l : listOf)
        ++out.offsets[std::size_t(l) + 1];
    std::partial_sum(out.offsets.begin(), out.offsets.end(), out.offsets.begin());
    out.rows.resize(std::size_t(out.offsets.back()));
    std::vector<qint64> fill(out.offsets.begin(), out.offsets.end() - 1);
    if (previous)
        for (int l = 0; l < lists; ++l)
            for (qint64 i = previous->offsets[std::size_t(l)]; i < previous->offsets[std::size_t(l) + 1]; ++i)
                out.rows[std::size_t(fill[std::size_t(l)]++)] = previous->rows[std::size_t(i)];
    for (std::size_t i = 0; i < listOf.size(); ++i)
        out.rows[std::size_t(fill[std::size_t(listOf[i])]++)] = firstRow + int(i);
    return out;
}

Centroids train(const VectorSnapshot &s, int lists, int threads, JobControl *job)
{
    const int n = s.rows(), d = s.dim();
    Rng rng(kSeed);
    std::vector<int> picked = sampleWithoutReplacement(n, std::min(n, lists * kTrainRowsPerList), rng);
    std::sort(picked.begin(), picked.end());   // read the mapped rows in file order,
    const Matrix inFileOrder = gatherRows(s.vectors(), d, picked);
    // then shuffle: k-means starts from evenly spaced rows
    const Matrix sample = gatherRows(inFileOrder, sampleWithoutReplacement(inFileOrder.rows, inFileOrder.rows, rng));
    checkCancel(job);
    const int groupCount = std::clamp(int(std::lround(std::sqrt(double(lists)))), 1, lists);
    Centroids c;
    const Matrix top = sphericalKmeans(sample, groupCount, kTrainIterations, rng, threads);
    std::vector<float> sim(std::size_t(sample.rows));
    std::vector<int64_t> nearest(sim.size());
    faiss::knn_inner_product(sample.data.data(), top.data.data(), std::size_t(d), std::size_t(sample.rows),
                             std::size_t(top.rows), 1, sim.data(), nearest.data());
    std::vector<std::vector<int>> members(std::size_t(top.rows));
    for (int i = 0; i < sample.rows; ++i)
        members[std::size_t(std::max<int64_t>(0, nearest[std::size_t(i)]))].push_back(i);
    std::vector<Matrix> leaves;
    std::vector<int> kept;
    for (int g = 0; g < top.rows; ++g) {
        checkCancel(job);
        const std::vector<int> &m = members[std::size_t(g)];
        if (m.empty())
            continue;
        const int count = std::clamp(int(std::lround(double(lists) * double(m.size()) / double(sample.rows))), 1, int(m.size()));
        leaves.push_back(sphericalKmeans(gatherRows(sample, m), count, kTrainIterations, rng, threads));
        kept.push_back(g);
        if (job)
            job->advance(qint64(m.size()));
    }
    int total = 0;
    for (const Matrix &l : leaves)
        total += l.rows;
    c.groups = Matrix(int(kept.size()), d);
    c.leaves = Matrix(total, d);
    c.groupFirst.assign(kept.size() + 1, 0);
    for (std::size_t g = 0; g < kept.size(); ++g) {
        std::copy_n(top.row(kept[g]), d, c.groups.row(int(g)));
        c.groupFirst[g + 1] = c.groupFirst[g] + leaves[g].rows;
        std::copy(leaves[g].data.begin(), leaves[g].data.end(), c.leaves.row(c.groupFirst[g]));
    }
    return c;
}

}  // namespace

struct IvfIndex::Storage {
    QFile file;                 // mapped
    uchar *map = nullptr;
    Centroids centroids;        // in memory
    Lists lists;
};

// Writing, mapping and reading back an index (the trained centroids and lists of a mapped one, for an update).
struct IvfBuilder {
    static Centroids centroidsOf(const IvfIndex &index, const Header &h)
    {
        const IvfIndex::Storage &st = *index.m_storage;
        Centroids c;
        c.groups = Matrix(h.groups, h.dim);
        std::copy_n(reinterpret_cast<const float *>(st.map + h.groupCentroidsOffset), c.groups.data.size(), c.groups.data.begin());
        const auto *first = reinterpret_cast<const std::int32_t *>(st.map + h.groupFirstOffset);
        c.groupFirst.assign(first, first + h.groups + 1);
        c.leaves = Matrix(h.lists, h.dim);
        std::copy_n(index.m_leafCentroids, c.leaves.data.size(), c.leaves.data.begin());
        return c;
    }
    static Lists listsOf(const IvfIndex &index)
    {
        Lists l;
        l.offsets.assign(index.m_listOffsets, index.m_listOffsets + index.m_lists + 1);
        l.rows.assign(index.m_listRows, index.m_listRows + index.m_rows);
        return l;
    }

    static Header header(const VectorSnapshot &s, const Centroids &c, const Lists &l, qint64 trainedRows, int probes,
                         double recall)
    {
        Header h{};
        std::memcpy(h.magic, kMagic, sizeof kMagic);
        h.format = kFormat;
        h.headerBytes = std::uint32_t(kHeaderBytes);
        h.modality = std::int32_t(s.modality());
        h.dim = s.dim();
        h.rows = qint64(l.rows.size());
        h.trainedRows = trainedRows;
        h.vectorVersion = s.vectorVersion();
        copyStoreId(s.storeId(), h.storeId);
        h.prefixHash = prefixHash(s, h.rows);
        h.lists = c.leaves.rows;
        h.groups = c.groups.rows;
        h.probes = probes;
        h.calibratedRecall = float(recall);
        setLayout(h);
        h.checksum = fnv1a(&h, offsetof(Header, checksum));
        return h;
    }

    static bool write(const QString &path, const Header &h, const Centroids &c, const Lists &l, const VectorSnapshot &s)
    {
        QSaveFile out(path);
        if (!out.open(QIODevice::WriteOnly))
            return false;
        bool ok = out.resize(qint64(h.fileBytes));
        const auto section = [&](std::uint64_t offset, const void *data, std::uint64_t bytes) {
            ok = ok && out.seek(qint64(offset)) && out.write(static_cast<const char *>(data), qint64(bytes)) == qint64(bytes);
        };
        section(h.groupCentroidsOffset, c.groups.data.data(), c.groups.data.size() * sizeof(float));
        section(h.groupFirstOffset, c.groupFirst.data(), c.groupFirst.size() * sizeof(int));
        section(h.leafCentroidsOffset, c.leaves.data.data(), c.leaves.data.size() * sizeof(float));
        section(h.listOffsetsOffset, l.offsets.data(), l.offsets.size() * sizeof(qint64));
        section(h.listRowsOffset, l.rows.data(), l.rows.size() * sizeof(int));
        // The rows' scales and codes in list order, so that a query reads each probed list in one run.
        const std::size_t stride = std::size_t(s.codeStride());
        constexpr std::size_t kChunk = 8192;
        std::vector<float> scales;
        std::vector<std::int8_t> codes;
        for (std::size_t first = 0; ok && first < l.rows.size(); first += kChunk) {
            const std::size_t n = std::min(kChunk, l.rows.size() - first);
            scales.resize(n);
            codes.resize(n * stride);
            for (std::size_t i = 0; i < n; ++i) {
                const std::size_t row = std::size_t(l.rows[first + i]);
                scales[i] = s.scales()[row];
                std::copy_n(s.codes() + row * stride, stride, codes.data() + i * stride);
            }
            section(h.listScalesOffset + first * sizeof(float), scales.data(), n * sizeof(float));
            section(h.listCodesOffset + first * stride, codes.data(), n * stride);
        }
        section(0, &h, sizeof h);
        if (!ok) {
            out.cancelWriting();
            return false;
        }
        return out.commit();
    }

    static std::shared_ptr<IvfIndex> inMemory(std::shared_ptr<const VectorSnapshot> s, const Header &h, Centroids c, Lists l)
    {
        std::shared_ptr<IvfIndex> index(new IvfIndex);
        auto storage = std::make_shared<IvfIndex::Storage>();
        storage->centroids = std::move(c);
        storage->lists = std::move(l);
        Lists &kept = storage->lists;
        const std::size_t stride = std::size_t(s->codeStride());
        kept.scales.resize(kept.rows.size());
        kept.codes.resize(kept.rows.size() * stride);
        for (std::size_t i = 0; i < kept.rows.size(); ++i) {
            kept.scales[i] = s->scales()[kept.rows[i]];
            std::copy_n(s->codes() + std::size_t(kept.rows[i]) * stride, stride, kept.codes.data() + i * stride);
        }
        index->m_storage = storage;
        index->m_path = IvfIndex::filePath(*s);
        index->m_snapshot = std::move(s);
        index->m_origin = IvfIndex::Origin::InMemory;
        fill(*index, h);
        index->m_leafCentroids = storage->centroids.leaves.data.data();
        index->m_listOffsets = storage->lists.offsets.data();
        index->m_listRows = storage->lists.rows.data();
        index->m_listScales = storage->lists.scales.data();
        index->m_listCodes = storage->lists.codes.data();
        return index;
    }

    static void fill(IvfIndex &index, const Header &h)
    {
        index.m_rows = int(h.rows);
        index.m_lists = h.lists;
        index.m_groups = h.groups;
        index.m_trainedRows = int(h.trainedRows);
        index.m_probes = h.probes;
        index.m_calibratedRecall = h.calibratedRecall;
        index.m_dim = h.dim;
        index.m_vectorVersion = h.vectorVersion;
    }

    // The file mapped when it is plausible for the snapshot and its lists are consistent.
    static std::shared_ptr<IvfIndex> map(std::shared_ptr<const VectorSnapshot> s, IvfIndex::Origin origin, Header *header)
    {
        auto storage = std::make_shared<IvfIndex::Storage>();
        storage->file.setFileName(IvfIndex::filePath(*s));
        const std::optional<Header> h = readHeader(storage->file);
        if (!h || !plausible(*h, storage->file.size(), *s) || h->rows > s->rows()
            || (storage->map = storage->file.map(0, storage->file.size())) == nullptr)
            return nullptr;
        const auto *offsets = reinterpret_cast<const qint64 *>(storage->map + h->listOffsetsOffset);
        const auto *groupFirst = reinterpret_cast<const std::int32_t *>(storage->map + h->groupFirstOffset);
        for (int l = 0; l < h->lists; ++l)
            if (offsets[l] > offsets[l + 1])
                return nullptr;
        for (int g = 0; g < h->groups; ++g)
            if (groupFirst[g] > groupFirst[g + 1])
                return nullptr;
        if (offsets[0] != 0 || offsets[h->lists] != h->rows || groupFirst[0] != 0 || groupFirst[h->groups] != h->lists)
            return nullptr;
        std::shared_ptr<IvfIndex> index(new IvfIndex);
        index->m_storage = storage;
        index->m_path = storage->file.fileName();
        index->m_snapshot = std::move(s);
        index->m_origin = origin;
        fill(*index, *h);
        index->m_leafCentroids = reinterpret_cast<const float *>(storage->map + h->leafCentroidsOffset);
        index->m_listOffsets = offsets;
        index->m_listRows = reinterpret_cast<const int *>(storage->map + h->listRowsOffset);
        index->m_listScales = reinterpret_cast<const float *>(storage->map + h->listScalesOffset);
        index->m_listCodes = reinterpret_cast<const std::int8_t *>(storage->map + h->listCodesOffset);
        if (header)
            *header = *h;
        return index;
    }

    // Writes and maps the index, or keeps it in memory when the file cannot be written.
    static std::shared_ptr<const IvfIndex> keep(std::shared_ptr<const VectorSnapshot> s, const Header &h, Centroids c,
                                                Lists l, IvfIndex::Origin origin)
    {
        if (write(IvfIndex::filePath(*s), h, c, l, *s))
            if (auto mapped = map(s, origin, nullptr); mapped && mapped->m_rows == s->rows())
                return mapped;
        return inMemory(std::move(s), h, std::move(c), std::move(l));
    }
};

IvfIndex::~IvfIndex() = default;

QString IvfIndex::filePath(const VectorSnapshot &snapshot)
{
    QString path = snapshot.path();
    if (path.endsWith(u".vec"))
        path.chop(4);
    return path + u".ivf"_qs;
}

IvfIndex::State IvfIndex::state(const VectorSnapshot &snapshot)
{
    QFile file(filePath(snapshot));
    const std::optional<Header> h = readHeader(file);
    if (!h || !plausible(*h, file.size(), snapshot) || h->rows > snapshot.rows())
        return State::Stale;
    if (h->rows == snapshot.rows() && h->vectorVersion == snapshot.vectorVersion())
        return State::Current;
    if (snapshot.rows() <= qint64(kRetrainGrowth) * h->trainedRows && prefixHash(snapshot, h->rows) == h->prefixHash)
        return State::Appendable;
    return State::Stale;
}

std::shared_ptr<const IvfIndex> IvfIndex::openCurrent(std::shared_ptr<const VectorSnapshot> snapshot)
{
    if (state(*snapshot) != State::Current)
        return nullptr;
    return IvfBuilder::map(std::move(snapshot), Origin::Mapped, nullptr);
}

std::shared_ptr<const IvfIndex> IvfIndex::openUsable(std::shared_ptr<const VectorSnapshot> snapshot)
{
    if (state(*snapshot) == State::Stale)
        return nullptr;
    return IvfBuilder::map(std::move(snapshot), Origin::Mapped, nullptr);
}

std::shared_ptr<const IvfIndex> IvfIndex::open(std::shared_ptr<const VectorSnapshot> snapshot, JobControl *job,
                                               const IvfOptions &options)
{
    const VectorSnapshot &s = *snapshot;
    if (s.rows() < 2)
        throw std::invalid_argument("an IVF index needs at least two vectors");
    const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
    OmpThreads scope(threads);
    const State st = state(s);
    if (st == State::Current)
        if (auto current = IvfBuilder::map(snapshot, Origin::Mapped, nullptr))
            return current;
    if (st == State::Appendable) {
        Header old{};
        if (auto previous = IvfBuilder::map(snapshot, Origin::Mapped, &old)) {
            if (job) {
                job->setStage(u"IVF index: adding new rows"_qs);
                job->setTotal(s.rows() - old.rows);
            }
            const Centroids c = IvfBuilder::centroidsOf(*previous, old);
            std::vector<int> listOf;
            assignRows(s, c, int(old.rows), s.rows(), listOf, nullptr, job);
            const Lists previousLists = IvfBuilder::listsOf(*previous);
            Lists l = groupByList(c.leaves.rows, listOf, int(old.rows), &previousLists);
            previous.reset();
            const Header h = IvfBuilder::header(s, c, l, old.trainedRows, old.probes, old.calibratedRecall);
            return IvfBuilder::keep(std::move(snapshot), h, c, std::move(l), Origin::Updated);
        }
    }
    const int lists = std::clamp(options.lists > 0 ? options.lists : int(std::lround(std::sqrt(double(s.rows())))), 1,
                                 std::max(1, s.rows() / 2));
    if (job) {
        job->setStage(u"IVF index: training %1 lists"_qs.arg(lists));
        job->setTotal(std::min(s.rows(), lists * kTrainRowsPerList));
    }
    const Centroids c = train(s, lists, threads, job);
    if (job) {
        job->setStage(u"IVF index: assigning %1 vectors"_qs.arg(s.rows()));
        job->setTotal(s.rows());
    }
    Rng rng(kSeed ^ 0xC0FFEEull);
    Calibration cal;
    cal.queries = sampleWithoutReplacement(s.rows(), std::min(kCalibrationQueries, s.rows()), rng);
    std::vector<int> listOf;
    assignRows(s, c, 0, s.rows(), listOf, &cal, job);
    const auto [probes, recall] = calibrateProbes(s, c, cal, listOf);
    Lists l = groupByList(c.leaves.rows, listOf, 0, nullptr);
    const Header h = IvfBuilder::header(s, c, l, s.rows(), probes, recall);
    return IvfBuilder::keep(std::move(snapshot), h, c, std::move(l), Origin::Built);
}

std::span<const int> IvfIndex::list(int l) const
{
    return {m_listRows + m_listOffsets[l], std::size_t(m_listOffsets[l + 1] - m_listOffsets[l])};
}

std::vector<ScoredRow> IvfIndex::search(std::span<const float> query, int k, int probes) const
{
    const VectorSnapshot &s = *m_snapshot;
    k = std::clamp(k, 0, s.rows());
    if (k == 0 || int(query.size()) != m_dim)
        return {};
    probes = std::clamp(probes > 0 ? probes : m_probes, 1, m_lists);
    std::vector<float> sim(std::size_t(m_lists), 0.f);
    faiss::fvec_inner_products_ny(sim.data(), query.data(), m_leafCentroids, std::size_t(m_dim), std::size_t(m_lists));
    std::vector<int> order(static_cast<std::size_t>(m_lists));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + probes, order.end(), [&](int a, int b) {
        return sim[std::size_t(a)] != sim[std::size_t(b)] ? sim[std::size_t(a)] > sim[std::size_t(b)] : a < b;
    });

    const int stride = s.codeStride();
    std::vector<std::int8_t> q(std::size_t(stride), 0);
    const float qScale = quantizeRow(query, q.data());
    const Int8DotFn dot = int8Dot();
    const std::size_t keep = std::size_t(std::max(10 * k, 100));
    // Approximate pass over the probed lists' codes (contiguous per list) and the unindexed rows'
    // codes in the snapshot. Until the exact pass ScoredRow::row is a position: below m_rows one in
    // list order, from m_rows on the snapshot row itself (an unindexed row).
    std::vector<std::vector<ScoredRow>> perThread{std::size_t(omp_get_max_threads())};
#pragma omp parallel
    {
        TopHeap heap;
#pragma omp for schedule(dynamic, 1) nowait
        for (int p = 0; p < probes; ++p) {
            const int l = order[std::size_t(p)];
            for (qint64 i = m_listOffsets[l]; i < m_listOffsets[l + 1]; ++i) {
                const float score = qScale * m_listScales[i] * float(dot(q.data(), m_listCodes + std::size_t(i) * std::size_t(stride), stride));
                offer(heap, keep, {int(i), score});
            }
        }
        const std::int8_t *tail = s.codes();
#pragma omp for schedule(static) nowait
        for (int r = m_rows; r < s.rows(); ++r)
            offer(heap, keep, {r, qScale * s.scales()[r] * float(dot(q.data(), tail + std::size_t(r) * std::size_t(stride), stride))});
        std::vector<ScoredRow> &mine = perThread[std::size_t(omp_get_thread_num())];
        for (; !heap.empty(); heap.pop())
            mine.push_back(heap.top());
    }
    // Exact pass on the snapshot's float rows. Ten million rows do not stay in the page cache, so
    // the candidates' pages are requested all at once first (the disk serves them in parallel
    // instead of one fault after another).
    std::vector<int> candidates;
    for (const std::vector<ScoredRow> &rows : perThread)
        for (const ScoredRow &c : rows)
            if (const int r = c.row < m_rows ? m_listRows[c.row] : c.row; unsigned(r) < unsigned(s.rows()))   // a damaged file indexes nothing out of range
                candidates.push_back(r);
    if (s.origin() != VectorSnapshot::Origin::InMemory)
        willNeedRows(s.vectors(), std::size_t(m_dim) * sizeof(float), candidates.data(), candidates.size());
    TopHeap best;
    for (int r : candidates)
        offer(best, std::size_t(k), {r, faiss::fvec_inner_product(query.data(), s.row(r).data(), std::size_t(m_dim))});
    return drainBestFirst(best);
}

}  // namespace cospace
