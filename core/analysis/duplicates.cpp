#include "core/analysis/duplicates.h"

#include "core/base/job.h"

#include <faiss/IndexFlat.h>
#include <faiss/impl/AuxIndexStructures.h>

#include <QCryptographicHash>
#include <QFile>
#include <QHash>
#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace cospace {

namespace {

struct UnionFind {
    std::vector<int> parent;
    explicit UnionFind(int n) : parent(std::size_t(n)) { std::iota(parent.begin(), parent.end(), 0); }
    int find(int x)
    {
        while (parent[std::size_t(x)] != x)
            x = parent[std::size_t(x)] = parent[std::size_t(parent[std::size_t(x)])];
        return x;
    }
    void join(int a, int b)
    {
        a = find(a);
        b = find(b);
        if (a != b)
            parent[std::size_t(std::max(a, b))] = std::min(a, b);
    }
};

float cosine(MatrixView m, int a, int b) { return std::inner_product(m.row(a), m.row(a) + m.cols, m.row(b), 0.f); }

QList<Outlier> outliersOf(const faiss::IndexFlatIP &index, MatrixView vectors, const DuplicateParams &params)
{
    QList<Outlier> out;
    const int k = std::min(params.outlierNeighbours, vectors.rows - 1);
    if (k < 1 || params.outlierCount <= 0)
        return out;
    const int kk = k + 1;   // the image itself comes back too (or an exact copy of it: then both are not outliers)
    std::vector<float> scores(std::size_t(vectors.rows) * std::size_t(kk));
    std::vector<faiss::Index::idx_t> labels(scores.size());
    index.search(vectors.rows, vectors.values, kk, scores.data(), labels.data());
    for (int i = 0; i < vectors.rows; ++i) {
        double sum = 0;
        int n = 0;
        bool selfSkipped = false;
        for (int j = 0; j < kk && n < k; ++j) {
            const std::size_t at = std::size_t(i) * std::size_t(kk) + std::size_t(j);
            if (!selfSkipped && labels[at] == i) {
                selfSkipped = true;
                continue;
            }
            sum += 1.0 - double(scores[at]);
            ++n;
        }
        out.append({i, float(n > 0 ? sum / n : 0)});
    }
    std::stable_sort(out.begin(), out.end(), [](const Outlier &a, const Outlier &b) { return a.score > b.score; });
    out.resize(std::min<qsizetype>(out.size(), params.outlierCount));
    return out;
}

}  // namespace

QList<QByteArray> fileHashes(const QStringList &paths, JobControl *job)
{
    QList<QByteArray> hashes;
    if (job) {
        job->setStage(u"hashing %1 files"_qs.arg(paths.size()));
        job->setTotal(paths.size());
    }
    for (const QString &path : paths) {
        if (job && job->cancelled())
            throw JobCancelled{};
        QFile file(path);
        QCryptographicHash hash(QCryptographicHash::Sha256);
        hashes << (file.open(QIODevice::ReadOnly) && hash.addData(&file) ? hash.result() : QByteArray());
        if (job)
            job->advance();
    }
    return hashes;
}

DuplicateResult findDuplicates(MatrixView vectors, const QList<QByteArray> &hashes, const DuplicateParams &params,
                               JobControl *job)
{
    if (!hashes.isEmpty() && hashes.size() != vectors.rows)
        throw std::invalid_argument("findDuplicates: one hash per image is required");
    DuplicateResult result;
    if (vectors.rows == 0)
        return result;
    if (job)
        job->setStage(u"comparing %1 images"_qs.arg(vectors.rows));
    UnionFind groups(vectors.rows);
    QHash<QByteArray, int> firstWithHash;
    for (int i = 0; i < hashes.size(); ++i) {
        if (hashes[i].isEmpty())
            continue;
        const auto it = firstWithHash.constFind(hashes[i]);
        if (it == firstWithHash.constEnd())
            firstWithHash.insert(hashes[i], i);
        else
            groups.join(*it, i);
    }
    faiss::IndexFlatIP index(vectors.cols);
    index.add(vectors.rows, vectors.values);
    // Range search on inner products keeps scores > radius: step just below the threshold so that a
    // pair exactly at it counts (the doc says ">= threshold").
    faiss::RangeSearchResult range(vectors.rows);
    index.range_search(vectors.rows, vectors.values, std::nextafter(params.threshold, -2.f), &range);
    for (int i = 0; i < vectors.rows; ++i)
        for (std::size_t r = range.lims[i]; r < range.lims[i + 1]; ++r)
            if (range.labels[r] != i)
                groups.join(i, int(range.labels[r]));
    if (job && job->cancelled())
        throw JobCancelled{};
    QHash<int, QList<int>> members;
    for (int i = 0; i < vectors.rows; ++i)
        members[groups.find(i)].append(i);
    for (const QList<int> &m : std::as_const(members)) {
        if (m.size() < 2)
            continue;
        DuplicateGroup g;
        g.members = m;
        g.exact = !hashes.isEmpty() && !hashes[m[0]].isEmpty();
        for (int a = 0; a < m.size(); ++a) {
            g.exact = g.exact && hashes[m[a]] == hashes[m[0]];
            for (int b = a + 1; b < m.size(); ++b)
                g.minSimilarity = std::min(g.minSimilarity, cosine(vectors, m[a], m[b]));
        }
        result.groups << g;
    }
    std::sort(result.groups.begin(), result.groups.end(), [](const DuplicateGroup &a, const DuplicateGroup &b) {
        return a.members.size() != b.members.size() ? a.members.size() > b.members.size() : a.members[0] < b.members[0];
    });
    result.outliers = outliersOf(index, vectors, params);
    return result;
}

QJsonObject DuplicateResult::toJson(const QStringList &paths) const
{
    QJsonArray groupArray;
    for (const DuplicateGroup &g : groups) {
        QJsonArray p;
        for (int i : g.members)
            p.append(paths[i]);
        groupArray.append(QJsonObject{{u"paths"_qs, p}, {u"min_similarity"_qs, double(g.minSimilarity)}, {u"exact"_qs, g.exact}});
    }
    QJsonArray outlierArray;
    for (const Outlier &o : outliers)
        outlierArray.append(QJsonObject{{u"path"_qs, paths[o.row]}, {u"score"_qs, double(o.score)}});
    return {{u"groups"_qs, groupArray}, {u"outliers"_qs, outlierArray}};
}

}  // namespace cospace
