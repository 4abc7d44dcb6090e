// cospace-cli tokenize / encode as outside checks drive them, on the tiny CLIP fixture bundle.

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace {

const QString kFixture = QStringLiteral(COSPACE_TINY_CLIP);
const QString kBundle = kFixture + u"/tiny"_qs;

QJsonObject jsonFile(const QString &path)
{
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return QJsonDocument::fromJson(f.readAll()).object();
}

}  // namespace

class TestClipCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void tokenizeMatchesReference();
    void encodeText();
    void encodeImageJson();
    void infoDescribesBundle();
    void savedInputEqualsPil();
    void errors_data();
    void errors();

private:
    struct Run { int code; QByteArray out; QByteArray err; };
    Run cli(const QStringList &args, const QByteArray &input = {});
};

TestClipCli::Run TestClipCli::cli(const QStringList &args, const QByteArray &input)
{
    QProcess p;
    p.start(QStringLiteral(COSPACE_CLI), args);
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(120000))
        return {-1, {}, "timeout"};
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

void TestClipCli::tokenizeMatchesReference()
{
    const QJsonArray cases = jsonFile(QStringLiteral(COSPACE_TEST_DATA "/clip/clip_tokenizer_cases.json"))
                                 .value(u"cases"_qs).toArray();
    QByteArray input;
    QList<QByteArray> expected;
    for (const QJsonValue &v : cases) {
        const QJsonObject c = v.toObject();
        const QString text = c.value(u"text"_qs).toString();
        if (text.contains(u'\n') || text.contains(u'\r'))
            continue;   // one caption per line: multi-line cases cannot be fed this way
        input += text.toUtf8() + '\n';
        const QJsonArray ids = (c.contains(u"encode"_qs) ? c.value(u"encode"_qs) : c.value(u"encode_without_ftfy"_qs)).toArray();
        QByteArray line;
        for (const QJsonValue &id : ids)
            line += (line.isEmpty() ? "" : " ") + QByteArray::number(id.toInt());
        expected << line;
    }
    const Run r = cli({u"tokenize"_qs, u"--model"_qs, kBundle, u"--stats"_qs}, input);
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.err.contains(QByteArray(QByteArray::number(expected.size()) + " captions")), r.err.constData());
    QList<QByteArray> lines = r.out.split('\n');
    QCOMPARE(lines.takeLast(), QByteArray());   // output ends with a newline
    QCOMPARE(lines.size(), expected.size());
    for (int i = 0; i < lines.size(); ++i)
        QCOMPARE(lines[i], expected[i]);
}

void TestClipCli::encodeText()
{
    const QJsonObject ref = jsonFile(kFixture + u"/reference.json"_qs);
    const QString text = ref.value(u"texts"_qs).toArray().at(0).toString();
    const QJsonArray want = ref.value(u"text_embeddings"_qs).toArray().at(0).toArray();
    const Run r = cli({u"encode"_qs, u"--model"_qs, kBundle, u"--text"_qs, text});
    QVERIFY2(r.code == 0, r.err.constData());
    const QList<QByteArray> values = r.out.trimmed().split(' ');
    QCOMPARE(values.size(), want.size());
    for (int j = 0; j < values.size(); ++j)
        QVERIFY(std::abs(values[j].toDouble() - want[j].toDouble()) < 1e-4);
}

void TestClipCli::encodeImageJson()
{
    const QJsonObject ref = jsonFile(kFixture + u"/reference.json"_qs);
    const QJsonObject file = ref.value(u"files"_qs).toArray().at(0).toObject();
    const Run r = cli({u"encode"_qs, u"--model"_qs, kBundle, u"--image"_qs,
                       kFixture + u"/images/"_qs + file.value(u"file"_qs).toString(), u"--json"_qs});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonArray got = QJsonDocument::fromJson(r.out).object().value(u"embedding"_qs).toArray();
    const QJsonArray want = file.value(u"embedding"_qs).toArray();
    QCOMPARE(got.size(), want.size());
    double norm = 0;
    for (int j = 0; j < got.size(); ++j) {
        QVERIFY(std::abs(got[j].toDouble() - want[j].toDouble()) < 1e-4);
        norm += got[j].toDouble() * got[j].toDouble();
    }
    QVERIFY(std::abs(norm - 1) < 1e-4);
}

// `info --json` on a bundle has the keys issue 17 lists for every MODEL, and says it is code.
void TestClipCli::infoDescribesBundle()
{
    const Run r = cli({u"info"_qs, u"--model"_qs, kBundle, u"--json"_qs});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    for (const char *key : {"format", "architecture", "embed_dim", "image_size", "vision", "text", "parameters", "dtype",
                            "tokenizer", "preprocessing", "runs_code"})
        QVERIFY2(o.contains(QLatin1String(key)), key);
    QVERIFY2(o.value(u"format"_qs).toString().startsWith(u"Cospace bundle (TorchScript"_qs), qPrintable(o.value(u"format"_qs).toString()));
    QCOMPARE(o.value(u"embed_dim"_qs).toInt(), 24);
    QCOMPARE(o.value(u"image_size"_qs).toInt(), 64);
    QCOMPARE(o.value(u"runs_code"_qs).toBool(false), true);
    QCOMPARE(o.value(u"dtype"_qs).toString(), u"Float"_qs);
    QVERIFY(o.value(u"parameters"_qs).toDouble() > 49408 * 32);   // at least the token embedding
    QCOMPARE(o.value(u"text"_qs).toObject().value(u"context_length"_qs).toInt(), 77);
    // Without --json: one "key: value" line per field.
    const Run plain = cli({u"info"_qs, u"--model"_qs, kBundle});
    QVERIFY2(plain.code == 0, plain.err.constData());
    QVERIFY2(plain.out.contains("runs_code: yes\n") && plain.out.contains("embed_dim: 24\n"), plain.out.constData());
}

void TestClipCli::savedInputEqualsPil()
{
    // The 1024 x 768 JPEG: with --full-decode the model's input is PIL's bit for bit; by default the
    // JPEG is decoded at 1/4 scale in the DCT domain and differs by a few 8-bit levels.
    const QString image = kFixture + u"/images/large.jpg"_qs;
    QFile pil(image + u".pil.f32"_qs);
    QVERIFY(pil.open(QIODevice::ReadOnly));
    const QByteArray want = pil.readAll();
    QTemporaryDir tmp;
    const QString saved = tmp.filePath(u"input.f32"_qs);
    const Run full = cli({u"encode"_qs, u"--model"_qs, kBundle, u"--image"_qs, image, u"--full-decode"_qs,
                          u"--save-input"_qs, saved});
    QVERIFY2(full.code == 0, full.err.constData());
    QFile f(saved);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll() == want);
    f.close();
    const Run reduced = cli({u"encode"_qs, u"--model"_qs, kBundle, u"--image"_qs, image, u"--save-input"_qs, saved});
    QVERIFY2(reduced.code == 0, reduced.err.constData());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray got = f.readAll();
    QCOMPARE(got.size(), want.size());
    QVERIFY(got != want);
    const auto *a = reinterpret_cast<const float *>(got.constData());
    const auto *b = reinterpret_cast<const float *>(want.constData());
    float maxDiff = 0;
    for (qsizetype i = 0; i < got.size() / 4; ++i)
        maxDiff = std::max(maxDiff, std::abs(a[i] - b[i]));
    QVERIFY2(maxDiff < 0.2f, qPrintable(QString::number(maxDiff)));   // ~13 levels of 255: a loose bound
}

void TestClipCli::errors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("tokenize without model") << QStringList{u"tokenize"_qs} << 2 << QByteArray("usage");
    QTest::newRow("tokenize not a bundle") << QStringList{u"tokenize"_qs, u"--model"_qs, u"/tmp"_qs} << 2
                                           << QByteArray("not a model bundle");
    QTest::newRow("encode both") << QStringList{u"encode"_qs, u"--model"_qs, kBundle, u"--text"_qs, u"a"_qs,
                                                u"--image"_qs, u"b.png"_qs} << 2 << QByteArray("usage");
    QTest::newRow("encode bad image") << QStringList{u"encode"_qs, u"--model"_qs, kBundle, u"--image"_qs,
                                                     QStringLiteral(COSPACE_TEST_DATA "/clip/README.md")}
                                      << 1 << QByteArray("not an image");
    QTest::newRow("encode broken bundle") << QStringList{u"encode"_qs, u"--model"_qs, kFixture + u"/broken/cuda"_qs,
                                                         u"--text"_qs, u"a"_qs} << 1 << QByteArray("re-export");
}

void TestClipCli::errors()
{
    QFETCH(QStringList, args);
    QFETCH(int, code);
    QFETCH(QByteArray, message);
    const Run r = cli(args);
    QCOMPARE(r.code, code);
    const QByteArray all = r.err + r.out;
    QVERIFY2(all.contains(message), all.constData());
}

QTEST_GUILESS_MAIN(TestClipCli)
#include "tst_clipcli.moc"
