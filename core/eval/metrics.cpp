#include "core/eval/metrics.h"

#include "core/base/job.h"
#include "core/base/kmeans.h"
#include "core/base/rng.h"
#include "core/base/torchmatrix_p.h"

#include <torch/torch.h>

#include <QHash>

#include <algorithm>
#include <map>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace cospace {

namespace {

constexpr int64_t kBlock = 1024;            // query rows per similarity block
constexpr int kUniformitySample = 4096;

void check(MatrixView images, const Matrix &captions, const std::vector<int> &captionImage)
{
    if (images.cols != captions.cols)
        throw std::invalid_argument("image and caption embeddings differ in dimension");
    if (int(captionImage.size()) != captions.rows)
        throw std::invalid_argument("one image index per caption is required");
    for (int i : captionImage)
        if (i < 0 || i >= images.rows)
            throw std::invalid_argument("a caption names an image index out of range");
}

double uniformityOf(const Matrix &m)
{
    if (m.rows < 2)
        return 0;
    torch::Tensor x = detail::viewOf(m);
    if (m.rows > kUniformitySample)
        x = x.index_select(0, torch::linspace(0, m.rows - 1, kUniformitySample).to(torch::kInt64));
    const int64_t n = x.size(0);
    double sum = 0;
    for (int64_t start = 0; start < n; start += kBlock) {
        const torch::Tensor block = x.slice(0, start, std::min(n, start + kBlock));
        const torch::Tensor sq = (2 - 2 * block.matmul(x.t())).clamp_min(0);   // ||a - b||^2 for unit vectors
        sum += torch::exp(-2 * sq).sum().item<double>();
    }
    sum -= double(n);   // drop the diagonal (exp(0) = 1 each)
    return std::log(sum / double(n * (n - 1)));
}

}  // namespace

QJsonObject RankSummary::toJson() const
{
    return {{u"R@1"_qs, r1}, {u"R@5"_qs, r5}, {u"R@10"_qs, r10}, {u"median_rank"_qs, medianRank},
            {u"mean_rank"_qs, meanRank}};
}

QJsonObject RetrievalMetrics::toJson() const
{
    return {{u"n_images"_qs, nImages}, {u"n_captions"_qs, nCaptions}, {u"i2t"_qs, i2t.toJson()},
            {u"t2i"_qs, t2i.toJson()}, {u"rsum"_qs, rsum}, {u"alignment"_qs, alignment},
            {u"uniformity"_qs, uniformity}, {u"modality_gap"_qs, modalityGap},
            {u"cos_matched"_qs, cosMatched}, {u"cos_random"_qs, cosRandom}};
}

std::vector<int> textIds(const QStringList &texts)
{
    QHash<QString, int> ids;
    std::vector<int> out;
    out.reserve(std::size_t(texts.size()));
    for (const QString &t : texts) {
        // Not QHash::emplace: in Qt 6 it overwrites the value of an existing key.
        auto it = ids.constFind(t);
        if (it == ids.constEnd())
            it = ids.insert(t, int(ids.size()));
        out.push_back(*it);
    }
    return out;
}

namespace {

// Which images each caption is correct for, and which captions each image: a caption is correct
// for the images of every caption with the same text.
struct Correctness {
    std::vector<std::vector<int>> imagesOfCaption;   // per caption, sorted, distinct
    std::vector<std::vector<int>> captionsOfImage;   // per image, sorted, distinct
};

Correctness correctness(int nImages, const std::vector<int> &captionImage, const std::vector<int> &captionText)
{
    const int n = int(captionImage.size());
    if (!captionText.empty() && int(captionText.size()) != n)
        throw std::invalid_argument("one text id per caption is required");
    std::vector<int> text(captionText);
    if (text.empty()) {
        text.resize(std::size_t(n));
        std::iota(text.begin(), text.end(), 0);
    }
    std::map<int, std::vector<int>> captionsOfText;
    for (int c = 0; c < n; ++c)
        captionsOfText[text[std::size_t(c)]].push_back(c);
    Correctness k;
    k.imagesOfCaption.resize(std::size_t(n));
    k.captionsOfImage.resize(std::size_t(nImages));
    for (const auto &[id, group] : captionsOfText) {
        (void)id;
        std::vector<int> imgs;
        for (int c : group)
            imgs.push_back(captionImage[std::size_t(c)]);
        std::sort(imgs.begin(), imgs.end());
        imgs.erase(std::unique(imgs.begin(), imgs.end()), imgs.end());
        for (int c : group)
            k.imagesOfCaption[std::size_t(c)] = imgs;
        for (int i : imgs)
            k.captionsOfImage[std::size_t(i)].insert(k.captionsOfImage[std::size_t(i)].end(), group.begin(), group.end());
    }
    for (std::vector<int> &caps : k.captionsOfImage) {
        std::sort(caps.begin(), caps.end());
        caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
    }
    return k;
}

// Ranks of `queries` rows against `targets` rows: 1 + the number of wrong targets scoring at least as
// high as the best correct one (pessimistic ties); 0 for a query with no correct target.
std::vector<int> ranksAgainst(const torch::Tensor &queries, const torch::Tensor &targets,
                              const std::vector<std::vector<int>> &correct, const ScoreAdjust &adjust = {},
                              JobControl *job = nullptr)
{
    const int64_t nq = queries.size(0), nt = targets.size(0);
    std::vector<int> ranks(std::size_t(nq), 0);
    if (job)
        job->setTotal(nq);
    for (int64_t start = 0; start < nq; start += kBlock) {
        if (job && job->cancelled())
            throw JobCancelled{};
        const int64_t end = std::min<int64_t>(nq, start + kBlock);
        torch::Tensor sim = queries.slice(0, start, end).matmul(targets.t()).contiguous();   // [b, T]
        if (adjust)
            adjust(sim.data_ptr<float>(), int(end - start), int(nt));
        // Per row: the best correct score, then how many wrong targets reach it (all that do, less the
        // correct ones that do). A plain loop over the row: the boolean masks this once used cost more
        // than the product (a 1024 x 100k block is 100 MB of mask).
        const float *rows = sim.data_ptr<float>();
        at::parallel_for(start, end, 16, [&](int64_t from, int64_t to) {
            for (int64_t q = from; q < to; ++q) {
                const std::vector<int> &mine = correct[std::size_t(q)];
                if (mine.empty())
                    continue;
                const float *row = rows + (q - start) * nt;
                float best = -1e30f;
                for (int t : mine)
                    best = std::max(best, row[t]);
                int64_t reach = 0;
                for (int64_t t = 0; t < nt; ++t)
                    reach += row[t] >= best;
                for (int t : mine)
                    reach -= row[t] >= best;
                ranks[std::size_t(q)] = int(reach) + 1;
            }
        });
        if (job)
            job->advance(end - start);
    }
    return ranks;
}

}  // namespace

std::vector<int> textToImageRanks(MatrixView images, const Matrix &captions, const std::vector<int> &captionImage,
                                  const std::vector<int> &captionText, JobControl *job)
{
    check(images, captions, captionImage);
    torch::NoGradGuard noGrad;
    const Correctness k = correctness(images.rows, captionImage, captionText);
    return ranksAgainst(detail::viewOf(captions), detail::viewOf(images), k.imagesOfCaption, {}, job);
}

std::vector<char> rankedFirst(MatrixView images, const Matrix &captions, const std::vector<int> &captionImage,
                              const std::vector<int> &captionText, JobControl *job, double exactPairs)
{
    check(images, captions, captionImage);
    std::vector<char> first(std::size_t(captions.rows), 0);
    if (double(captions.rows) * double(images.rows) <= exactPairs) {
        const std::vector<int> ranks = textToImageRanks(images, captions, captionImage, captionText, job);
        for (std::size_t c = 0; c < ranks.size(); ++c)
            first[c] = ranks[c] == 1;
        return first;
    }
    torch::NoGradGuard noGrad;
    const Correctness k = correctness(images.rows, captionImage, captionText);
    const torch::Tensor img = detail::viewOf(images), cap = detail::viewOf(captions);
    // The best score of each caption's own images.
    std::vector<float> own(std::size_t(captions.rows));
    for (int c = 0; c < captions.rows; ++c) {
        float best = -1e30f;
        for (int i : k.imagesOfCaption[std::size_t(c)])
            best = std::max(best, std::inner_product(captions.row(c), captions.row(c) + captions.cols, images.row(i), 0.f));
        own[std::size_t(c)] = best;
    }
    // Clusters of the images, each image's nearest centroid, each caption's kPairProbes nearest.
    const int clusters = std::clamp(int(std::sqrt(double(images.rows))), 1, images.rows);
    Rng rng(0x9E3779B97F4A7C15ull);
    const Matrix centroids = sampledSphericalKmeans(images, clusters, rng, at::get_num_threads());
    const torch::Tensor cen = detail::viewOf(centroids);
    std::vector<std::vector<int64_t>> members(static_cast<std::size_t>(clusters)), probing(static_cast<std::size_t>(clusters));
    for (int64_t start = 0; start < images.rows; start += kBlock * 16) {
        const torch::Tensor nearest = img.slice(0, start, std::min<int64_t>(images.rows, start + kBlock * 16)).matmul(cen.t()).argmax(1);
        const auto a = nearest.accessor<int64_t, 1>();
        for (int64_t i = 0; i < a.size(0); ++i)
            members[std::size_t(a[i])].push_back(start + i);
    }
    const int probes = std::min(kPairProbes, clusters);
    for (int64_t start = 0; start < captions.rows; start += kBlock * 16) {
        const torch::Tensor top = std::get<1>(cap.slice(0, start, std::min<int64_t>(captions.rows, start + kBlock * 16)).matmul(cen.t()).topk(probes, 1));
        const auto a = top.accessor<int64_t, 2>();
        for (int64_t c = 0; c < a.size(0); ++c)
            for (int p = 0; p < probes; ++p)
                probing[std::size_t(a[c][p])].push_back(start + c);
    }
    // Cluster by cluster: any member not the caption's own that reaches its own score.
    std::vector<char> beaten(std::size_t(captions.rows), 0);
    if (job)
        job->setTotal(clusters);
    for (int cl = 0; cl < clusters; ++cl) {
        if (job && job->cancelled())
            throw JobCancelled{};
        const std::vector<int64_t> &m = members[std::size_t(cl)], &q = probing[std::size_t(cl)];
        if (!m.empty() && !q.empty()) {
            const torch::Tensor sim = cap.index_select(0, torch::tensor(q)).matmul(img.index_select(0, torch::tensor(m)).t()).contiguous();
            const float *rows = sim.data_ptr<float>();
            const int64_t nm = int64_t(m.size());
            at::parallel_for(0, int64_t(q.size()), 16, [&](int64_t from, int64_t to) {
                for (int64_t r = from; r < to; ++r) {
                    const std::size_t c = std::size_t(q[std::size_t(r)]);
                    const std::vector<int> &mine = k.imagesOfCaption[c];
                    for (int64_t j = 0; j < nm && !beaten[c]; ++j)
                        if (rows[r * nm + j] >= own[c] && !std::binary_search(mine.begin(), mine.end(), int(m[std::size_t(j)])))
                            beaten[c] = 1;   // each caption probes a cluster once: one writer per c here
                }
            });
        }
        if (job)
            job->advance(1);
    }
    for (std::size_t c = 0; c < first.size(); ++c)
        first[c] = !k.imagesOfCaption[c].empty() && !beaten[c];
    return first;
}

std::vector<int> imageToTextRanks(const Matrix &images, const Matrix &captions, const std::vector<int> &captionImage,
                                  const std::vector<int> &captionText)
{
    check(images, captions, captionImage);
    torch::NoGradGuard noGrad;
    const Correctness k = correctness(images.rows, captionImage, captionText);
    std::vector<int> ranks = ranksAgainst(detail::viewOf(images), detail::viewOf(captions), k.captionsOfImage);
    // Images without captions have no i2t query.
    ranks.erase(std::remove(ranks.begin(), ranks.end(), 0), ranks.end());
    return ranks;
}

RankSummary summariseRanks(std::vector<int> ranks)
{
    RankSummary s;
    if (ranks.empty())
        return s;
    const double n = double(ranks.size());
    for (int r : ranks) {
        s.r1 += r <= 1;
        s.r5 += r <= 5;
        s.r10 += r <= 10;
        s.meanRank += r;
    }
    s.r1 /= n;
    s.r5 /= n;
    s.r10 /= n;
    s.meanRank /= n;
    std::sort(ranks.begin(), ranks.end());
    const std::size_t mid = ranks.size() / 2;
    s.medianRank = ranks.size() % 2 ? ranks[mid] : 0.5 * (ranks[mid - 1] + ranks[mid]);
    return s;
}

RetrievalMetrics computeRetrievalMetrics(const Matrix &images, const Matrix &captions,
                                         const std::vector<int> &captionImage, const std::vector<int> &captionText)
{
    return computeRetrievalMetrics(images, captions, captionImage, captionText, {}, {});
}

RetrievalMetrics computeRetrievalMetrics(const Matrix &images, const Matrix &captions,
                                         const std::vector<int> &captionImage, const std::vector<int> &captionText,
                                         const ScoreAdjust &i2tAdjust, const ScoreAdjust &t2iAdjust)
{
    check(images, captions, captionImage);
    RetrievalMetrics m;
    m.nImages = images.rows;
    m.nCaptions = captions.rows;
    {
        // The public rank functions each build the correctness sets; here both directions share one.
        torch::NoGradGuard noGrad;
        const Correctness k = correctness(images.rows, captionImage, captionText);
        const torch::Tensor img = detail::viewOf(images), cap = detail::viewOf(captions);
        std::vector<int> i2t = ranksAgainst(img, cap, k.captionsOfImage, i2tAdjust);
        i2t.erase(std::remove(i2t.begin(), i2t.end(), 0), i2t.end());   // images without captions
        m.i2t = summariseRanks(std::move(i2t));
        m.t2i = summariseRanks(ranksAgainst(cap, img, k.imagesOfCaption, t2iAdjust));
    }
    m.rsum = 100 * (m.i2t.r1 + m.i2t.r5 + m.i2t.r10 + m.t2i.r1 + m.t2i.r5 + m.t2i.r10);
    if (images.rows == 0 || captions.rows == 0)
        return m;

    torch::NoGradGuard noGrad;
    const torch::Tensor img = detail::viewOf(images), cap = detail::viewOf(captions);
    const torch::Tensor owner = torch::from_blob(const_cast<int *>(captionImage.data()),
                                                 {qsizetype(captionImage.size())}, torch::kInt32).to(torch::kInt64);
    const torch::Tensor matched = (cap * img.index_select(0, owner)).sum(1);         // cosine of each pair
    m.cosMatched = matched.mean().item<double>();
    m.alignment = (2 - 2 * matched).clamp_min(0).mean().item<double>();
    // Sum of all image-caption cosines is (sum of images) . (sum of captions).
    const double all = (img.sum(0) * cap.sum(0)).sum().item<double>();
    const double unmatchedCount = double(images.rows) * captions.rows - captions.rows;
    m.cosRandom = unmatchedCount > 0 ? (all - matched.sum().item<double>()) / unmatchedCount : 0;
    m.modalityGap = (img.mean(0) - cap.mean(0)).norm().item<double>();
    m.uniformity = 0.5 * (uniformityOf(images) + uniformityOf(captions));
    return m;
}

}  // namespace cospace
