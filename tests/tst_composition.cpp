// The compositional probe (core/eval/composition.h): the swap generator on hand-written captions,
// including the ones it must refuse, the Wilson interval against published values, and the
// per-kind accuracy arithmetic on a hand-made 3-image case.

#include "core/data/shapesdemo.h"
#include "core/eval/composition.h"

#include <QJsonArray>
#include <QTest>

#include <cmath>

using namespace cospace;

namespace {

Matrix rows(const std::vector<std::vector<float>> &r)
{
    Matrix m(int(r.size()), int(r.empty() ? 0 : r[0].size()));
    for (std::size_t i = 0; i < r.size(); ++i)
        for (std::size_t j = 0; j < r[i].size(); ++j)
            m.at(int(i), int(j)) = r[i][j];
    return m;
}

QStringList describe(const QList<CaptionSwap> &swaps)
{
    QStringList out;
    for (const CaptionSwap &s : swaps)
        out << swapKindName(s.kind) + u": "_qs + s.text;
    return out;
}

}  // namespace

class TestComposition : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void swaps_data();
    void swaps();
    void everyShapesCaptionParses();
    void plan();
    void wilson_data();
    void wilson();
    void threeImagesByHand();
    void jsonKeysAndRoundTrip();
    void rejectsMismatchedShapes();
};

void TestComposition::swaps_data()
{
    QTest::addColumn<QString>("caption");
    QTest::addColumn<QStringList>("expected");   // "kind: text", in kind order; empty = refused
    // The shapes demo's grammar: every kind that changes the meaning.
    QTest::newRow("shapes: two sized objects") << u"a small red circle left of a large blue square"_qs
        << QStringList{u"colour: a small blue circle left of a large red square"_qs,
                       u"size: a large red circle left of a small blue square"_qs,
                       u"shape: a small red square left of a large blue circle"_qs,
                       u"relation: a small red circle right of a large blue square"_qs,
                       u"order: a large blue square left of a small red circle"_qs};
    QTest::newRow("shapes: articles follow the new words") << u"an orange circle above a red square"_qs
        << QStringList{u"colour: a red circle above an orange square"_qs,
                       u"shape: an orange square above a red circle"_qs,
                       u"relation: an orange circle below a red square"_qs,
                       u"order: a red square above an orange circle"_qs};
    QTest::newRow("shapes: 'and' has no relation, no order") << u"a red circle and a blue square"_qs
        << QStringList{u"colour: a blue circle and a red square"_qs, u"shape: a red square and a blue circle"_qs};
    QTest::newRow("shapes: same colour, no colour swap") << u"a small green triangle below a large green diamond"_qs
        << QStringList{u"size: a large green triangle below a small green diamond"_qs,
                       u"shape: a small green diamond below a large green triangle"_qs,
                       u"relation: a small green triangle above a large green diamond"_qs,
                       u"order: a large green diamond below a small green triangle"_qs};
    QTest::newRow("shapes: same size and shape") << u"a large purple circle right of a large red circle"_qs
        << QStringList{u"colour: a large red circle right of a large purple circle"_qs,
                       u"relation: a large purple circle left of a large red circle"_qs,
                       u"order: a large red circle right of a large purple circle"_qs};
    QTest::newRow("shapes: capital and full stop kept") << u"A red diamond above a yellow square."_qs
        << QStringList{u"colour: A yellow diamond above a red square."_qs,
                       u"shape: A red square above a yellow diamond."_qs,
                       u"relation: A red diamond below a yellow square."_qs,
                       u"order: A yellow square above a red diamond."_qs};
    // Free text: two colour words, two size words, one relation.
    QTest::newRow("free text: the README's car") << u"a blue car next to a red hydrant"_qs
        << QStringList{u"colour: a red car next to a blue hydrant"_qs};
    QTest::newRow("free text: colours and a relation") << u"a black dog to the left of a white cat"_qs
        << QStringList{u"colour: a white dog to the left of a black cat"_qs,
                       u"relation: a black dog to the right of a white cat"_qs};
    QTest::newRow("free text: sizes") << u"a big truck behind a small car"_qs
        << QStringList{u"size: a small truck behind a big car"_qs};
    QTest::newRow("free text: same colour twice, relation kept") << u"a red ball left of a red box"_qs
        << QStringList{u"relation: a red ball right of a red box"_qs};
    QTest::newRow("free text: capital relation") << u"Above the clouds, a plane"_qs
        << QStringList{u"relation: Below the clouds, a plane"_qs};
    // Refused: nothing to swap, or no way to tell which words to swap.
    QTest::newRow("refuse: one shape") << u"a small red circle"_qs << QStringList{};
    QTest::newRow("refuse: three shapes listed") << u"a red circle, a blue square and a green triangle"_qs << QStringList{};
    QTest::newRow("refuse: no colour, size or relation") << u"a cat sleeping on a mat"_qs << QStringList{};
    QTest::newRow("refuse: three colours") << u"a red, white and blue flag"_qs << QStringList{};
    QTest::newRow("refuse: the same colour twice") << u"a red car next to a red hydrant"_qs << QStringList{};
    QTest::newRow("refuse: two relations") << u"a cup above a plate left of a fork"_qs << QStringList{};
    QTest::newRow("refuse: colour words inside words") << u"a reddish bluebird on a greenhouse"_qs << QStringList{};
    QTest::newRow("refuse: empty") << QString() << QStringList{};
}

void TestComposition::swaps()
{
    QFETCH(QString, caption);
    QFETCH(QStringList, expected);
    QCOMPARE(describe(captionSwaps(caption)), expected);
}

void TestComposition::everyShapesCaptionParses()
{
    // Every two-object caption the generator writes is in the grammar and gets the relation and
    // order swaps (or, for "X and Y", colour or shape); one-object captions are refused.
    for (int i = 0; i < 300; ++i) {
        const std::vector<Shape> scene = shapesScene(9, i, 3);
        for (const QString &caption : shapesCaptions(scene)) {
            const QList<CaptionSwap> swaps = captionSwaps(caption);
            const bool relation = caption.contains(u" of "_qs) || caption.contains(u"above"_qs)
                                  || caption.contains(u"below"_qs);
            if (scene.size() == 1 || caption.contains(u','))
                QVERIFY2(swaps.isEmpty(), qPrintable(caption));
            else if (relation)
                QVERIFY2(swaps.size() >= 2 && swaps.last().kind == SwapKind::Order, qPrintable(caption));
            else
                QVERIFY2(!swaps.isEmpty(), qPrintable(caption));
            for (const CaptionSwap &s : swaps)
                QVERIFY2(s.text != caption, qPrintable(caption));
        }
    }
}

void TestComposition::plan()
{
    const SwapPlan p = planSwaps({u"a red circle left of a blue square"_qs, u"a yellow circle"_qs,
                                  u"a blue square and a red circle"_qs});
    QCOMPARE(p.unswappable, 1);
    QCOMPARE(p.text.size(), 6);
    QCOMPARE(p.caption, (std::vector<int>{0, 0, 0, 0, 2, 2}));
    QCOMPARE(p.kind, (std::vector<SwapKind>{SwapKind::Colour, SwapKind::Shape, SwapKind::Relation, SwapKind::Order,
                                            SwapKind::Colour, SwapKind::Shape}));
    QVERIFY(planSwaps({u"a dog"_qs}).empty());
}

void TestComposition::wilson_data()
{
    QTest::addColumn<int>("successes");
    QTest::addColumn<int>("n");
    QTest::addColumn<double>("lo");
    QTest::addColumn<double>("hi");
    QTest::newRow("no trials") << 0 << 0 << 0.0 << 1.0;
    QTest::newRow("2 of 3") << 2 << 3 << 0.20766 << 0.93851;
    QTest::newRow("0 of 10") << 0 << 10 << 0.0 << 0.27753;
    QTest::newRow("10 of 10") << 10 << 10 << 0.72247 << 1.0;
    QTest::newRow("50 of 100") << 50 << 100 << 0.40383 << 0.59617;
    QTest::newRow("1 of 2") << 1 << 2 << 0.09453 << 0.90547;
}

void TestComposition::wilson()
{
    QFETCH(int, successes);
    QFETCH(int, n);
    QFETCH(double, lo);
    QFETCH(double, hi);
    const Interval ci = wilsonInterval(successes, n);
    QVERIFY2(std::abs(ci.lo - lo) < 1e-5 && std::abs(ci.hi - hi) < 1e-5,
             qPrintable(u"[%1, %2]"_qs.arg(ci.lo, 0, 'f', 5).arg(ci.hi, 0, 'f', 5)));
}

// Images I0 = [1, 0], I1 = [0, 1], I2 = [.6, .8]; four captions, one unswappable; every score and
// cosine below is worked out by hand. A tie (swap scores exactly the true caption's score) fails.
void TestComposition::threeImagesByHand()
{
    const SwapPlan plan = planSwaps({u"a red circle left of a blue square"_qs,                    // I0: 4 swaps
                                     u"a small green triangle above a large red diamond"_qs,      // I1: 5 swaps
                                     u"a yellow circle"_qs,                                       // I2: none
                                     u"a blue square and a red circle"_qs});                      // I2: 2 swaps
    QCOMPARE(plan.text.size(), 11);
    const Matrix images = rows({{1, 0}, {0, 1}, {0.6f, 0.8f}});
    const Matrix captions = rows({{1, 0}, {0.6f, 0.8f}, {0, 1}, {0.8f, 0.6f}});
    const Matrix swaps = rows({
        // c0 (true score 1): colour .8 ok, shape 1 (tie: fails), relation .6 ok, order .8 ok
        {0.8f, 0.6f}, {1, 0}, {0.6f, 0.8f}, {0.8f, 0.6f},
        // c1 (true .8): colour 1 fails, size .6 ok, shape 0 ok, relation .8 (tie: fails), order .96 fails
        {0, 1}, {0.8f, 0.6f}, {1, 0}, {0.6f, 0.8f}, {0.28f, 0.96f},
        // c3 (true .96): colour 1 fails, shape .6 ok
        {0.6f, 0.8f}, {1, 0}});
    const CompositionResult r = scoreComposition(plan, images, captions, swaps, {0, 1, 2, 2},
                                                 {u"i0.png"_qs, u"i1.png"_qs, u"i2.png"_qs});
    QCOMPARE(r.captions, 3);
    QCOMPARE(r.unswappable, 1);
    QCOMPARE(int(r.trials.size()), 11);
    struct Expect { SwapKind kind; int n, correct; double textCosine; };
    for (const Expect &e : {Expect{SwapKind::Colour, 3, 1, (0.8 + 0.8 + 0.96) / 3},
                            Expect{SwapKind::Size, 1, 1, 0.96},
                            Expect{SwapKind::Shape, 3, 2, (1 + 0.6 + 0.8) / 3},
                            Expect{SwapKind::Relation, 2, 1, (0.6 + 1.0) / 2},
                            Expect{SwapKind::Order, 2, 1, (0.8 + 0.936) / 2}}) {
        const KindSummary &k = r.kind(e.kind);
        const QByteArray name = swapKindName(e.kind).toUtf8();
        QVERIFY2(k.n == e.n && k.correct == e.correct, name);
        QVERIFY2(std::abs(k.accuracy - double(e.correct) / e.n) < 1e-12, name);
        QVERIFY2(std::abs(k.textCosine - e.textCosine) < 1e-5, name);
        const Interval ci = wilsonInterval(e.correct, e.n);
        QVERIFY2(k.ci95.lo == ci.lo && k.ci95.hi == ci.hi, name);
    }
    // Worst first: c1's colour swap (margin -.2), c1's order swap (-.16), c3's colour swap (-.04).
    const std::vector<CompositionTrial> worst = r.worst(3);
    QCOMPARE(int(worst.size()), 3);
    QCOMPARE(worst[0].swapped, u"a small red triangle above a large green diamond"_qs);
    QCOMPARE(worst[0].image, u"i1.png"_qs);
    QCOMPARE(worst[1].kind, SwapKind::Order);
    QCOMPARE(worst[2].caption, u"a blue square and a red circle"_qs);
    QCOMPARE(worst[2].swapped, u"a red square and a blue circle"_qs);
    QVERIFY(std::abs(worst[2].trueScore - 0.96f) < 1e-6f && std::abs(worst[2].swappedScore - 1.0f) < 1e-6f);
    // A caption whose image is missing (-1) is left out, with its swaps.
    const CompositionResult partial = scoreComposition(plan, images, captions, swaps, {0, -1, 2, 2},
                                                       {u"i0.png"_qs, u"i1.png"_qs, u"i2.png"_qs});
    QCOMPARE(partial.captions, 2);
    QCOMPARE(partial.kind(SwapKind::Size).n, 0);
    QCOMPARE(partial.kind(SwapKind::Colour).correct, 1);
}

void TestComposition::jsonKeysAndRoundTrip()
{
    const SwapPlan plan = planSwaps({u"a red circle left of a blue square"_qs, u"a dog"_qs});
    const Matrix images = rows({{1, 0}});
    const Matrix captions = rows({{1, 0}, {0, 1}});
    const Matrix swaps = rows({{0, 1}, {0, 1}, {1, 0}, {0.6f, 0.8f}});
    const CompositionResult r = scoreComposition(plan, images, captions, swaps, {0, 0}, {u"a.png"_qs});
    const QJsonObject json = r.toJson(2);
    QCOMPARE(json.keys(), (QStringList{u"examples"_qs, u"kinds"_qs, u"text_cosine"_qs, u"unswappable"_qs}));
    const QJsonObject kinds = json.value(u"kinds"_qs).toObject();
    QCOMPARE(kinds.keys(), (QStringList{u"colour"_qs, u"order"_qs, u"relation"_qs, u"shape"_qs, u"size"_qs}));
    for (const QString &k : kinds.keys())
        QCOMPARE(kinds.value(k).toObject().keys(), (QStringList{u"accuracy"_qs, u"ci95"_qs, u"n"_qs}));
    QVERIFY(kinds.value(u"size"_qs).toObject().value(u"accuracy"_qs).isNull());   // no trials
    QCOMPARE(kinds.value(u"relation"_qs).toObject().value(u"accuracy"_qs).toDouble(), 0.0);  // a tie at 1
    QCOMPARE(json.value(u"unswappable"_qs).toInt(), 1);
    const QJsonArray examples = json.value(u"examples"_qs).toArray();
    QCOMPARE(examples.size(), 2);
    QCOMPARE(examples[0].toObject().keys(), (QStringList{u"caption"_qs, u"image"_qs, u"kind"_qs, u"swapped"_qs,
                                                         u"swapped_score"_qs, u"true_score"_qs}));
    QCOMPARE(examples[0].toObject().value(u"kind"_qs).toString(), u"relation"_qs);
    QCOMPARE(r.accuracies().keys(), (QStringList{u"colour"_qs, u"order"_qs, u"relation"_qs, u"shape"_qs}));

    const CompositionResult back = CompositionResult::fromJson(json);
    for (int k = 0; k < kSwapKindCount; ++k) {
        QCOMPARE(back.kinds[std::size_t(k)].n, r.kinds[std::size_t(k)].n);
        QCOMPARE(back.kinds[std::size_t(k)].correct, r.kinds[std::size_t(k)].correct);
    }
    QCOMPARE(int(back.trials.size()), 2);
    QCOMPARE(back.trials[0].swapped, r.worst(1)[0].swapped);
    QCOMPARE(back.unswappable, 1);
}

void TestComposition::rejectsMismatchedShapes()
{
    const SwapPlan plan = planSwaps({u"a red circle left of a blue square"_qs});
    const Matrix images = rows({{1, 0}});
    const Matrix captions = rows({{1, 0}});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             scoreComposition(plan, images, captions, rows({{1, 0}}), {0}, {u"a"_qs}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             scoreComposition(plan, images, captions, rows({{1, 0}, {1, 0}, {1, 0}, {1, 0}}), {0, 0},
                                              {u"a"_qs}));
}

QTEST_GUILESS_MAIN(TestComposition)
#include "tst_composition.moc"
