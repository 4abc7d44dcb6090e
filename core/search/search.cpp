#include "core/search/search.h"

#include "core/base/pagecache.h"
#include "core/search/ivfindex.h"
#include "core/search/quantizedscan.h"

#include <faiss/IndexFlat.h>
#include <faiss/utils/distances.h>
#include <faiss/IndexHNSW.h>

#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace cospace {

namespace {

bool isNumber(const QString &word, float *value)
{
    bool ok = false;
    const float v = word.toFloat(&ok);
    if (ok && std::isfinite(v))
        *value = v;
    return ok && std::isfinite(v);
}

std::vector<float> sortedNullScores(const Matrix &null, std::span<const float> query)
{
    std::vector<float> scores(std::size_t(null.rows));
    for (int i = 0; i < null.rows; ++i)
        scores[std::size_t(i)] = std::inner_product(query.begin(), query.end(), null.row(i), 0.f);
    std::sort(scores.begin(), scores.end());
    return scores;
}

// Percentage of null scores strictly below `score`, ties counted half (a mid-rank percentile).
double percentileOf(const std::vector<float> &nullScores, float score)
{
    if (nullScores.empty())
        return 0;
    const auto lo = std::lower_bound(nullScores.begin(), nullScores.end(), score);
    const auto hi = std::upper_bound(lo, nullScores.end(), score);
    const double below = double(lo - nullScores.begin()) + 0.5 * double(hi - lo);
    return 100.0 * below / double(nullScores.size());
}

}  // namespace

QList<PromptTerm> parsePrompt(const QString &prompt)
{
    static const QRegularExpression space(u"\\s+"_qs);
    QList<PromptTerm> terms;
    PromptTerm current;
    float sign = 1.f;
    bool weighted = false;
    auto close = [&] {
        if (!current.text.isEmpty()) {
            current.weight *= sign;
            terms.append(current);
        }
        current = {};
        sign = 1.f;
        weighted = false;
    };
    for (QString word : prompt.split(space, Qt::SkipEmptyParts)) {
        if (word == u"+" || word == u"-") {
            close();
            sign = word == u"-" ? -1.f : 1.f;
            continue;
        }
        if (word.startsWith(u'-') && word.size() > 1) {   // "-people", "-0.5"
            close();
            sign = -1.f;
            word = word.mid(1);
        }
        float value = 0;
        if (current.text.isEmpty() && !weighted && isNumber(word, &value)) {
            current.weight = value;
            weighted = true;
            continue;
        }
        current.text += current.text.isEmpty() ? word : u' ' + word;
    }
    close();
    if (terms.isEmpty())
        throw std::runtime_error(u"empty query: '%1'"_qs.arg(prompt).toStdString());
    return terms;
}

std::vector<float> combineTerms(const Matrix &termVectors, const std::vector<float> &weights)
{
    std::vector<float> q(std::size_t(termVectors.cols), 0.f);
    for (int t = 0; t < termVectors.rows; ++t)
        for (int j = 0; j < termVectors.cols; ++j)
            q[std::size_t(j)] += weights[std::size_t(t)] * termVectors.at(t, j);
    double norm = 0;
    for (float v : q)
        norm += double(v) * double(v);
    norm = std::sqrt(norm);
    if (norm < 1e-12)
        throw std::runtime_error("the weighted query terms cancel out: nothing to search for");
    for (float &v : q)
        v = float(double(v) / norm);
    return q;
}

std::vector<float> encodePrompt(EmbeddingModel &model, const QString &prompt)
{
    const QList<PromptTerm> terms = parsePrompt(prompt);
    QStringList texts;
    std::vector<float> weights;
    for (const PromptTerm &t : terms) {
        texts << t.text;
        weights.push_back(t.weight);
    }
    return combineTerms(model.encodeTexts(texts), weights);
}

namespace {

IndexKind resolvedKind(const SearchIndexParams &params, qint64 rows)
{
    if (params.kind != IndexKind::Auto)
        return params.kind;
    return rows <= params.exactLimit ? IndexKind::Flat : IndexKind::Quantized;
}

std::unique_ptr<faiss::Index> makeFaissIndex(IndexKind kind, int dim, const SearchIndexParams &params)
{
    if (kind == IndexKind::Hnsw) {
        auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(dim, params.hnswM, faiss::METRIC_INNER_PRODUCT);
        hnsw->hnsw.efConstruction = params.hnswEfConstruction;
        hnsw->hnsw.efSearch = params.hnswEfSearch;
        return hnsw;
    }
    if (kind == IndexKind::Flat)
        return std::make_unique<faiss::IndexFlatIP>(dim);
    return nullptr;
}

// The null set: a fixed-seed sample of the searched rows (partial Fisher-Yates).
Matrix nullSample(const float *rows, int n, int dim, const SearchIndexParams &params)
{
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 rng(params.nullSeed);
    const int size = std::min(params.nullSetSize, n);
    for (int i = 0; i < size; ++i) {
        std::uniform_int_distribution<int> pick(i, n - 1);
        std::swap(order[std::size_t(i)], order[std::size_t(pick(rng))]);
    }
    willNeedRows(rows, std::size_t(dim) * sizeof(float), order.data(), std::size_t(size));   // mapped rows: read in parallel
    Matrix null(size, dim);
    for (int i = 0; i < size; ++i) {
        const float *r = rows + std::size_t(order[std::size_t(i)]) * std::size_t(dim);
        std::copy(r, r + dim, null.row(i));
    }
    return null;
}

}  // namespace

SearchIndex::SearchIndex(StoredSet set, const SearchIndexParams &params)
    : m_items(std::move(set.items)), m_size(m_items.size()), m_dim(set.vectors.cols)
{
    const Matrix &x = set.vectors;
    if (x.rows != m_items.size())
        throw std::runtime_error("SearchIndex: items and vectors differ in number");
    m_kind = resolvedKind(params, x.rows);
    m_index = makeFaissIndex(m_kind, m_dim, params);
    m_null = nullSample(x.data.data(), x.rows, m_dim, params);
    if (m_kind == IndexKind::Quantized)
        m_quantized = std::make_unique<QuantizedScan>(std::move(set.vectors));
    else if (x.rows > 0)
        m_index->add(x.rows, x.data.data());
    set.vectors = {};
}

SearchIndex::SearchIndex(std::shared_ptr<const VectorSnapshot> snapshot, const SearchIndexParams &params)
    : m_snapshot(std::move(snapshot)), m_size(m_snapshot->rows()), m_dim(m_snapshot->dim())
{
    const VectorSnapshot &s = *m_snapshot;
    m_kind = resolvedKind(params, s.rows());
    m_null = nullSample(s.vectors(), s.rows(), m_dim, params);
    if (m_kind == IndexKind::Quantized) {
        m_quantized = std::make_unique<QuantizedScan>(QuantizedRows{s.rows(), s.dim(), s.codeStride(), s.vectors(),
                                                                    s.codes(), s.scales(), s.keepAlive()});
    } else if (m_kind == IndexKind::Hnsw) {
        m_index = makeFaissIndex(m_kind, m_dim, params);
        if (s.rows() > 0)
            m_index->add(s.rows(), s.vectors());
    }
    // Flat: search() scans the mapped rows with FAISS's kernel (no copy into an IndexFlatIP).
}

SearchIndex::SearchIndex(std::shared_ptr<const IvfIndex> ivf, const SearchIndexParams &params)
    : m_snapshot(ivf->sharedSnapshot()), m_size(m_snapshot->rows()), m_dim(m_snapshot->dim()),
      m_kind(IndexKind::Ivf)
{
    m_ivf = std::move(ivf);
    m_probes = params.probes > 0 ? std::min(params.probes, m_ivf->lists()) : m_ivf->defaultProbes();
    m_null = nullSample(m_snapshot->vectors(), int(m_size), m_dim, params);
}

StoredItem SearchIndex::item(qint64 row) const
{
    if (!m_snapshot)
        return m_items[row];
    StoredItem only;
    only.id = m_snapshot->itemIds()[row];
    only.modality = m_snapshot->modality();
    return only;
}

SearchIndex::~SearchIndex() = default;

void fillHitItems(QList<SearchHit> &hits, const EmbeddingStore &store)
{
    QList<qint64> ids;
    for (const SearchHit &h : hits)
        ids.append(h.item.id);
    const QHash<qint64, StoredItem> items = store.itemsById(ids);
    for (SearchHit &h : hits)
        if (const auto it = items.find(h.item.id); it != items.end())
            h.item = *it;
}

QString SearchIndex::kindName() const
{
    switch (m_kind) {
    case IndexKind::Quantized: return u"int8 scan + exact re-rank"_qs;
    case IndexKind::Hnsw: return u"HNSW"_qs;
    case IndexKind::Ivf:
        return u"IVF %1 lists, %2 probes, int8 + exact re-rank"_qs.arg(m_ivf->lists()).arg(m_probes);
    default: return u"exact IndexFlatIP"_qs;
    }
}

QList<SearchHit> SearchIndex::search(std::span<const float> query, int k) const
{
    if (int(query.size()) != m_dim)
        throw std::runtime_error(u"query has %1 dimensions, the index %2"_qs.arg(query.size()).arg(m_dim).toStdString());
    k = int(std::min<qint64>(k, m_size));
    if (k <= 0)
        return {};
    std::vector<float> scores(static_cast<std::size_t>(k));
    std::vector<faiss::Index::idx_t> labels(static_cast<std::size_t>(k), -1);
    if (m_quantized || m_ivf) {
        const std::vector<ScoredRow> rows = m_ivf ? m_ivf->search(query, k, m_probes) : m_quantized->search(query, k);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            labels[i] = rows[i].row;
            scores[i] = rows[i].score;
        }
    } else if (m_index) {
        m_index->search(1, query.data(), k, scores.data(), labels.data());
    } else {   // Flat over a snapshot: what IndexFlatIP::search runs, on the mapped rows
        faiss::knn_inner_product(query.data(), m_snapshot->vectors(), std::size_t(m_dim), 1, std::size_t(m_size),
                                 std::size_t(k), scores.data(), labels.data());
    }
    return hitsOf(query, scores.data(), labels.data(), k);
}

QList<SearchHit> SearchIndex::hitsOf(std::span<const float> query, const float *scores, const std::int64_t *labels, int k) const
{
    QList<SearchHit> hits;
    const std::vector<float> null = sortedNullScores(m_null, query);
    for (int i = 0; i < k; ++i) {
        if (labels[i] < 0)
            break;
        hits.append({int(hits.size()) + 1, item(labels[i]), scores[i], percentileOf(null, scores[i]), labels[i]});
    }
    return hits;
}

QList<QList<SearchHit>> SearchIndex::searchBatch(const Matrix &queries, int k) const
{
    QList<QList<SearchHit>> out;
    k = int(std::min<qint64>(k, m_size));
    if (m_kind != IndexKind::Flat || !m_snapshot || k <= 0 || queries.cols != m_dim) {
        for (int i = 0; i < queries.rows; ++i)
            out.append(search(queries.rowSpan(i), k));
        return out;
    }
    std::vector<float> scores(std::size_t(queries.rows) * std::size_t(k));
    std::vector<faiss::Index::idx_t> labels(scores.size(), -1);
    faiss::knn_inner_product(queries.data.data(), m_snapshot->vectors(), std::size_t(m_dim), std::size_t(queries.rows),
                             std::size_t(m_size), std::size_t(k), scores.data(), labels.data());
    for (int i = 0; i < queries.rows; ++i)
        out.append(hitsOf(queries.rowSpan(i), scores.data() + std::size_t(i) * k, labels.data() + std::size_t(i) * k, k));
    return out;
}

double SearchIndex::percentile(std::span<const float> query, float score) const
{
    return percentileOf(sortedNullScores(m_null, query), score);
}

}  // namespace cospace
