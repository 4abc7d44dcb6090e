#pragma once
// Hubness correction for cross-modal retrieval: re-scores a query's cosines with every gallery item
// using a *query bank* (other queries of the same direction: the workspace's captions for text ->
// image, its images for image -> text), so that hubs — gallery items close to very many queries —
// stop winning every search.
//
//   CSLS (Conneau et al. 2018, "Word translation without parallel data", eq. 6):
//       csls(q, g) = 2 cos(q, g) - r_T(q) - r_S(g)
//       r_T(q) = mean cosine of q with its k nearest gallery items
//       r_S(g) = mean cosine of g with its k nearest bank queries          (k = 10 in the paper)
//   QB-Norm with dynamic inverted softmax (Bogolin et al. 2022, "Cross modal retrieval with
//   querybank normalisation", eq. 3 and 5; their reference code's defaults beta = 20, k = 1):
//       A = gallery items that are the top-1 of some bank query (the activation set)
//       if the query's raw top-1 is in A:  score(q, g) = exp(beta cos(q, g)) / sum_b exp(beta cos(b, g))
//       else                               score(q, g) = cos(q, g)
//     Scores are ranked per query, so the normalised branch is kept in the log domain here:
//     beta cos(q, g) - log sum_b exp(beta cos(b, g)) (same order, no overflow).
//
// A HubnessCorrection is built once per (gallery, bank) — O(|bank| x |gallery|) dot products, in
// blocks — and is then read-only: rescore() may run on several threads at once. Inputs are unit
// rows. Errors (dimension mismatch, empty bank for a correcting method) throw std::invalid_argument.

#include "core/base/matrix.h"
#include "core/base/names.h"

#include <span>
#include <vector>

namespace cospace {

class JobControl;

enum class Rerank { None, Csls, QbNorm };
inline constexpr EnumNames<Rerank, 4> kRerankNames{{{{Rerank::None, "none"},
                                                     {Rerank::Csls, "csls"},
                                                     {Rerank::QbNorm, "qbnorm"},
                                                     {Rerank::QbNorm, "qb-norm"}}}};

inline constexpr int kCslsNeighbours = 10;     // Conneau et al. 2018, section 2.3: K = 10
inline constexpr double kQbNormBeta = 20.0;    // Bogolin et al. 2022, reference implementation
inline constexpr int kQbNormActivationK = 1;   // ... top-1 of each bank query forms the activation set

struct RerankParams {
    Rerank method = Rerank::None;
    int cslsK = kCslsNeighbours;
    double qbBeta = kQbNormBeta;
    int qbActivationK = kQbNormActivationK;
};

class HubnessCorrection
{
public:
    // `gallery`: G x D unit rows (what is ranked); `bank`: B x D unit rows (queries like the ones
    // that will be asked). With Rerank::None nothing is computed and rescore() changes nothing.
    HubnessCorrection(const Matrix &gallery, const Matrix &bank, const RerankParams &params,
                      JobControl *job = nullptr);

    const RerankParams &params() const { return m_params; }
    int gallerySize() const { return m_gallerySize; }
    // Per gallery item: CSLS r_S(g), or QB-Norm's log sum_b exp(beta cos(b, g)); empty for None.
    const std::vector<float> &galleryTerm() const { return m_term; }
    // QB-Norm: whether gallery item g is in the activation set.
    bool activated(int g) const { return !m_active.empty() && m_active[std::size_t(g)]; }

    // Replaces one query's raw cosines with every gallery item (gallerySize() values, gallery order)
    // by the corrected scores. Higher is better in both.
    void rescore(std::span<float> cosines) const;
    // The same for `rows` queries laid end to end (rows x gallerySize()).
    void rescoreRows(float *scores, int rows) const;

private:
    RerankParams m_params;
    int m_gallerySize = 0;
    std::vector<float> m_term;
    std::vector<char> m_active;
};

// The full CSLS matrix (queries x gallery) straight from the formula above, with `bank` as the
// source side of r_S: for tests and small inputs.
Matrix cslsMatrix(const Matrix &queries, const Matrix &gallery, const Matrix &bank, int k);

// One search with the correction applied over the whole gallery: the k best rows, best first.
struct RerankedRow {
    int row = 0;
    float score = 0;    // corrected score
    float cosine = 0;   // raw cosine
};
std::vector<RerankedRow> rerankedTop(const Matrix &gallery, std::span<const float> query,
                                     const HubnessCorrection &correction, int k);

// Hubness, made visible: how often each gallery item is among the k best of the queries
// (k-occurrence, Radovanovic et al. 2010), after the correction when one is given.
std::vector<int> kOccurrence(const Matrix &gallery, const Matrix &queries, int k,
                             const HubnessCorrection *correction = nullptr, JobControl *job = nullptr);
// Skewness of a k-occurrence distribution (0 for a symmetric one; hubs make it large and positive).
double skewness(const std::vector<int> &counts);

}  // namespace cospace
