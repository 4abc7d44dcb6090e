// PCA and the high-dimensional orthogonal Procrustes: the projection engine's only LibTorch file
// (each Torch translation unit costs ~1 GiB and tens of seconds to compile, so keep it to one).

#include "core/projection/alignment.h"
#include "core/base/torchmatrix_p.h"
#include "core/projection/pca.h"
#include "core/projection/projection.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <stdexcept>

namespace cospace {
namespace {

constexpr int kOversample = 10;       // Halko et al. 2011 §4.2: p = 5..10 extra columns
constexpr int kPowerIterations = 2;   // §4.5: q = 1..2 suffices for decaying spectra
// Above this many values (N x D) one power iteration: each costs two passes over the data, which at
// 1M x 512 is a second of the "PCA of 1M x 512 in 5 s" budget; two map axes of a decaying spectrum
// need no more (tst_projection checks the planted directions on both paths).
constexpr int64_t kLargeInput = 50'000'000;

using detail::toMatrix;
torch::Tensor view(const Matrix &m) { return detail::viewOf(m); }

// Exact: eigenvectors of the D x D covariance (cheap when D or N is small). Returns (V: D x k, var: k).
std::pair<torch::Tensor, torch::Tensor> exactDirections(const torch::Tensor &xc, int k)
{
    const torch::Tensor cov = xc.t().mm(xc).to(torch::kDouble) / double(std::max<int64_t>(xc.size(0) - 1, 1));
    auto [evals, evecs] = torch::linalg_eigh(cov, "L");   // ascending
    const torch::Tensor idx = torch::arange(cov.size(0) - 1, cov.size(0) - 1 - k, -1, torch::kLong);
    return {evecs.index_select(1, idx).to(torch::kFloat), evals.index_select(0, idx).to(torch::kFloat)};
}

// Randomized range finder with power iterations; centring is folded into the products
// (X - 1 mu^T) M = X M - 1 (mu^T M) so the N x D centred copy is never made.
std::pair<torch::Tensor, torch::Tensor> randomizedDirections(const torch::Tensor &x, const torch::Tensor &mu,
                                                             int k, std::uint64_t seed)
{
    const int64_t n = x.size(0), d = x.size(1), l = std::min<int64_t>(k + kOversample, d);
    auto gen = at::detail::createCPUGenerator(seed);
    const torch::Tensor row = mu.unsqueeze(0);               // 1 x D
    auto timesCentred = [&](const torch::Tensor &m) { return x.mm(m) - row.mm(m); };              // N x l
    auto centredT = [&](const torch::Tensor &q) { return x.t().mm(q) - row.t().mm(q.sum(0, true)); };  // D x l
    torch::Tensor q = std::get<0>(torch::linalg_qr(timesCentred(torch::randn({d, l}, gen, torch::kFloat))));
    const int iterations = n * d >= kLargeInput ? 1 : kPowerIterations;
    for (int i = 0; i < iterations; ++i) {
        const torch::Tensor z = std::get<0>(torch::linalg_qr(centredT(q)));
        q = std::get<0>(torch::linalg_qr(timesCentred(z)));
    }
    const torch::Tensor b = centredT(q).t();                 // l x D = Q^T Xc
    auto [u, s, vh] = torch::linalg_svd(b.to(torch::kDouble), false);
    (void)u;
    const torch::Tensor var = s.slice(0, 0, k).pow(2) / double(std::max<int64_t>(n - 1, 1));
    return {vh.slice(0, 0, k).t().to(torch::kFloat), var.to(torch::kFloat)};
}

}  // namespace

PcaResult pca(const Matrix &vectors, int components, std::uint64_t seed)
{
    validateProjectionInput(vectors);
    if (components < 1 || components > vectors.cols)
        throw std::runtime_error("pca: components must be between 1 and the vector dimension");
    torch::NoGradGuard noGrad;
    const torch::Tensor x = view(vectors);
    const torch::Tensor mu = x.mean(0);
    torch::Tensor v, var;
    if (vectors.cols <= 64 || vectors.rows <= 2000)
        std::tie(v, var) = exactDirections(x - mu, components);
    else
        std::tie(v, var) = randomizedDirections(x, mu, components, seed);
    // Sign convention: the largest-magnitude loading of each direction is positive.
    const torch::Tensor pivot = v.gather(0, v.abs().argmax(0, true));
    v = v * torch::where(pivot < 0, -1.f, 1.f);
    PcaResult r;
    r.projected = toMatrix(x.mm(v) - mu.unsqueeze(0).mm(v));
    r.components = toMatrix(v.t());
    r.mean.assign(mu.data_ptr<float>(), mu.data_ptr<float>() + vectors.cols);
    const torch::Tensor varc = var.contiguous();
    r.explainedVariance.assign(varc.data_ptr<float>(), varc.data_ptr<float>() + components);
    return r;
}

Matrix orthogonalProcrustes(const Matrix &a, const Matrix &b)
{
    validateProjectionInput(a, "first matrix");
    validateProjectionInput(b, "second matrix");
    if (a.rows != b.rows || a.cols != b.cols)
        throw std::runtime_error("orthogonalProcrustes: the two matrices must have the same shape");
    torch::NoGradGuard noGrad;
    const torch::Tensor m = view(a).t().to(torch::kDouble).mm(view(b).to(torch::kDouble));
    auto [u, s, vh] = torch::linalg_svd(m, false);
    (void)s;
    return toMatrix(u.mm(vh));
}

Matrix applyRotation(const Matrix &a, const Matrix &r)
{
    if (r.rows != a.cols || r.cols != a.cols)
        throw std::runtime_error("applyRotation: rotation must be D x D for D-column rows");
    torch::NoGradGuard noGrad;
    return toMatrix(view(a).mm(view(r)));
}

}  // namespace cospace
