// Map intelligence (core/analysis, core/projection/semanticaxes.h): hand-checked small cases for
// k-means, the silhouette, label contrast, zero-shot and duplicates; then the default model on 30
// Noto emoji in folders named by category (tests/data/analysis): the hearts' cluster is labelled
// "heart", zero-shot beats chance, a planted re-encoded copy is found; and the CLI's JSON keys.

#include "core/analysis/clusterlabels.h"
#include "core/analysis/duplicates.h"
#include "core/analysis/imageset.h"
#include "core/analysis/zeroshot.h"
#include "core/model/embeddingmodel.h"
#include "core/projection/semanticaxes.h"

#include <QDir>
#include <QImage>
#include <QPainter>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <random>

using namespace cospace;

namespace {

const QString kEmoji = QStringLiteral(COSPACE_TEST_DATA "/analysis/emoji");

Matrix unitRows(const QList<QList<float>> &rows)
{
    Matrix m(int(rows.size()), int(rows.value(0).size()));
    for (int i = 0; i < m.rows; ++i)
        for (int j = 0; j < m.cols; ++j)
            m.at(i, j) = rows[i][j];
    normalizeRows(m);
    return m;
}

QJsonObject runCliJson(const QStringList &args, int *exitCode)
{
    QProcess p;
    p.start(QStringLiteral(COSPACE_CLI), args);
    p.waitForFinished(600000);
    *exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    if (*exitCode != 0)
        qWarning("%s", p.readAllStandardError().constData());
    return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
}

QStringList sortedKeys(const QJsonObject &o)
{
    QStringList k = o.keys();
    k.sort();
    return k;
}

}  // namespace

class TestAnalysis : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void kMeansTwoGroups();
    void silhouetteByHand();
    void autoKFindsThree();
    void autoKOnASample_data();
    void autoKOnASample();
    void labelsAreContrasted();
    void vocabularyWords_data();
    void vocabularyWords();
    void zeroShotByHand();
    void zeroShotEnsembleAverages();
    void duplicatesByHand_data();
    void duplicatesByHand();
    void semanticAxesByHand();
    void axisPairParsing_data();
    void axisPairParsing();
    void heartsLabelledHeart_data();
    void heartsLabelledHeart();
    void zeroShotAboveChance();
    void plantedDuplicateFound();
    void cliJsonKeys();

private:
    std::unique_ptr<EmbeddingModel> m_model;
    QTemporaryDir m_tmp;
    ImageSet m_emoji;
};

void TestAnalysis::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_model = loadModel(u"default"_qs);
    EmbeddingStore store(m_tmp.filePath(u"store.db"_qs));
    m_emoji = embedImageSet(*m_model, store, {kEmoji});
    QCOMPARE(m_emoji.paths.size(), 30);
}

void TestAnalysis::kMeansTwoGroups()
{
    // Two tight groups around e1 and e2; the bigger one (three rows) becomes cluster 0.
    const Matrix x = unitRows({{1, 0.1f, 0}, {1, 0, 0.1f}, {0.1f, 1, 0}, {1, -0.1f, 0}, {0, 1, 0.1f}});
    Matrix c;
    const std::vector<int> a = sphericalKMeans(x, 2, 1, 50, &c);
    QCOMPARE(a, (std::vector<int>{0, 0, 1, 0, 1}));
    QVERIFY(c.at(0, 0) > 0.99f && c.at(1, 1) > 0.99f);
}

void TestAnalysis::silhouetteByHand()
{
    // Points on a circle at angles 0, 0 and 90 degrees, clusters {0, 1} and {2}. Cosine distances:
    // d(0,1) = 0, d(0,2) = d(1,2) = 1. Rows 0 and 1: a = 0, b = 1 -> s = 1. Row 2 is alone -> 0.
    const Matrix x = unitRows({{1, 0}, {1, 0}, {0, 1}});
    QCOMPARE(silhouetteScore(x, {0, 0, 1}), 2.0 / 3.0);
    // The wrong split {0, 2} | {1}: row 0: a = 1, b = 0 -> -1; row 2: a = 1, b = 1 -> 0; row 1 alone.
    QCOMPARE(silhouetteScore(x, {0, 1, 0}), -1.0 / 3.0);
}

void TestAnalysis::autoKFindsThree()
{
    QList<QList<float>> rows;
    for (int c = 0; c < 3; ++c)
        for (int i = 0; i < 12; ++i) {
            QList<float> r(6, 0.f);
            r[c] = 1.f;
            r[3 + (i % 3)] = 0.05f * float(i % 4);
            rows << r;
        }
    const Clustering cl = clusterEmbeddings(unitRows(rows));
    QCOMPARE(cl.k, 3);
    QVERIFY(cl.silhouette > 0.9);
    QVERIFY(!cl.silhouetteByK.isEmpty());
}

// Past autoSample rows k is chosen on a sample and every row joins its nearest centroid: on four
// separated groups (noisy, interleaved in a periodic row order that an evenly spaced sample of 300
// aliases with: it saw only the largest group) the same k and the same partition as without the
// sample, every row assigned, clusters numbered largest first.
void TestAnalysis::autoKOnASample_data()
{
    QTest::addColumn<int>("autoSample");
    QTest::newRow("no sample") << 0;
    QTest::newRow("sample of 300") << 300;
    QTest::newRow("sample of 1999") << 1999;
}

void TestAnalysis::autoKOnASample()
{
    QFETCH(int, autoSample);
    const int n = 2000, d = 8;
    Matrix x(n, d);
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0.f, 0.05f);
    std::vector<int> truth(n);
    for (int i = 0; i < n; ++i) {
        truth[std::size_t(i)] = (i * 7) % 10 < 4 ? 0 : (i % 3 == 0 ? 1 : (i % 3 == 1 ? 2 : 3));   // uneven sizes
        for (int j = 0; j < d; ++j)
            x.at(i, j) = noise(rng);
        x.at(i, truth[std::size_t(i)]) += 1.f;
    }
    normalizeRows(x);
    ClusterParams params;
    params.autoSample = autoSample;
    const Clustering c = clusterEmbeddings(x, params);
    QCOMPARE(c.k, 4);
    QCOMPARE(int(c.assignment.size()), n);
    QCOMPARE(c.centroids.rows, 4);
    std::vector<int> sizes(4, 0), label(4, -1);
    for (int i = 0; i < n; ++i) {
        const int a = c.assignment[std::size_t(i)], t = truth[std::size_t(i)];
        QVERIFY(a >= 0 && a < 4);
        if (label[std::size_t(t)] < 0)
            label[std::size_t(t)] = a;
        QCOMPARE(a, label[std::size_t(t)]);   // one cluster per group
        ++sizes[std::size_t(a)];
    }
    QVERIFY(std::is_sorted(sizes.rbegin(), sizes.rend()));
    QVERIFY(c.silhouette > 0.8);
}

void TestAnalysis::labelsAreContrasted()
{
    // Centroids e1 and e2. "photo" is close to both (cos 0.7 each): the best absolute match of each
    // cluster, yet it labels neither; "red" (e1) and "blue" (e2) do: contrast 0.6 - 0.0 > 0.7 - 0.7.
    Clustering c;
    c.k = 2;
    c.assignment = {0, 1};
    c.centroids = unitRows({{1, 0, 0}, {0, 1, 0}});
    Vocabulary v{{u"photo"_qs, u"red"_qs, u"blue"_qs}, unitRows({{0.7f, 0.7f, 0.14f}, {0.6f, 0, 0.8f}, {0, 0.6f, 0.8f}})};
    const QList<ClusterSummary> s = labelClusters(c, v, 3);
    QCOMPARE(s[0].label, u"red"_qs);
    QCOMPARE(s[1].label, u"blue"_qs);
    QCOMPARE(s[0].words.last().first, u"blue"_qs);
    QVERIFY(std::abs(s[0].words[0].second - 0.6f) < 1e-5);   // 0.6 - 0.0
    QVERIFY(std::abs(s[0].words[1].second - 0.0f) < 1e-3);   // photo: 0.70 - 0.70
}

void TestAnalysis::vocabularyWords_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("words");
    QTest::newRow("stop words and case") << u"A Red Heart on the table"_qs << QStringList{u"red"_qs, u"heart"_qs, u"table"_qs};
    QTest::newRow("hyphen and apostrophe") << u"man's ice-cream, 2 cones!"_qs << QStringList{u"man's"_qs, u"ice-cream"_qs, u"cones"_qs};
    QTest::newRow("unicode letters") << u"Café crème"_qs << QStringList{u"café"_qs, u"crème"_qs};
}

void TestAnalysis::vocabularyWords()
{
    QFETCH(QString, text);
    QFETCH(QStringList, words);
    QCOMPARE(wordsOf(text), words);
    // The default model's learned tokenizer has whole words, "heart" among them.
    const QStringList vocab = labelVocabulary(*m_model, {text});
    QCOMPARE(vocab.mid(0, words.size()), words);
    QVERIFY(vocab.contains(u"heart"_qs));
    QVERIFY(!vocab.contains(u"the"_qs));
}

void TestAnalysis::zeroShotByHand()
{
    // Classes along e1 and e2; an image at 30 degrees from e1: logits 100 cos 30, 100 cos 60.
    const Matrix classes = unitRows({{1, 0}, {0, 1}});
    const Matrix images = unitRows({{std::cos(0.5236f), std::sin(0.5236f)}, {0, 1}});
    const ZeroShotResult r = classify(images, {u"/x/a/1.png"_qs, u"/x/B/2.png"_qs}, {u"a"_qs, u"b"_qs}, classes);
    QCOMPARE(r.items[0].predicted, 0);
    const double expected = 1.0 / (1.0 + std::exp(100.0 * (std::cos(1.0472) - std::cos(0.5236))));
    QVERIFY(std::abs(r.items[0].probability - expected) < 1e-4);
    QCOMPARE(r.items[1].predicted, 1);
    QCOMPARE(r.items[1].truth, 1);   // folder "B" names class "b", case-insensitively
    QCOMPARE(*r.accuracy, 1.0);
    QCOMPARE(r.confusion, (QList<QList<int>>{{1, 0}, {0, 1}}));
    const ZeroShotResult none = classify(images, {u"/x/c/1.png"_qs, u"/x/b/2.png"_qs}, {u"a"_qs, u"b"_qs}, classes);
    QVERIFY(!none.accuracy);
    QCOMPARE(sortedKeys(none.toJson()), QStringList{u"items"_qs});
    QCOMPARE(sortedKeys(r.toJson()), (QStringList{u"accuracy"_qs, u"confusion"_qs, u"items"_qs, u"per_class"_qs}));
}

void TestAnalysis::zeroShotEnsembleAverages()
{
    // The class vector is the renormalised mean of its templates' unit embeddings.
    const QStringList templates{u"a photo of a {}."_qs, u"a drawing of a {}."_qs};
    const Matrix c = classEmbeddings(*m_model, {u"heart"_qs}, templates);
    Matrix t = m_model->encodeTexts({u"a photo of a heart."_qs, u"a drawing of a heart."_qs});
    Matrix mean(1, t.cols);
    for (int j = 0; j < t.cols; ++j)
        mean.at(0, j) = t.at(0, j) + t.at(1, j);
    normalizeRows(mean);
    for (int j = 0; j < t.cols; ++j)
        QVERIFY(std::abs(mean.at(0, j) - c.at(0, j)) < 1e-5);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, classEmbeddings(*m_model, {u"x"_qs}, {u"no placeholder"_qs}));
}

void TestAnalysis::duplicatesByHand_data()
{
    QTest::addColumn<float>("threshold");
    QTest::addColumn<int>("groups");
    QTest::addColumn<int>("firstSize");
    QTest::addColumn<float>("minSimilarity");
    // Rows 0, 1, 2 at 0, 10 and 20 degrees, row 3 at 90: cos 10 deg = 0.9848, cos 20 deg = 0.9397.
    QTest::newRow("0.98 chains 0-1-2") << 0.98f << 1 << 3 << 0.9397f;
    QTest::newRow("0.99 finds none") << 0.99f << 0 << 0 << 0.f;
    QTest::newRow("exactly at cos 10 deg") << 0.98480775f << 1 << 3 << 0.9397f;
}

void TestAnalysis::duplicatesByHand()
{
    QFETCH(float, threshold);
    QFETCH(int, groups);
    QFETCH(int, firstSize);
    QFETCH(float, minSimilarity);
    const auto at = [](double deg) { return QList<float>{float(std::cos(deg * M_PI / 180)), float(std::sin(deg * M_PI / 180))}; };
    const Matrix x = unitRows({at(0), at(10), at(20), at(90)});
    DuplicateParams p;
    p.threshold = threshold;
    p.outlierNeighbours = 1;
    const DuplicateResult r = findDuplicates(x, {}, p);
    QCOMPARE(r.groups.size(), groups);
    if (groups > 0) {
        QCOMPARE(r.groups[0].members.size(), firstSize);
        QVERIFY(std::abs(r.groups[0].minSimilarity - minSimilarity) < 1e-3);
        QVERIFY(!r.groups[0].exact);
    }
    // Row 3 (90 degrees) is the outlier: its nearest other row is 70 degrees away.
    QCOMPARE(r.outliers[0].row, 3);
    QVERIFY(std::abs(r.outliers[0].score - (1 - std::cos(70 * M_PI / 180))) < 1e-4);
}

void TestAnalysis::semanticAxesByHand()
{
    // Poles a = e1, b = e2 (x), c = e3, d = -e3 (y): x = v1 - v2, y = 2 v3.
    const Matrix poles = unitRows({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, -1}});
    const Matrix v = unitRows({{1, 0, 0}, {0, 1, 0}, {0.6f, 0, 0.8f}});
    const Matrix xy = placeOnAxes(v, poles);
    QCOMPARE(xy.at(0, 0), 1.f);
    QCOMPARE(xy.at(1, 0), -1.f);
    QVERIFY(std::abs(xy.at(2, 0) - 0.6f) < 1e-6 && std::abs(xy.at(2, 1) - 1.6f) < 1e-6);
    // Without a y pair, y is PCA of the rest: x stays the same.
    Matrix two(2, 3);
    for (int j = 0; j < 3; ++j) {
        two.at(0, j) = poles.at(0, j);
        two.at(1, j) = poles.at(1, j);
    }
    const Matrix xpca = placeOnAxes(v, two);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(xpca.at(i, 0), xy.at(i, 0));
}

void TestAnalysis::axisPairParsing_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("positive");
    QTest::addColumn<QString>("negative");
    QTest::newRow("spaces") << u"night | day"_qs << u"night"_qs << u"day"_qs;
    QTest::newRow("tight") << u"indoor|outdoor"_qs << u"indoor"_qs << u"outdoor"_qs;
    QTest::newRow("no bar") << u"night day"_qs << QString() << QString();
    QTest::newRow("empty side") << u"night |"_qs << QString() << QString();
}

void TestAnalysis::axisPairParsing()
{
    QFETCH(QString, text);
    QFETCH(QString, positive);
    QFETCH(QString, negative);
    if (positive.isEmpty()) {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseAxisPair(text));
        return;
    }
    const AxisPair p = parseAxisPair(text);
    QCOMPARE(p.positive, positive);
    QCOMPARE(p.negative, negative);
}

void TestAnalysis::heartsLabelledHeart_data()
{
    QTest::addColumn<int>("k");
    QTest::newRow("k = 4 (the folders)") << 4;
    QTest::newRow("k auto (silhouette)") << 0;
}

void TestAnalysis::heartsLabelledHeart()
{
    QFETCH(int, k);
    ClusterParams params;
    params.k = k;
    const Clustering c = clusterEmbeddings(m_emoji.vectors, params);
    // Built-in vocabulary only (the fixture has no captions): the model's own words.
    const Vocabulary vocab = encodeVocabulary(*m_model, labelVocabulary(*m_model, {}));
    const QList<ClusterSummary> clusters = labelClusters(c, vocab);
    // The cluster holding most of the hearts.
    int best = -1, bestHearts = 0;
    for (const ClusterSummary &s : clusters) {
        int hearts = 0;
        for (int i : s.members)
            hearts += m_emoji.paths[i].contains(u"/heart/"_qs);
        if (hearts > bestHearts) {
            best = s.id;
            bestHearts = hearts;
        }
    }
    QVERIFY(best >= 0);
    QVERIFY2(bestHearts >= 6, qPrintable(u"the hearts are spread: %1 of 8 in one cluster"_qs.arg(bestHearts)));
    QStringList words;
    for (const auto &[w, s] : clusters[best].words)
        words << w;
    QVERIFY2(clusters[best].label == u"heart"_qs,
             qPrintable(u"k = %1: hearts' cluster labelled '%2' (%3)"_qs.arg(c.k).arg(clusters[best].label, words.join(u", "_qs))));
}

void TestAnalysis::zeroShotAboveChance()
{
    const QStringList classes{u"heart"_qs, u"cat"_qs, u"car"_qs, u"tree"_qs};
    const ZeroShotResult r = classify(m_emoji.vectors, m_emoji.paths, classes,
                                      classEmbeddings(*m_model, classes, defaultZeroShotTemplates()));
    QVERIFY(r.accuracy.has_value());
    qInfo("zero-shot accuracy on 4 emoji folders: %.3f (chance 0.25)", *r.accuracy);
    QVERIFY2(*r.accuracy > 0.5, qPrintable(QString::number(*r.accuracy)));
    int total = 0;
    for (const QList<int> &row : r.confusion)
        for (int n : row)
            total += n;
    QCOMPARE(total, 30);
}

void TestAnalysis::plantedDuplicateFound()
{
    // The folder, plus a red heart re-encoded as JPEG at half size and a byte-identical copy of a cat.
    QTemporaryDir dir;
    QVERIFY(QDir().mkpath(dir.filePath(u"set"_qs)));
    for (const QString &sub : QDir(kEmoji).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        for (const QString &f : QDir(kEmoji + u'/' + sub).entryList(QDir::Files))
            QVERIFY(QFile::copy(kEmoji + u'/' + sub + u'/' + f, dir.filePath(u"set/"_qs + sub + u'-' + f)));
    QImage heart(kEmoji + u"/heart/2764-fe0f.png"_qs);
    QImage flat(heart.size(), QImage::Format_RGB32);
    flat.fill(Qt::white);
    QPainter(&flat).drawImage(0, 0, heart);
    QVERIFY(flat.scaled(32, 32, Qt::IgnoreAspectRatio, Qt::SmoothTransformation).save(dir.filePath(u"set/zz-heart-copy.jpg"_qs), "JPEG", 75));
    QVERIFY(QFile::copy(kEmoji + u"/cat/1f431.png"_qs, dir.filePath(u"set/zz-cat-copy.png"_qs)));
    EmbeddingStore store(dir.filePath(u"store.db"_qs));
    const ImageSet set = embedImageSet(*m_model, store, {dir.filePath(u"set"_qs)});
    const DuplicateResult r = findDuplicates(set.vectors, fileHashes(set.paths));
    auto groupOf = [&](const QString &name) -> const DuplicateGroup * {
        for (const DuplicateGroup &g : r.groups)
            for (int i : g.members)
                if (set.paths[i].endsWith(name))
                    return &g;
        return nullptr;
    };
    const DuplicateGroup *h = groupOf(u"zz-heart-copy.jpg"_qs);
    QVERIFY2(h, "the re-encoded heart has no group");
    QVERIFY(h == groupOf(u"heart-2764-fe0f.png"_qs));
    QVERIFY(!h->exact);
    // The byte-identical cat is in its original's group too; at 0.95 other cat faces join it (distinct
    // cat emoji score 0.96 with each other), so check "exact" where only identical files group.
    const DuplicateGroup *c = groupOf(u"zz-cat-copy.png"_qs);
    QVERIFY(c && c == groupOf(u"cat-1f431.png"_qs));
    DuplicateParams strict;
    strict.threshold = 0.9999f;
    const DuplicateResult identical = findDuplicates(set.vectors, fileHashes(set.paths), strict);
    QCOMPARE(identical.groups.size(), 1);
    QVERIFY(identical.groups[0].exact);
    QCOMPARE(identical.groups[0].members.size(), 2);
    QVERIFY(set.paths[identical.groups[0].members[1]].endsWith(u"zz-cat-copy.png"_qs));
    qInfo("re-encoded heart: min similarity %.4f; %d groups among %d images", h->minSimilarity, int(r.groups.size()),
          int(set.paths.size()));
}

void TestAnalysis::cliJsonKeys()
{
    QTemporaryDir dir;
    const QString store = dir.filePath(u"cli.db"_qs);
    QFile classes(dir.filePath(u"classes.txt"_qs));
    QVERIFY(classes.open(QIODevice::WriteOnly));
    classes.write("heart\ncat\ncar\ntree\n");
    classes.close();
    int code = 0;
    const QJsonObject cl = runCliJson({u"clusters"_qs, kEmoji, u"--model"_qs, u"default"_qs, u"--store"_qs, store,
                                       u"--k"_qs, u"4"_qs, u"--json"_qs}, &code);
    QCOMPARE(code, 0);
    QCOMPARE(sortedKeys(cl), QStringList{u"clusters"_qs});
    QCOMPARE(cl[u"clusters"_qs].toArray().size(), 4);
    QCOMPARE(sortedKeys(cl[u"clusters"_qs][0].toObject()),
             (QStringList{u"id"_qs, u"label"_qs, u"members"_qs, u"size"_qs, u"words"_qs}));
    const QJsonObject zs = runCliJson({u"classify"_qs, kEmoji, u"--model"_qs, u"default"_qs, u"--store"_qs, store,
                                       u"--classes"_qs, classes.fileName(), u"--json"_qs}, &code);
    QCOMPARE(code, 0);
    QCOMPARE(sortedKeys(zs), (QStringList{u"accuracy"_qs, u"confusion"_qs, u"items"_qs, u"per_class"_qs}));
    QCOMPARE(sortedKeys(zs[u"items"_qs][0].toObject()),
             (QStringList{u"class"_qs, u"path"_qs, u"probability"_qs, u"top"_qs}));
    const QJsonObject du = runCliJson({u"duplicates"_qs, kEmoji, u"--model"_qs, u"default"_qs, u"--store"_qs, store,
                                       u"--json"_qs}, &code);
    QCOMPARE(code, 0);
    QCOMPARE(sortedKeys(du), (QStringList{u"groups"_qs, u"outliers"_qs}));
    QCOMPARE(sortedKeys(du[u"outliers"_qs][0].toObject()), (QStringList{u"path"_qs, u"score"_qs}));
    // Semantic axes through `project`: one row per stored item, two columns.
    const QString out = dir.filePath(u"axes.npy"_qs);
    QProcess p;
    p.start(QStringLiteral(COSPACE_CLI), {u"project"_qs, u"--store"_qs, store, u"--model"_qs, u"default"_qs,
                                          u"--method"_qs, u"axes"_qs, u"--x"_qs, u"heart|car"_qs, u"--out"_qs, out});
    QVERIFY(p.waitForFinished(600000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(QFileInfo::exists(out) && QFileInfo::exists(dir.filePath(u"axes.tsv"_qs)));
}

QTEST_GUILESS_MAIN(TestAnalysis)
#include "tst_analysis.moc"
