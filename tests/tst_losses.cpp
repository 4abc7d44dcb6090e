// Contrastive losses against values computed by hand on 2x2 similarity matrices.

#include "core/train/losses.h"

#include <QTest>

#include <cmath>

using namespace cospace;

namespace {
Matrix mat(std::initializer_list<std::initializer_list<float>> rows)
{
    Matrix m(int(rows.size()), int(rows.begin()->size()));
    int i = 0;
    for (const auto &r : rows) {
        int j = 0;
        for (float v : r)
            m.at(i, j++) = v;
        ++i;
    }
    return m;
}
}  // namespace

using Ids = std::vector<long>;
using Mask = std::vector<char>;
Q_DECLARE_METATYPE(Matrix)
Q_DECLARE_METATYPE(Ids)
Q_DECLARE_METATYPE(Mask)

class TestLosses : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void handComputed_data();
    void handComputed();
    void gradientsFiniteAndNonZero_data();
    void gradientsFiniteAndNonZero();
    void symmetricUnderSwap();
    void extraNegatives_data();
    void extraNegatives();
};

void TestLosses::handComputed_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<Matrix>("images");
    QTest::addColumn<Matrix>("texts");
    QTest::addColumn<Ids>("imageIds");
    QTest::addColumn<Ids>("captionIds");
    QTest::addColumn<double>("expected");

    const Matrix eye = mat({{1, 0}, {0, 1}});
    // sim = [[0.8, 0], [0.96, 0.8]]
    const Matrix a = mat({{1, 0}, {0.6f, 0.8f}});
    const Matrix b = mat({{0.8f, 0.6f}, {0, 1}});
    const int info = int(LossKind::InfoNce), sig = int(LossKind::SigLip), tri = int(LossKind::Triplet);
    // InfoNCE, scale 1: log(1 + e^-1) each way.
    QTest::newRow("infonce identity") << info << eye << eye << Ids{0, 1} << Ids{0, 1} << 0.3132617;
    // Rows: log(1+e^-0.8) and log(1+e^0.16); columns the same two values; mean 0.573722.
    QTest::newRow("infonce asymmetric") << info << a << b << Ids{0, 1} << Ids{0, 1} << 0.5737220;
    // The same image twice in a batch: the other row is not a negative, the loss vanishes.
    QTest::newRow("infonce duplicate image masked") << info << eye << eye << Ids{7, 7} << Ids{0, 1} << 0.0;
    QTest::newRow("infonce duplicate caption masked") << info << eye << eye << Ids{0, 1} << Ids{3, 3} << 0.0;
    // SigLIP t=1, b=0: -(2 log s(1) + 2 log s(0)) / 2.
    QTest::newRow("siglip identity") << sig << eye << eye << Ids{0, 1} << Ids{0, 1} << 1.0064089;
    QTest::newRow("siglip duplicate masked") << sig << eye << eye << Ids{5, 5} << Ids{0, 1} << 0.3132617;
    // Triplet margin 0.2: hardest negative caption of row 1 is 0.2+0.96-0.8 = 0.36, row 0 none;
    // the same for images of column 0; means 0.18 + 0.18.
    QTest::newRow("triplet asymmetric") << tri << a << b << Ids{0, 1} << Ids{0, 1} << 0.36;
    QTest::newRow("triplet duplicate masked") << tri << a << b << Ids{4, 4} << Ids{0, 1} << 0.0;
}

void TestLosses::handComputed()
{
    QFETCH(int, kind);
    QFETCH(Matrix, images);
    QFETCH(Matrix, texts);
    QFETCH(Ids, imageIds);
    QFETCH(Ids, captionIds);
    QFETCH(double, expected);
    LossParams p;
    p.kind = LossKind(kind);
    p.logScale = 0;   // scale / t = 1
    p.bias = 0;
    p.margin = 0.2;
    const LossCheck c = evaluateLoss(images, texts, imageIds, captionIds, p);
    QVERIFY(c.finite);
    QVERIFY2(std::abs(c.loss - expected) < 1e-5, qPrintable(u"%1 vs %2"_qs.arg(c.loss, 0, 'f', 7).arg(expected)));
}

void TestLosses::gradientsFiniteAndNonZero_data()
{
    QTest::addColumn<int>("kind");
    QTest::newRow("infonce") << int(LossKind::InfoNce);
    QTest::newRow("siglip") << int(LossKind::SigLip);
    QTest::newRow("triplet") << int(LossKind::Triplet);
}

void TestLosses::gradientsFiniteAndNonZero()
{
    QFETCH(int, kind);
    // Eight random unit vectors per modality; default (CLIP / SigLIP) initial parameters.
    Matrix img(8, 16), txt(8, 16);
    std::uint32_t state = 12345;
    auto next = [&] { state = state * 1664525u + 1013904223u; return float(state >> 8) / float(1 << 24) - 0.5f; };
    for (Matrix *m : {&img, &txt})
        for (int i = 0; i < 8; ++i) {
            float norm = 0;
            for (int j = 0; j < 16; ++j) { m->at(i, j) = next(); norm += m->at(i, j) * m->at(i, j); }
            for (int j = 0; j < 16; ++j) m->at(i, j) /= std::sqrt(norm);
        }
    LossParams p;
    p.kind = LossKind(kind);
    if (p.kind == LossKind::SigLip)
        p.logScale = std::log(10.0);
    p.margin = 0.5;   // large enough that some hinge is active for random vectors
    const LossCheck c = evaluateLoss(img, txt, {0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7}, p);
    QVERIFY(c.finite);
    QVERIFY(c.loss > 0);
    QVERIFY(c.imageGradNorm > 1e-6);
    QVERIFY(c.textGradNorm > 1e-6);
}

void TestLosses::symmetricUnderSwap()
{
    // InfoNCE is symmetric: swapping the modalities leaves it unchanged.
    const Matrix a = mat({{1, 0}, {0.6f, 0.8f}, {0, 1}});
    const Matrix b = mat({{0.8f, 0.6f}, {0, 1}, {0.28f, 0.96f}});
    LossParams p;
    const double ab = evaluateLoss(a, b, {0, 1, 2}, {0, 1, 2}, p).loss;
    const double ba = evaluateLoss(b, a, {0, 1, 2}, {0, 1, 2}, p).loss;
    QVERIFY(std::abs(ab - ba) < 1e-6);
}

// Swapped captions as extra negatives (NegCLIP), on the 2x2 identity with scale / t = 1, bias 0:
// image 0 gets extra captions [0, 1] (cos 0) and [1, 0] (cos 1), image 1 the mirror image.
void TestLosses::extraNegatives_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<Mask>("valid");
    QTest::addColumn<double>("expected");
    const int info = int(LossKind::InfoNce), sig = int(LossKind::SigLip), tri = int(LossKind::Triplet);
    // All masked: exactly the loss without extras.
    QTest::newRow("infonce, all masked") << info << Mask{0, 0, 0, 0} << 0.3132617;
    // i->t rows become [1, 0 | 0, 1]: log(2e + 2) - 1; t->i stays log(1 + e^-1); halved sum.
    QTest::newRow("infonce, all valid") << info << Mask{1, 1, 1, 1} << 0.6598353;
    // Each image only its own swap (cos 0): rows [1, 0 | 0]: log(e + 2) - 1.
    QTest::newRow("infonce, own swap only") << info << Mask{1, 0, 0, 1} << 0.4323532;
    QTest::newRow("siglip, all masked") << sig << Mask{0, 0, 0, 0} << 1.0064089;
    // Four more z = -1 terms, -(2 log s(0) + 2 log s(-1)), divided by B = 2 like the rest.
    QTest::newRow("siglip, all valid") << sig << Mask{1, 1, 1, 1} << 3.0128177;
    // Margin 0.2: the extra caption at cos 1 is the hardest negative of each image: 0.2 each.
    QTest::newRow("triplet, all valid") << tri << Mask{1, 1, 1, 1} << 0.2;
    QTest::newRow("triplet, the close ones masked") << tri << Mask{1, 0, 0, 1} << 0.0;
}

void TestLosses::extraNegatives()
{
    QFETCH(int, kind);
    QFETCH(Mask, valid);
    QFETCH(double, expected);
    const Matrix eye = mat({{1, 0}, {0, 1}});
    const Matrix extra = mat({{0, 1}, {1, 0}});
    LossParams p;
    p.kind = LossKind(kind);
    p.logScale = 0;
    p.bias = 0;
    p.margin = 0.2;
    const LossCheck c = evaluateLoss(eye, eye, {0, 1}, {0, 1}, p, extra, valid);
    QVERIFY(c.finite);
    QVERIFY2(std::abs(c.loss - expected) < 1e-5, qPrintable(u"%1 vs %2"_qs.arg(c.loss, 0, 'f', 7).arg(expected)));
}

QTEST_GUILESS_MAIN(TestLosses)
#include "tst_losses.moc"
