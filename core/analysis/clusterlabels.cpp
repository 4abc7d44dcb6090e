#include "core/analysis/clusterlabels.h"

#include "core/eval/evaluation.h"
#include "core/model/embeddingmodel.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <numeric>

namespace cospace {

namespace {

// Function words of English that say nothing about what a cluster shows.
const char *const kStopWords[] = {
    "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "with", "by", "from", "as",
    "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "there", "here",
    "he", "she", "they", "we", "you", "his", "her", "their", "our", "your", "my", "me", "him", "them", "us",
    "not", "no", "so", "if", "then", "than", "too", "very", "can", "will", "just", "do", "does", "did", "has",
    "have", "had", "into", "onto", "over", "under", "up", "down", "out", "off", "about", "some", "any", "all",
    "each", "other", "such", "only", "own", "same", "what", "which", "who", "whom", "when", "where", "why",
    "how", "one", "two", "also", "more", "most", "while", "after", "before", "again", "i", "s", "t", "am",
    "would", "could", "should", "may", "might", "must", "shall", "being", "having", "doing", "both", "few",
    "nor", "because", "until", "between", "through", "during", "above", "below", "against", "further",
    "once", "via", "per", "etc", "amp", "quot", "com", "www", "http", "https"};

}  // namespace

bool isStopWord(const QString &word)
{
    static const QSet<QString> stop = [] {
        QSet<QString> s;
        for (const char *w : kStopWords)
            s.insert(QString::fromLatin1(w));
        return s;
    }();
    return stop.contains(word);
}

QStringList wordsOf(const QString &text)
{
    static const QRegularExpression word(u"[\\p{L}\\p{M}]+(?:['\\-][\\p{L}\\p{M}]+)*"_qs);
    QStringList out;
    for (auto it = word.globalMatch(text.toLower()); it.hasNext();) {
        const QString w = it.next().captured();
        if (w.size() >= 2 && !isStopWord(w))
            out << w;
    }
    return out;
}

QStringList labelVocabulary(const EmbeddingModel &model, const QStringList &captions, int builtIn)
{
    QStringList out;
    QSet<QString> seen;
    auto add = [&](const QString &w) {
        if (!seen.contains(w)) {
            seen.insert(w);
            out << w;
        }
    };
    for (const QString &caption : captions)
        for (const QString &w : wordsOf(caption))
            add(w);
    int taken = 0;
    for (const QString &w : model.vocabularyWords()) {
        if (taken >= builtIn)
            break;
        const QString lower = w.toLower();
        if (lower.size() < 3 || isStopWord(lower))
            continue;
        add(lower);
        ++taken;
    }
    return out;
}

Vocabulary encodeVocabulary(EmbeddingModel &model, const QStringList &words, JobControl *job)
{
    if (job) {
        job->setStage(u"encoding %1 vocabulary words"_qs.arg(words.size()));
        job->setTotal(words.size());
    }
    return {words, encodeTextsInChunks(model, words, job)};
}

QList<ClusterSummary> labelClusters(const Clustering &clustering, const Vocabulary &vocabulary, int wordCount)
{
    QList<ClusterSummary> out(clustering.k);
    for (int c = 0; c < clustering.k; ++c)
        out[c].id = c;
    for (std::size_t i = 0; i < clustering.assignment.size(); ++i)
        out[clustering.assignment[i]].members << int(i);
    const int k = clustering.k, v = vocabulary.vectors.rows;
    if (v == 0 || k == 0 || vocabulary.vectors.cols != clustering.centroids.cols)
        return out;
    // sim[w][c], then each word's sum over clusters for the "mean of the others" term.
    std::vector<float> sim(std::size_t(v) * std::size_t(k));
    std::vector<double> total(std::size_t(v), 0);
    for (int w = 0; w < v; ++w)
        for (int c = 0; c < k; ++c) {
            const float *a = vocabulary.vectors.row(w), *b = clustering.centroids.row(c);
            const float s = std::inner_product(a, a + vocabulary.vectors.cols, b, 0.f);
            sim[std::size_t(w) * std::size_t(k) + std::size_t(c)] = s;
            total[std::size_t(w)] += s;
        }
    std::vector<int> order(static_cast<std::size_t>(v));
    std::vector<float> score(static_cast<std::size_t>(v));
    for (int c = 0; c < k; ++c) {
        for (int w = 0; w < v; ++w) {
            const float own = sim[std::size_t(w) * std::size_t(k) + std::size_t(c)];
            const float others = k > 1 ? float((total[std::size_t(w)] - own) / (k - 1)) : 0.f;
            score[std::size_t(w)] = own - others;
        }
        std::iota(order.begin(), order.end(), 0);
        const std::size_t top = std::size_t(std::min(wordCount, v));
        std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(top), order.end(), [&](int a, int b) {
            return score[std::size_t(a)] != score[std::size_t(b)] ? score[std::size_t(a)] > score[std::size_t(b)] : a < b;
        });
        for (std::size_t i = 0; i < top; ++i)
            out[c].words.append({vocabulary.words[order[i]], score[std::size_t(order[i])]});
        if (!out[c].words.isEmpty())
            out[c].label = out[c].words.first().first;
    }
    return out;
}

QJsonObject clustersJson(const QList<ClusterSummary> &clusters, const QStringList &paths)
{
    QJsonArray array;
    for (const ClusterSummary &c : clusters) {
        QJsonArray words, members;
        for (const auto &[w, s] : c.words)
            words.append(QJsonArray{w, double(s)});
        for (int i : c.members)
            members.append(paths[i]);
        array.append(QJsonObject{{u"id"_qs, c.id}, {u"size"_qs, int(c.members.size())}, {u"label"_qs, c.label},
                                 {u"words"_qs, words}, {u"members"_qs, members}});
    }
    return {{u"clusters"_qs, array}};
}

}  // namespace cospace
