#include "core/eval/composition.h"

#include "core/data/shapesdemo.h"
#include "core/eval/evaluation.h"
#include "core/model/embeddingmodel.h"

#include <QHash>
#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cospace {

namespace {

const QStringList &kindNames()
{
    static const QStringList names{u"colour"_qs, u"size"_qs, u"shape"_qs, u"relation"_qs, u"order"_qs};
    return names;
}

QString opposite(const QString &relation)
{
    static const QHash<QString, QString> flip{{u"left of"_qs, u"right of"_qs}, {u"right of"_qs, u"left of"_qs},
                                              {u"above"_qs, u"below"_qs}, {u"below"_qs, u"above"_qs}};
    return flip.value(relation.toLower());
}

// ---- the shapes demo's grammar -------------------------------------------------------------------

struct NounPhrase {
    QString size;     // "" when the caption names none
    QString colour;
    QString shape;
};

QString phrase(const NounPhrase &n)
{
    const QString words = (n.size.isEmpty() ? QString() : QString(n.size + u' ')) + n.colour + u' ' + n.shape;
    return (QStringView(u"aeiou").contains(words.front()) ? u"an "_qs : u"a "_qs) + words;
}

const QRegularExpression &grammar()
{
    // Built from the generator's own word lists, so a new colour or shape there is parsed here too.
    static const QRegularExpression re = [] {
        const QString np = u"an? (?:(small|large) )?(%1) (%2)"_qs.arg(shapeColourNames().join(u'|'),
                                                                       shapeKindNames().join(u'|'));
        return QRegularExpression(u"^%1 (left of|right of|above|below|and) %1$"_qs.arg(np),
                                  QRegularExpression::CaseInsensitiveOption);
    }();
    return re;
}

// Swaps of a caption in the shapes grammar; false when it is not in the grammar.
bool grammarSwaps(const QString &caption, QList<CaptionSwap> *out)
{
    QString body = caption.trimmed();
    const bool stop = body.endsWith(u'.');
    if (stop)
        body.chop(1);
    const QRegularExpressionMatch m = grammar().match(body.simplified());
    if (!m.hasMatch())
        return false;
    const NounPhrase a{m.captured(1).toLower(), m.captured(2).toLower(), m.captured(3).toLower()};
    const QString rel = m.captured(4).toLower();
    const NounPhrase b{m.captured(5).toLower(), m.captured(6).toLower(), m.captured(7).toLower()};
    const bool capital = caption.trimmed().front().isUpper();
    auto add = [&](SwapKind kind, const NounPhrase &x, const QString &r, const NounPhrase &y) {
        QString text = phrase(x) + u' ' + r + u' ' + phrase(y) + (stop ? u"."_qs : QString());
        if (capital)
            text[0] = text[0].toUpper();
        out->append({kind, text});
    };
    if (a.colour != b.colour)
        add(SwapKind::Colour, {a.size, b.colour, a.shape}, rel, {b.size, a.colour, b.shape});
    if (!a.size.isEmpty() && !b.size.isEmpty() && a.size != b.size)
        add(SwapKind::Size, {b.size, a.colour, a.shape}, rel, {a.size, b.colour, b.shape});
    if (a.shape != b.shape)
        add(SwapKind::Shape, {a.size, a.colour, b.shape}, rel, {b.size, b.colour, a.shape});
    if (rel != u"and") {   // "X and Y" says nothing about where they are: no relation, no order
        add(SwapKind::Relation, a, opposite(rel), b);
        if (phrase(a) != phrase(b))
            add(SwapKind::Order, b, rel, a);
    }
    return true;
}

// ---- the free-text rules -------------------------------------------------------------------------

// Swaps the two matches of `re` in `text` when there are exactly two and they differ (ignoring case).
bool swapTwo(const QString &text, const QRegularExpression &re, QString *out)
{
    QList<QRegularExpressionMatch> matches;
    for (auto it = re.globalMatch(text); it.hasNext();)
        matches << it.next();
    if (matches.size() != 2 || matches[0].captured().compare(matches[1].captured(), Qt::CaseInsensitive) == 0)
        return false;
    const QRegularExpressionMatch &x = matches[0], &y = matches[1];
    *out = text.left(x.capturedStart()) + y.captured() + text.mid(x.capturedEnd(), y.capturedStart() - x.capturedEnd())
           + x.captured() + text.mid(y.capturedEnd());
    return true;
}

QList<CaptionSwap> ruleSwaps(const QString &caption)
{
    static const QRegularExpression colours(
        u"\\b(red|orange|yellow|green|blue|purple|pink|brown|black|white|grey|gray)\\b"_qs,
        QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression sizes(u"\\b(small|large|big|tiny|huge)\\b"_qs,
                                          QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression relations(u"\\b(left of|right of|above|below)\\b"_qs,
                                              QRegularExpression::CaseInsensitiveOption);
    QList<CaptionSwap> out;
    QString text;
    if (swapTwo(caption, colours, &text))
        out.append({SwapKind::Colour, text});
    if (swapTwo(caption, sizes, &text))
        out.append({SwapKind::Size, text});
    QList<QRegularExpressionMatch> rel;
    for (auto it = relations.globalMatch(caption); it.hasNext();)
        rel << it.next();
    if (rel.size() == 1) {   // two relations: which one to flip is a guess, so none
        QString flipped = opposite(rel[0].captured());
        if (rel[0].captured().front().isUpper())
            flipped[0] = flipped[0].toUpper();
        out.append({SwapKind::Relation, QString(caption.left(rel[0].capturedStart()) + flipped + caption.mid(rel[0].capturedEnd()))});
    }
    return out;
}

float dot(const Matrix &a, int i, const Matrix &b, int j)
{
    const float *x = a.row(i), *y = b.row(j);
    double s = 0;
    for (int k = 0; k < a.cols; ++k)
        s += double(x[k]) * double(y[k]);
    return float(s);
}

}  // namespace

QString swapKindName(SwapKind kind) { return kindNames().value(int(kind)); }

bool parseSwapKind(const QString &name, SwapKind *kind)
{
    const qsizetype i = kindNames().indexOf(name);
    if (i < 0)
        return false;
    *kind = SwapKind(i);
    return true;
}

QList<CaptionSwap> captionSwaps(const QString &caption)
{
    QList<CaptionSwap> out;
    if (grammarSwaps(caption, &out))
        return out;
    return ruleSwaps(caption);
}

Interval wilsonInterval(int successes, int n, double z)
{
    if (n <= 0)
        return {0, 1};
    // Wilson (1927): the p whose normal-approximation test at z does not reject the observed rate.
    const double p = double(successes) / n, z2 = z * z;
    const double denom = 1 + z2 / n;
    const double centre = (p + z2 / (2.0 * n)) / denom;
    const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denom;
    return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

SwapPlan planSwaps(const QStringList &captions)
{
    SwapPlan plan;
    plan.captions = captions;
    for (int c = 0; c < captions.size(); ++c) {
        const QList<CaptionSwap> swaps = captionSwaps(captions[c]);
        if (swaps.isEmpty())
            ++plan.unswappable;
        for (const CaptionSwap &s : swaps) {
            plan.caption.push_back(c);
            plan.kind.push_back(s.kind);
            plan.text << s.text;
        }
    }
    return plan;
}

CompositionResult scoreComposition(const SwapPlan &plan, const Matrix &images, const Matrix &captions,
                                   const Matrix &swaps, const std::vector<int> &captionImage,
                                   const QStringList &imageNames)
{
    if (captions.rows != plan.captions.size() || swaps.rows != plan.text.size()
        || captionImage.size() != std::size_t(captions.rows) || imageNames.size() != images.rows
        || (captions.cols != images.cols && captions.rows > 0 && images.rows > 0)
        || (swaps.cols != captions.cols && swaps.rows > 0))
        throw std::invalid_argument("scoreComposition: the embeddings do not match the plan");
    CompositionResult r;
    r.unswappable = plan.unswappable;
    std::vector<char> probed(std::size_t(captions.rows), 0);
    std::array<double, kSwapKindCount> cosSum{};
    for (int s = 0; s < swaps.rows; ++s) {
        const int c = plan.caption[std::size_t(s)];
        const int img = captionImage[std::size_t(c)];
        if (img < 0 || img >= images.rows)
            continue;
        probed[std::size_t(c)] = 1;
        CompositionTrial t{imageNames[img], plan.captions[c], plan.text[s], plan.kind[std::size_t(s)],
                           dot(images, img, captions, c), dot(images, img, swaps, s), dot(captions, c, swaps, s)};
        KindSummary &k = r.kinds[std::size_t(t.kind)];
        ++k.n;
        k.correct += t.correct() ? 1 : 0;
        cosSum[std::size_t(t.kind)] += t.textCosine;
        r.trials.push_back(std::move(t));
    }
    for (std::size_t k = 0; k < r.kinds.size(); ++k) {
        KindSummary &s = r.kinds[k];
        s.accuracy = s.n ? double(s.correct) / s.n : 0;
        s.ci95 = wilsonInterval(s.correct, s.n);
        s.textCosine = s.n ? cosSum[k] / s.n : 0;
    }
    // Captions with an image: the probed ones plus the unswappable (which have none to probe).
    for (int c = 0; c < captions.rows; ++c)
        if (probed[std::size_t(c)])
            ++r.captions;
    return r;
}

std::vector<CompositionTrial> CompositionResult::worst(int limit) const
{
    std::vector<CompositionTrial> sorted = trials;
    std::stable_sort(sorted.begin(), sorted.end(), [](const CompositionTrial &a, const CompositionTrial &b) {
        return a.trueScore - a.swappedScore < b.trueScore - b.swappedScore;
    });
    if (limit >= 0 && sorted.size() > std::size_t(limit))
        sorted.resize(std::size_t(limit));
    return sorted;
}

QJsonObject CompositionResult::toJson(int examples) const
{
    QJsonObject kindsJson, textCosine;
    for (int k = 0; k < kSwapKindCount; ++k) {
        const KindSummary &s = kinds[std::size_t(k)];
        kindsJson.insert(kindNames()[k], QJsonObject{{u"n"_qs, s.n},
                                                     {u"accuracy"_qs, s.n ? QJsonValue(s.accuracy) : QJsonValue()},
                                                     {u"ci95"_qs, QJsonArray{s.ci95.lo, s.ci95.hi}}});
        textCosine.insert(kindNames()[k], s.n ? QJsonValue(s.textCosine) : QJsonValue());
    }
    QJsonArray list;
    for (const CompositionTrial &t : worst(examples))
        list.append(QJsonObject{{u"image"_qs, t.image}, {u"caption"_qs, t.caption}, {u"swapped"_qs, t.swapped},
                                {u"kind"_qs, swapKindName(t.kind)}, {u"true_score"_qs, double(t.trueScore)},
                                {u"swapped_score"_qs, double(t.swappedScore)}});
    return {{u"kinds"_qs, kindsJson}, {u"unswappable"_qs, unswappable}, {u"text_cosine"_qs, textCosine},
            {u"examples"_qs, list}};
}

QJsonObject CompositionResult::accuracies() const
{
    QJsonObject o;
    for (int k = 0; k < kSwapKindCount; ++k)
        if (kinds[std::size_t(k)].n > 0)
            o.insert(kindNames()[k], kinds[std::size_t(k)].accuracy);
    return o;
}

CompositionResult CompositionResult::fromJson(const QJsonObject &json)
{
    CompositionResult r;
    const QJsonObject kindsJson = json.value(u"kinds"_qs).toObject();
    const QJsonObject textCosine = json.value(u"text_cosine"_qs).toObject();
    for (int k = 0; k < kSwapKindCount; ++k) {
        const QJsonObject o = kindsJson.value(kindNames()[k]).toObject();
        KindSummary &s = r.kinds[std::size_t(k)];
        s.n = std::max(0, o.value(u"n"_qs).toInt());
        s.accuracy = o.value(u"accuracy"_qs).toDouble();
        s.correct = int(std::lround(s.accuracy * s.n));
        const QJsonArray ci = o.value(u"ci95"_qs).toArray();
        s.ci95 = ci.size() == 2 ? Interval{ci[0].toDouble(), ci[1].toDouble()} : wilsonInterval(s.correct, s.n);
        s.textCosine = textCosine.value(kindNames()[k]).toDouble();
    }
    r.unswappable = json.value(u"unswappable"_qs).toInt();
    for (const QJsonValue &v : json.value(u"examples"_qs).toArray()) {
        const QJsonObject e = v.toObject();
        CompositionTrial t;
        if (!parseSwapKind(e.value(u"kind"_qs).toString(), &t.kind))
            continue;
        t.image = e.value(u"image"_qs).toString();
        t.caption = e.value(u"caption"_qs).toString();
        t.swapped = e.value(u"swapped"_qs).toString();
        t.trueScore = float(e.value(u"true_score"_qs).toDouble());
        t.swappedScore = float(e.value(u"swapped_score"_qs).toDouble());
        r.trials.push_back(std::move(t));
    }
    return r;
}

CompositionProbe probeComposition(EmbeddingModel &model, const CaptionFile &pairs, JobControl *job)
{
    EmbeddedPairs e = embedPairs(model, pairs, job);
    const SwapPlan plan = planSwaps(e.texts);
    if (job) {
        job->setStage(u"embedding swapped captions"_qs);
        job->setTotal(job->snapshot().done + plan.text.size());
    }
    const Matrix swaps = encodeTextsInChunks(model, plan.text, job);
    CompositionProbe probe;
    probe.result = scoreComposition(plan, e.images, e.captions, swaps, e.captionImage, e.imagePaths);
    probe.skipped = std::move(e.skipped);
    if (job)
        job->finish();
    return probe;
}

}  // namespace cospace
