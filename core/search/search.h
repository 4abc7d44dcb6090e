#pragma once
// Cross-modal search over the vectors of one model and one modality in the store.
//
// SearchIndex: exact FAISS IndexFlatIP up to `exactLimit` vectors (default 200,000); above, a
// QuantizedScan (int8 codes scanned on all threads, candidates re-ranked exactly; recall@10 1.0 in
// bench/search); over an IvfIndex (search/ivfindex.h, what callers with a snapshot of more than
// `ivfLimit` vectors use once it is built); HNSW (inner product) on request. bench/search measures each one's recall@10 against exact. Scores are cosines (all
// stored vectors are unit length). Each hit also gets a calibrated percentile: where its cosine falls
// among the cosines of the same query with a fixed null set — up to 1000 items of the searched
// set drawn with a fixed seed (random images for a query into images, random captions for a query
// into captions) — so 99.9 means "better than almost any random item", 50 "an ordinary one".
//
// Prompts: "beach -people", "0.7 red car + 0.3 night". Terms are separated by a standalone "+" or
// "-" or by a word starting with "-"; a leading number is the term's weight (default 1, negated
// after "-"). The query is the weighted sum of the terms' unit embeddings, renormalised.
//
// A built SearchIndex is read-only: search() may be called from several threads at once.
// Errors (empty prompt, dimension mismatch, weights summing to a zero vector) throw std::runtime_error.

#include "core/model/embeddingmodel.h"
#include "core/store/embeddingstore.h"
#include "core/store/vectorsnapshot.h"

#include <QList>
#include <QString>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace faiss { struct Index; }

namespace cospace {

class IvfIndex;
class QuantizedScan;

struct PromptTerm {
    QString text;
    float weight = 1.f;
    bool operator==(const PromptTerm &o) const { return text == o.text && weight == o.weight; }
};
QList<PromptTerm> parsePrompt(const QString &prompt);
// The unit query vector of a prompt (runs the text tower once for all terms).
std::vector<float> encodePrompt(EmbeddingModel &model, const QString &prompt);
// Weighted sum of unit rows of `termVectors`, renormalised.
std::vector<float> combineTerms(const Matrix &termVectors, const std::vector<float> &weights);

enum class IndexKind { Auto, Flat, Quantized, Hnsw, Ivf };

struct SearchIndexParams {
    IndexKind kind = IndexKind::Auto;
    qint64 exactLimit = 200'000;   // Auto: Flat up to this many vectors, Quantized above
    qint64 ivfLimit = 2'000'000;   // callers with a snapshot: an IVF index (ivfindex.h) above this many
    int probes = 0;                // Ivf: lists scanned per query (0: the index's calibrated default)
    int hnswM = 32;
    int hnswEfConstruction = 64;
    int hnswEfSearch = 128;
    int nullSetSize = 1000;
    unsigned nullSeed = 20261127;
};

struct SearchHit {
    int rank = 0;          // 1-based
    StoredItem item;
    float score = 0;       // cosine
    double percentile = 0; // 0..100 against the null set
    qint64 row = -1;       // the item's row in the searched set (its snapshot's, or the StoredSet's)
};

// Completes hits of a snapshot index (id only) with their items' paths and captions from the store.
void fillHitItems(QList<SearchHit> &hits, const EmbeddingStore &store);


class SearchIndex
{
public:
    // Takes the vectors (they move into FAISS; set.vectors is left empty).
    explicit SearchIndex(StoredSet set, const SearchIndexParams &params = {});
    // Over a store's mapped snapshot: the int8 scan reads its rows and codes in place (nothing is
    // loaded or coded); Flat and HNSW copy the rows into FAISS. Hits carry the item's id and
    // modality only — fillHitItems() completes them from the store — and items() is empty.
    explicit SearchIndex(std::shared_ptr<const VectorSnapshot> snapshot, const SearchIndexParams &params = {});
    // Over an IVF index of a snapshot (kind Ivf; hits as for a snapshot index).
    explicit SearchIndex(std::shared_ptr<const IvfIndex> ivf, const SearchIndexParams &params = {});
    ~SearchIndex();
    SearchIndex(const SearchIndex &) = delete;
    SearchIndex &operator=(const SearchIndex &) = delete;

    IndexKind kind() const { return m_kind; }
    bool exact() const { return m_kind == IndexKind::Flat; }
    QString kindName() const;   // "exact IndexFlatIP", "int8 scan + exact re-rank", "HNSW", "IVF ..."
    qint64 size() const { return m_size; }
    int dim() const { return m_dim; }
    const QList<StoredItem> &items() const { return m_items; }
    // Row `row`'s item (id and modality only for a snapshot index).
    StoredItem item(qint64 row) const;

    // The k best items for a unit query vector of dim() values, best first.
    QList<SearchHit> search(std::span<const float> query, int k) const;
    // search() for every row of `queries`; an exact index over a snapshot scans it once for all.
    QList<QList<SearchHit>> searchBatch(const Matrix &queries, int k) const;
    // Percentile (0..100) of `score` among the query's cosines with the null set.
    double percentile(std::span<const float> query, float score) const;

private:
    QList<SearchHit> hitsOf(std::span<const float> query, const float *scores, const std::int64_t *labels, int k) const;

    QList<StoredItem> m_items;
    std::shared_ptr<const VectorSnapshot> m_snapshot;
    qint64 m_size = 0;
    std::unique_ptr<faiss::Index> m_index;            // Flat, Hnsw
    std::unique_ptr<QuantizedScan> m_quantized;       // Quantized
    std::shared_ptr<const IvfIndex> m_ivf;            // Ivf
    int m_probes = 0;
    Matrix m_null;
    int m_dim = 0;
    IndexKind m_kind = IndexKind::Flat;
};

}  // namespace cospace
