#include "core/train/probeanalysis.h"

#include "core/projection/alignment.h"
#include "core/train/runfolder.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <stdexcept>

namespace cospace {

namespace {

// Neighbouring points about one layout unit apart: a disc of N points of spacing 1 has an RMS radius
// of sqrt(N / 2pi) ~ 0.4 sqrt(N); the probe's two modality clusters are denser, so a little more.
constexpr double kLayoutRmsPerSqrtPoint = 0.6;

Matrix rowsOf(const Matrix &m, int first, int count)
{
    Matrix out(count, m.cols);
    std::copy(m.row(first), m.row(first) + std::size_t(count) * std::size_t(m.cols), out.data.begin());
    return out;
}

void normaliseScale(Matrix &layout)
{
    const auto [cx, cy] = layoutCentroid(layout, 0, layout.rows);
    double sum = 0;
    for (int i = 0; i < layout.rows; ++i) {
        layout.at(i, 0) -= cx;
        layout.at(i, 1) -= cy;
        sum += double(layout.at(i, 0)) * layout.at(i, 0) + double(layout.at(i, 1)) * layout.at(i, 1);
    }
    const double rms = std::sqrt(sum / std::max(1, layout.rows));
    const double scale = rms > 0 ? kLayoutRmsPerSqrtPoint * std::sqrt(double(layout.rows)) / rms : 1.0;
    for (float &v : layout.data)
        v = float(v * scale);
}

// Indices 0..n-1 except `skip`, ordered by `score` descending (stable: ties keep index order).
std::vector<int> bestBy(int n, int skip, int k, const std::function<float(int)> &score)
{
    std::vector<int> idx;
    for (int j = 0; j < n; ++j)
        if (j != skip)
            idx.push_back(j);
    k = std::min<int>(k, int(idx.size()));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) {
        const float sa = score(a), sb = score(b);
        return sa != sb ? sa > sb : a < b;
    });
    idx.resize(std::size_t(k));
    return idx;
}

}  // namespace

std::vector<int> ProbeAnalysis::impostors(int caption, int k) const
{
    std::vector<int> ranked = bestBy(pairs, caption, pairs, [&](int j) { return similarity.at(caption, j); });
    if (!captionText.empty())
        std::erase_if(ranked, [&](int j) { return captionText[std::size_t(j)] == captionText[std::size_t(caption)]; });
    ranked.resize(std::min<std::size_t>(ranked.size(), std::size_t(std::max(0, k))));
    return ranked;
}

std::vector<int> ProbeAnalysis::rankedCaptions(int image, int k) const
{
    return bestBy(pairs, -1, k, [&](int i) { return similarity.at(i, image); });
}

std::vector<int> ProbeAnalysis::hubs(int minimum) const
{
    std::vector<int> out;
    for (int j = 0; j < pairs; ++j)
        if (kOccurrence1[std::size_t(j)] >= minimum)
            out.push_back(j);
    std::stable_sort(out.begin(), out.end(), [&](int a, int b) {
        return kOccurrence1[std::size_t(a)] > kOccurrence1[std::size_t(b)];
    });
    return out;
}

ProbeAnalysis analyseProbe(const Matrix &embeddings, const QList<ProbePair> &probePairs)
{
    if (embeddings.rows < 2 || embeddings.rows % 2 != 0)
        throw std::runtime_error("probe embeddings: expected P image rows then P caption rows, got "
                                 + std::to_string(embeddings.rows) + " rows");
    ProbeAnalysis a;
    const int p = embeddings.rows / 2;
    a.pairs = p;
    const Matrix images = rowsOf(embeddings, 0, p);
    const Matrix captions = rowsOf(embeddings, p, p);
    a.similarity = Matrix(p, p);
    for (int i = 0; i < p; ++i)
        for (int j = 0; j < p; ++j)
            a.similarity.at(i, j) = std::inner_product(captions.row(i), captions.row(i) + captions.cols,
                                                       images.row(j), 0.f);
    std::vector<int> identity(static_cast<std::size_t>(p));
    std::iota(identity.begin(), identity.end(), 0);
    QStringList texts;
    for (const ProbePair &pair : probePairs)
        texts << pair.caption;
    const std::vector<int> text = texts.size() == p ? textIds(texts) : std::vector<int>();
    a.captionText = text;
    a.captionRank = textToImageRanks(images, captions, identity, text);
    a.imageRank = imageToTextRanks(images, captions, identity, text);
    a.kOccurrence1.assign(std::size_t(p), 0);
    a.kOccurrence5.assign(std::size_t(p), 0);
    for (int i = 0; i < p; ++i) {
        const std::vector<int> top = bestBy(p, -1, 5, [&](int j) { return a.similarity.at(i, j); });
        a.topImage.push_back(top.front());
        ++a.kOccurrence1[std::size_t(top.front())];
        for (int j : top)
            ++a.kOccurrence5[std::size_t(j)];
    }
    a.metrics = computeRetrievalMetrics(images, captions, identity, text);
    return a;
}

namespace {

QString pairIdentity(const ProbePair &pair)
{
    const QString canonical = QFileInfo(pair.image).canonicalFilePath();
    return (canonical.isEmpty() ? QDir::cleanPath(pair.image) : canonical) + u'\t' + pair.caption.simplified();
}

}  // namespace

std::vector<std::pair<int, int>> sharedProbePairs(const QList<ProbePair> &a, const QList<ProbePair> &b)
{
    QHash<QString, int> rowOfB;
    for (int i = int(b.size()) - 1; i >= 0; --i)   // a pair listed twice: its first row
        rowOfB.insert(pairIdentity(b[i]), i);
    std::vector<std::pair<int, int>> shared;
    for (int i = 0; i < a.size(); ++i)
        if (const auto it = rowOfB.constFind(pairIdentity(a[i])); it != rowOfB.cend())
            shared.emplace_back(i, it.value());
    return shared;
}

Matrix probeSubset(const Matrix &embeddings, const std::vector<int> &pairs)
{
    const int p = embeddings.rows / 2, k = int(pairs.size());
    Matrix out(2 * k, embeddings.cols);
    for (int r = 0; r < k; ++r) {
        if (pairs[std::size_t(r)] < 0 || pairs[std::size_t(r)] >= p)
            throw std::runtime_error("probeSubset: pair index out of range");
        std::copy_n(embeddings.row(pairs[std::size_t(r)]), embeddings.cols, out.row(r));
        std::copy_n(embeddings.row(p + pairs[std::size_t(r)]), embeddings.cols, out.row(k + r));
    }
    return out;
}

std::pair<float, float> layoutCentroid(const Matrix &layout, int first, int count)
{
    double x = 0, y = 0;
    for (int i = first; i < first + count; ++i) {
        x += layout.at(i, 0);
        y += layout.at(i, 1);
    }
    return {float(x / std::max(1, count)), float(y / std::max(1, count))};
}

SpaceTimeline::SpaceTimeline(ProjectionMethod method, std::uint64_t seed) : m_method(method), m_seed(seed) {}

const Matrix &SpaceTimeline::append(const Matrix &embeddings, JobControl *job)
{
    ProjectionOptions options;
    options.method = m_method;
    options.seed = m_seed;
    options.threads = 1;   // small inputs; leave the cores to a training job
    if (m_method == ProjectionMethod::Umap)
        options.umapEpochs = 200;
    if (!m_layouts.empty() && m_layouts.back().rows == embeddings.rows)
        options.initial = m_layouts.back();
    Matrix layout = project(embeddings, options, job);
    normaliseScale(layout);
    if (!m_layouts.empty() && m_layouts.back().rows == layout.rows) {
        layout = alignLayout(layout, m_layouts.back());
        // Least-squares Procrustes shrinks a layout that agrees only partly with the previous one
        // (its scale is a regression slope); over many epochs the map would collapse. Keep the
        // rotation and placement, restore the scale.
        normaliseScale(layout);
    }
    m_layouts.push_back(std::move(layout));
    return m_layouts.back();
}

}  // namespace cospace
