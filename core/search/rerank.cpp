#include "core/search/rerank.h"

#include "core/base/job.h"
#include "core/base/torchmatrix_p.h"

#include <torch/torch.h>

#include <QString>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace cospace {

namespace {

constexpr int64_t kBlock = 1024;   // bank or query rows per similarity block

void checkDims(const Matrix &a, const Matrix &b, const char *what)
{
    if (a.rows > 0 && b.rows > 0 && a.cols != b.cols)
        throw std::invalid_argument(QStringLiteral("%1: %2 and %3 dimensions").arg(QLatin1String(what))
                                        .arg(a.cols).arg(b.cols).toStdString());
}

// Mean of the k largest values (k clamped to the count).
float meanTopK(std::span<const float> values, int k)
{
    if (values.empty())
        return 0.f;
    std::vector<float> v(values.begin(), values.end());
    const std::size_t kk = std::size_t(std::clamp<int>(k, 1, int(v.size())));
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(kk - 1), v.end(), std::greater<float>());
    double sum = 0;
    for (std::size_t i = 0; i < kk; ++i)
        sum += v[i];
    return float(sum / double(kk));
}

}  // namespace

HubnessCorrection::HubnessCorrection(const Matrix &gallery, const Matrix &bank, const RerankParams &params,
                                     JobControl *job)
    : m_params(params), m_gallerySize(gallery.rows)
{
    if (params.method == Rerank::None || gallery.rows == 0)
        return;
    checkDims(gallery, bank, "query bank and gallery differ in dimension");
    if (bank.rows == 0)
        throw std::invalid_argument("hubness correction needs a query bank: no queries to learn the hubs from");
    if (params.cslsK < 1 || params.qbActivationK < 1 || !(params.qbBeta > 0))
        throw std::invalid_argument("hubness correction: k and beta must be positive");
    torch::NoGradGuard noGrad;
    const torch::Tensor g = detail::viewOf(gallery);
    const torch::Tensor b = detail::viewOf(bank);
    const int64_t nb = b.size(0);
    const int64_t k = std::min<int64_t>(params.cslsK, nb);
    torch::Tensor best;   // CSLS: the k largest bank cosines per gallery item so far, [<= k, G]
    torch::Tensor lse;    // QB-Norm: log sum_b exp(beta cos(b, g)) so far, [G] (double: long sums)
    m_active.assign(std::size_t(gallery.rows), 0);
    if (job)
        job->setStage(QStringLiteral("hubness: %1 bank queries").arg(nb));
    for (int64_t start = 0; start < nb; start += kBlock) {
        if (job && job->cancelled())
            throw JobCancelled{};
        const torch::Tensor sim = b.slice(0, start, std::min(nb, start + kBlock)).matmul(g.t());   // [rows, G]
        if (params.method == Rerank::Csls) {
            const torch::Tensor both = best.defined() ? torch::cat({best, sim}, 0) : sim;
            best = std::get<0>(both.topk(std::min<int64_t>(k, both.size(0)), 0));
        } else {
            const torch::Tensor part = torch::logsumexp(sim.to(torch::kDouble) * params.qbBeta, 0);
            lse = lse.defined() ? torch::logaddexp(lse, part) : part;
            const torch::Tensor top = std::get<1>(sim.topk(std::min<int64_t>(params.qbActivationK, sim.size(1)), 1));
            const torch::Tensor flat = top.reshape({-1}).contiguous();
            const int64_t *idx = flat.data_ptr<int64_t>();
            for (int64_t i = 0; i < flat.numel(); ++i)
                m_active[std::size_t(idx[i])] = 1;
        }
    }
    const torch::Tensor term = (params.method == Rerank::Csls ? best.mean(0) : lse).to(torch::kFloat).contiguous();
    m_term.assign(term.data_ptr<float>(), term.data_ptr<float>() + term.numel());
    if (params.method == Rerank::Csls)
        m_active.clear();
}

void HubnessCorrection::rescore(std::span<float> cosines) const
{
    if (m_params.method == Rerank::None || m_term.empty())
        return;
    if (int(cosines.size()) != m_gallerySize)
        throw std::invalid_argument("rescore: one cosine per gallery item is required");
    if (m_params.method == Rerank::Csls) {
        const float rT = meanTopK(cosines, m_params.cslsK);
        for (std::size_t g = 0; g < cosines.size(); ++g)
            cosines[g] = 2.f * cosines[g] - rT - m_term[g];
        return;
    }
    // Dynamic inverted softmax: only queries whose raw top-1 is a bank query's top-1 are normalised.
    const std::size_t top = std::size_t(std::max_element(cosines.begin(), cosines.end()) - cosines.begin());
    if (!m_active[top])
        return;
    const float beta = float(m_params.qbBeta);
    for (std::size_t g = 0; g < cosines.size(); ++g)
        cosines[g] = beta * cosines[g] - m_term[g];
}

void HubnessCorrection::rescoreRows(float *scores, int rows) const
{
    if (m_params.method == Rerank::None)
        return;
#pragma omp parallel for schedule(static) if (rows > 8)
    for (int r = 0; r < rows; ++r)
        rescore({scores + std::size_t(r) * std::size_t(m_gallerySize), std::size_t(m_gallerySize)});
}

Matrix cslsMatrix(const Matrix &queries, const Matrix &gallery, const Matrix &bank, int k)
{
    checkDims(queries, gallery, "queries and gallery differ in dimension");
    checkDims(bank, gallery, "bank and gallery differ in dimension");
    auto cosine = [](const float *a, const float *b, int d) { return std::inner_product(a, a + d, b, 0.f); };
    std::vector<float> rS(std::size_t(gallery.rows));
    for (int g = 0; g < gallery.rows; ++g) {
        std::vector<float> s(std::size_t(bank.rows));
        for (int b = 0; b < bank.rows; ++b)
            s[std::size_t(b)] = cosine(bank.row(b), gallery.row(g), gallery.cols);
        rS[std::size_t(g)] = meanTopK(s, k);
    }
    Matrix out(queries.rows, gallery.rows);
    for (int q = 0; q < queries.rows; ++q) {
        std::vector<float> s(std::size_t(gallery.rows));
        for (int g = 0; g < gallery.rows; ++g)
            s[std::size_t(g)] = cosine(queries.row(q), gallery.row(g), gallery.cols);
        const float rT = meanTopK(s, k);
        for (int g = 0; g < gallery.rows; ++g)
            out.at(q, g) = 2.f * s[std::size_t(g)] - rT - rS[std::size_t(g)];
    }
    return out;
}

std::vector<RerankedRow> rerankedTop(const Matrix &gallery, std::span<const float> query,
                                     const HubnessCorrection &correction, int k)
{
    if (int(query.size()) != gallery.cols)
        throw std::invalid_argument("query and gallery differ in dimension");
    std::vector<float> cosines(std::size_t(gallery.rows));
    for (int g = 0; g < gallery.rows; ++g)
        cosines[std::size_t(g)] = std::inner_product(query.begin(), query.end(), gallery.row(g), 0.f);
    std::vector<float> scores = cosines;
    correction.rescore(scores);
    std::vector<int> order(std::size_t(gallery.rows));
    std::iota(order.begin(), order.end(), 0);
    const std::size_t kk = std::size_t(std::clamp(k, 0, gallery.rows));
    // Ties broken by the lower row, as FAISS does: the same order as the uncorrected search.
    std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(kk), order.end(), [&](int a, int b) {
        return scores[std::size_t(a)] != scores[std::size_t(b)] ? scores[std::size_t(a)] > scores[std::size_t(b)] : a < b;
    });
    std::vector<RerankedRow> out;
    for (std::size_t i = 0; i < kk; ++i)
        out.push_back({order[i], scores[std::size_t(order[i])], cosines[std::size_t(order[i])]});
    return out;
}

std::vector<int> kOccurrence(const Matrix &gallery, const Matrix &queries, int k,
                             const HubnessCorrection *correction, JobControl *job)
{
    checkDims(queries, gallery, "queries and gallery differ in dimension");
    std::vector<int> counts(std::size_t(gallery.rows), 0);
    if (gallery.rows == 0 || queries.rows == 0 || k < 1)
        return counts;
    torch::NoGradGuard noGrad;
    const torch::Tensor g = detail::viewOf(gallery), q = detail::viewOf(queries);
    const int64_t kk = std::min<int64_t>(k, gallery.rows);
    for (int64_t start = 0; start < q.size(0); start += kBlock) {
        if (job && job->cancelled())
            throw JobCancelled{};
        torch::Tensor sim = q.slice(0, start, std::min<int64_t>(q.size(0), start + kBlock)).matmul(g.t()).contiguous();
        if (correction)
            correction->rescoreRows(sim.data_ptr<float>(), int(sim.size(0)));
        const torch::Tensor top = std::get<1>(sim.topk(kk, 1)).reshape({-1}).contiguous();
        const int64_t *idx = top.data_ptr<int64_t>();
        for (int64_t i = 0; i < top.numel(); ++i)
            ++counts[std::size_t(idx[i])];
    }
    return counts;
}

double skewness(const std::vector<int> &counts)
{
    if (counts.size() < 2)
        return 0;
    const double n = double(counts.size());
    const double mean = std::accumulate(counts.begin(), counts.end(), 0.0) / n;
    double m2 = 0, m3 = 0;
    for (int c : counts) {
        const double d = c - mean;
        m2 += d * d;
        m3 += d * d * d;
    }
    m2 /= n;
    m3 /= n;
    return m2 > 0 ? m3 / std::pow(m2, 1.5) : 0;
}

}  // namespace cospace
