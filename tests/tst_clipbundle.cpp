// CLIP bundles: C++ embeddings equal the Python model's (tests/fixtures/make_tiny_clip.py), the
// preprocessing equals PIL + torchvision's arithmetic, and every broken bundle gets its message.

#include "scopedlimit.h"
#include "core/model/clipbundle.h"
#include "core/model/clippreprocess.h"
#include "core/model/embeddingmodel.h"
#include "core/data/imagedecode.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <functional>
#include <optional>

using namespace cospace;

namespace {

const QString kFixture = QStringLiteral(COSPACE_TINY_CLIP);
const QString kBundle = kFixture + u"/tiny"_qs;

// Tolerances (documented in README "Model bundles").
constexpr double kSameInputTol = 1e-4;     // same preprocessed input: C++ vs Python embeddings
constexpr double kFullDecodeTol = 1e-4;    // from raw files, full-size decode (preprocessing is exact)
constexpr double kReducedJpegTol = 0.01;   // from a raw JPEG decoded at 1/4 in the DCT domain (measured 6e-4)

QJsonObject reference()
{
    QFile f(kFixture + u"/reference.json"_qs);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("reference.json missing: run the clip_fixture test (make_tiny_clip.py) first");
    return QJsonDocument::fromJson(f.readAll()).object();
}

std::vector<float> readF32(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray b = f.readAll();
    std::vector<float> v(std::size_t(b.size()) / sizeof(float));
    std::memcpy(v.data(), b.constData(), v.size() * sizeof(float));
    return v;
}

double maxAbsDiff(const float *a, const QJsonArray &b)
{
    double m = 0;
    for (int j = 0; j < b.size(); ++j)
        m = std::max(m, std::abs(double(a[j]) - b[j].toDouble()));
    return m;
}

bool copyDir(const QString &from, const QString &to)
{
    QDir().mkpath(to);
    for (const QString &name : QDir(from).entryList(QDir::Files))
        if (!QFile::copy(from + u'/' + name, to + u'/' + name))
            return false;
    return true;
}

void editJson(const QString &dir, const std::function<void(QJsonObject &)> &edit)
{
    QFile f(dir + u"/cospace-model.json"_qs);
    f.open(QIODevice::ReadOnly);
    QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    f.close();
    edit(o);
    f.open(QIODevice::WriteOnly | QIODevice::Truncate);
    f.write(QJsonDocument(o).toJson());
}

}  // namespace

class TestClipBundle : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void sameInputMatchesPython();
    void textsMatchPython();
    void preprocessingMatchesPil_data();
    void preprocessingMatchesPil();
    void rawFilesMatchPython_data();
    void rawFilesMatchPython();
    void fingerprint();
    void loadErrors_data();
    void loadErrors();
    void archiveCutAnywhere();
    void metadataFuzzFindings_data();
    void metadataFuzzFindings();

private:
    std::unique_ptr<EmbeddingModel> m_model;
    QJsonObject m_ref;
};

void TestClipBundle::initTestCase()
{
    m_ref = reference();
    m_model = loadModel(kBundle);
    QCOMPARE(m_model->embedDim(), m_ref.value(u"embed_dim"_qs).toInt());
    QCOMPARE(m_model->imageSize(), m_ref.value(u"image_size"_qs).toInt());
    QCOMPARE(m_model->name(), u"Tiny CLIP (random, test fixture)"_qs);
}

void TestClipBundle::sameInputMatchesPython()
{
    const std::vector<float> pixels = readF32(kFixture + u"/pixels.f32"_qs);
    const QJsonArray want = m_ref.value(u"pixel_embeddings"_qs).toArray();
    const Matrix got = m_model->encodePreprocessed(pixels, int(want.size()));
    QCOMPARE(got.rows, int(want.size()));
    for (int i = 0; i < got.rows; ++i) {
        const double d = maxAbsDiff(got.row(i), want[i].toArray());
        qInfo("image %d: max |C++ - Python| = %.2g", i, d);
        QVERIFY2(d < kSameInputTol, qPrintable(QString::number(d)));
        double norm = 0;
        for (int j = 0; j < got.cols; ++j)
            norm += double(got.at(i, j)) * got.at(i, j);
        QVERIFY(std::abs(norm - 1.0) < 1e-5);
    }
    // Batch size must not change a row.
    const std::vector<float> one(pixels.begin() + std::ptrdiff_t(pixels.size() / 3), pixels.begin() + std::ptrdiff_t(2 * pixels.size() / 3));
    QVERIFY(maxAbsDiff(m_model->encodePreprocessed(one, 1).row(0), want[1].toArray()) < kSameInputTol);
}

void TestClipBundle::textsMatchPython()
{
    QStringList texts;
    for (const QJsonValue &v : m_ref.value(u"texts"_qs).toArray())
        texts << v.toString();
    const QJsonArray want = m_ref.value(u"text_embeddings"_qs).toArray();
    const Matrix got = m_model->encodeTexts(texts);
    QCOMPARE(got.rows, texts.size());
    for (int i = 0; i < got.rows; ++i) {
        const double d = maxAbsDiff(got.row(i), want[i].toArray());
        QVERIFY2(d < kSameInputTol, qPrintable(u"%1: %2"_qs.arg(texts[i]).arg(d)));
    }
}

void TestClipBundle::preprocessingMatchesPil_data()
{
    QTest::addColumn<QString>("file");
    for (const QJsonValue &v : m_ref.value(u"files"_qs).toArray()) {
        const QString f = v.toObject().value(u"file"_qs).toString();
        QTest::newRow(f.toUtf8().constData()) << f;
    }
}

void TestClipBundle::preprocessingMatchesPil()
{
    QFETCH(QString, file);
    const QString path = kFixture + u"/images/"_qs + file;
    const DecodedImage img = decodeImageFile(path, {});
    QVERIFY2(img.ok(), qPrintable(img.reason));
    const std::vector<float> got = m_model->preprocess(img.image);
    const std::vector<float> pil = readF32(path + u".pil.f32"_qs);
    QCOMPARE(got.size(), pil.size());
    double maxDiff = 0, sum = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double d = std::abs(double(got[i]) - pil[i]);
        maxDiff = std::max(maxDiff, d);
        sum += d;
    }
    // One 8-bit level is 1 / (255 * std) ~ 0.015 after normalisation.
    qInfo("%s: preprocessed vs PIL: max |diff| = %.3g, mean = %.3g", qPrintable(file), maxDiff, sum / double(got.size()));
    QVERIFY2(maxDiff < 1e-5, qPrintable(QString::number(maxDiff)));
}

void TestClipBundle::rawFilesMatchPython_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("reduction");
    QTest::addColumn<double>("tolerance");
    for (const QJsonValue &v : m_ref.value(u"files"_qs).toArray()) {
        const QString f = v.toObject().value(u"file"_qs).toString();
        QTest::newRow(qPrintable(f + u" full"_qs)) << f << 0 << kFullDecodeTol;
        if (f == u"large.jpg")
            QTest::newRow(qPrintable(f + u" reduced"_qs)) << f << 4 << kReducedJpegTol;
    }
}

void TestClipBundle::rawFilesMatchPython()
{
    QFETCH(QString, file);
    QFETCH(int, reduction);
    QFETCH(double, tolerance);
    DecodeOptions options;
    options.minShortSide = reduction ? 2 * m_model->imageSize() : 0;   // the embedding pipeline's setting
    const DecodedImage img = decodeImageFile(kFixture + u"/images/"_qs + file, options);
    QVERIFY2(img.ok(), qPrintable(img.reason));
    QCOMPARE(img.reduction, reduction ? reduction : 1);
    const Matrix got = m_model->encodeImages({img.image});
    QJsonArray want;
    for (const QJsonValue &v : m_ref.value(u"files"_qs).toArray())
        if (v.toObject().value(u"file"_qs).toString() == file)
            want = v.toObject().value(u"embedding"_qs).toArray();
    const double d = maxAbsDiff(got.row(0), want);
    double cosine = 0;
    for (int j = 0; j < got.cols; ++j)
        cosine += got.at(0, j) * want[j].toDouble();
    qInfo("%s (DCT reduction 1/%d): max |C++ - Python| = %.3g, cosine = %.6f", qPrintable(file), img.reduction, d, cosine);
    QVERIFY2(d < tolerance, qPrintable(QString::number(d)));
}

void TestClipBundle::fingerprint()
{
    const QString fp = m_model->fingerprint();
    QVERIFY(fp.startsWith(u"clip:"_qs));
    QCOMPARE(loadModel(kBundle)->fingerprint(), fp);
    QTemporaryDir tmp;
    QVERIFY(copyDir(kBundle, tmp.path()));
    editJson(tmp.path(), [](QJsonObject &o) { o[u"name"_qs] = u"renamed"_qs; });
    QVERIFY(loadModel(tmp.path())->fingerprint() != fp);
}

void TestClipBundle::loadErrors_data()
{
    QTest::addColumn<QString>("source");   // bundle to copy
    QTest::addColumn<int>("breakage");
    QTest::addColumn<QString>("message");
    enum Breakage { None, NoJson, NoModel, NoVocab, Format2, BadJson, Truncated, Garbage, WrongDim, Oversized, HugeImage,
           HugeDim };
    const QString broken = kFixture + u"/broken/"_qs;
    QTest::newRow("missing json") << kBundle << int(NoJson) << u"cospace-model.json is missing"_qs;
    QTest::newRow("missing model.pt") << kBundle << int(NoModel) << u"model.pt is missing"_qs;
    QTest::newRow("missing vocab") << kBundle << int(NoVocab) << u"vocabulary bpe_simple_vocab_16e6.txt.gz"_qs;
    QTest::newRow("unknown format") << kBundle << int(Format2) << u"unknown bundle format 2"_qs;
    QTest::newRow("invalid json") << kBundle << int(BadJson) << u"not valid JSON"_qs;
    QTest::newRow("truncated archive") << kBundle << int(Truncated) << u"corrupt or truncated"_qs;
    QTest::newRow("not an archive") << kBundle << int(Garbage) << u"corrupt or truncated"_qs;
    QTest::newRow("dimension mismatch") << kBundle << int(WrongDim) << u"says embed_dim 512"_qs;
    // Hostile sizes are refused before LibTorch reads the archive or a buffer is allocated.
    QTest::newRow("model.pt above max-model-mb") << kBundle << int(Oversized) << u"above the model size limit of 1 MiB"_qs;
    QTest::newRow("giant image size") << kBundle << int(HugeImage) << u"image.size one from 1 to 1024"_qs;
    QTest::newRow("giant embed_dim") << kBundle << int(HugeDim) << u"embed_dim must be a whole number from 1 to 16384"_qs;
    QTest::newRow("missing method") << broken + u"no_text"_qs << int(None) << u"has no encode_text method"_qs;
    QTest::newRow("cuda graph") << broken + u"cuda"_qs << int(None) << u"tied to CUDA"_qs;
    QTest::newRow("unknown operator") << broken + u"unknown_op"_qs << int(None) << u"torch 1.13.x"_qs;
}

void TestClipBundle::loadErrors()
{
    QFETCH(QString, source);
    QFETCH(int, breakage);
    QFETCH(QString, message);
    QTemporaryDir tmp;
    const QString dir = tmp.path() + u"/bundle"_qs;
    QVERIFY(copyDir(source, dir));
    const QString model = dir + u"/model.pt"_qs;
    switch (breakage) {
    case 1: QVERIFY(QFile::remove(dir + u"/cospace-model.json"_qs)); break;
    case 2: QVERIFY(QFile::remove(model)); break;
    case 3: QVERIFY(QFile::remove(dir + u"/bpe_simple_vocab_16e6.txt.gz"_qs)); break;
    case 4: editJson(dir, [](QJsonObject &o) { o[u"format"_qs] = 2; }); break;
    case 5: {
        QFile f(dir + u"/cospace-model.json"_qs);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("{\"format\": 1, \"name\": ");
        break;
    }
    case 6: QVERIFY(QFile::resize(model, QFileInfo(model).size() / 2)); break;
    case 7: {
        QFile f(model);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QByteArray(4096, 'x'));
        break;
    }
    case 8: editJson(dir, [](QJsonObject &o) { o[u"embed_dim"_qs] = 512; }); break;
    case 10:
        editJson(dir, [](QJsonObject &o) {
            QJsonObject image = o[u"image"_qs].toObject();
            image[u"size"_qs] = 100000;
            o[u"image"_qs] = image;
        });
        break;
    case 11: editJson(dir, [](QJsonObject &o) { o[u"embed_dim"_qs] = 1 << 30; }); break;
    default: break;
    }
    std::optional<testing::ScopedLimit> small;
    if (breakage == 9)   // Oversized: the tiny bundle's model.pt is 6.5 MiB
        small.emplace(&Limits::maxModelMB, 1);
    try {
        loadModel(dir);
        QFAIL("loaded a broken bundle");
    } catch (const std::runtime_error &e) {
        const QString what = QString::fromUtf8(e.what());
        qInfo("%s", qPrintable(what.left(300)));
        QVERIFY2(what.contains(message), qPrintable(what));
        QVERIFY2(what.contains(dir), "the message names the bundle or its file");
    }
}

void TestClipBundle::archiveCutAnywhere()
{
    // Never a crash, always the archive's name: model.pt cut at several points.
    QTemporaryDir tmp;
    const QString dir = tmp.path() + u"/bundle"_qs;
    QVERIFY(copyDir(kBundle, dir));
    const QString model = dir + u"/model.pt"_qs;
    const qint64 size = QFileInfo(model).size();
    for (double keep : {0.999, 0.9, 0.5, 0.1, 0.001}) {
        QVERIFY(QFile::resize(model, qint64(double(size) * keep)));
        try {
            loadModel(dir);
            QFAIL("loaded a cut archive");
        } catch (const std::runtime_error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(u"model.pt"_qs), e.what());
        }
    }
}

// cospace-model.json files kept in tests/data/fuzz/clipbundle (fuzz_clipbundle's contract: a bundle
// that loads has finite preprocessing numbers): each is refused with the field and the file named.
void TestClipBundle::metadataFuzzFindings_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("message");
    QTest::newRow("mean beyond float") << u"mean-beyond-float.json"_qs << u"image.mean must be a list of 3 numbers; 1e+39"_qs;
    QTest::newRow("std beyond float") << u"std-beyond-float.json"_qs << u"image.std must be a list of 3 numbers; 1e+300"_qs;
    QTest::newRow("mean as text") << u"mean-string.json"_qs << u"image.mean must be a list of 3 numbers; \"0.48\""_qs;
}

void TestClipBundle::metadataFuzzFindings()
{
    QFETCH(QString, file);
    QFETCH(QString, message);
    QTemporaryDir tmp;
    QVERIFY(QFile::copy(QStringLiteral(COSPACE_TEST_DATA "/fuzz/clipbundle/") + file, tmp.filePath(u"cospace-model.json"_qs)));
    for (const QString &name : {u"model.pt"_qs, u"bpe_simple_vocab_16e6.txt.gz"_qs}) {
        QFile f(tmp.filePath(name));
        QVERIFY(f.open(QIODevice::WriteOnly));
    }
    try {
        readClipBundleInfo(tmp.path());
        QFAIL("accepted metadata with unusable numbers");
    } catch (const std::runtime_error &e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.contains(message), qPrintable(what));
        QVERIFY2(what.contains(tmp.filePath(u"cospace-model.json"_qs)), qPrintable(what));
    }
}

QTEST_GUILESS_MAIN(TestClipBundle)
#include "tst_clipbundle.moc"
