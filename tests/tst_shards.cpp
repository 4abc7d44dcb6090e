// WebDataset / img2dataset shards as a source: grouping by key, item paths, member bytes read in
// place, hostile tars (each a clear issue, the rest proceeds), brace patterns, the index cache
// (an unchanged shard is not read again), embedding and paired data (captions, eval, training),
// and the command line end to end (layout, embed, search, export).

#include "fakemodel_p.h"
#include "tarfixture_p.h"

#include "core/data/captionfile.h"
#include "core/data/dataset.h"
#include "core/data/imagedecode.h"
#include "core/data/shapesdemo.h"
#include "core/data/shards.h"
#include "core/store/embedpipeline.h"
#include "core/train/trainer.h"

#include <QBuffer>
#include <QDir>
#include <QDirIterator>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace cospace;
using namespace cospace::test;

namespace {

QByteArray png(QColor colour, int side = 16)
{
    QImage img(side, side, QImage::Format_RGB888);
    img.fill(colour);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    img.save(&buffer, "PNG");
    return bytes;
}

QByteArray jpeg(QColor colour, int side = 16)
{
    QImage img(side, side, QImage::Format_RGB888);
    img.fill(colour);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    img.save(&buffer, "JPG", 95);
    return bytes;
}

bool hasIssue(const QList<ParseIssue> &issues, const QString &part)
{
    for (const ParseIssue &i : issues)
        if (i.message.contains(part))
            return true;
    return false;
}

QString issuesText(const QList<ParseIssue> &issues)
{
    QStringList out;
    for (const ParseIssue &i : issues)
        out << i.toString();
    return out.join(u'\n');
}

// img2dataset's layout: 000000000.jpg + .txt + .json with "caption".
QList<TarMember> sample(int key, QColor colour, const QByteArray &caption)
{
    const QByteArray k = QByteArray::number(key).rightJustified(9, '0');
    return {{k + ".jpg", jpeg(colour)},
            {k + ".txt", caption},
            {k + ".json", "{\"caption\": \"" + caption + "\", \"url\": \"https://example.invalid\"}"}};
}

int runCli(const QStringList &args, QByteArray *out = nullptr)
{
    QProcess p;
    p.start(QStringLiteral(COSPACE_CLI), args);
    p.waitForFinished(600'000);
    if (out)
        *out = p.readAllStandardOutput() + p.readAllStandardError();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

}  // namespace

class TestShards : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init() { clearShardIndexCache(); }
    void groupsMembersByKey();
    void memberBytesInPlace();
    void hostileMembers_data();
    void hostileMembers();
    void damagedShards_data();
    void damagedShards();
    void compressedShard();
    void bracePatterns();
    void unchangedShardNotReread();
    void scanFolderOfShards();
    void embedShards();
    void pairedData();
    void trainAndEvalOnShards();

private:
    QTemporaryDir m_dir;
};

void TestShards::groupsMembersByKey()
{
    const QString tar = m_dir.filePath(u"group.tar"_qs);
    QList<TarMember> members = sample(1, Qt::red, "a red square");
    members += {{"000000002.png", png(Qt::blue)}, {"000000002.json", "{\"caption\": \"a blue square\"}"}};
    members += {{"000000003.webp.txt", "orphan caption"}, {"README", "not a sample"}, {"sub/", {}, '5'}};
    members += {{"sub/000000004.jpg", jpeg(Qt::green)}};   // no caption
    QVERIFY(writeTar(tar, members));
    const ShardIndex index = readShardIndex(tar);
    QVERIFY2(index.issues.isEmpty(), qPrintable(issuesText(index.issues)));
    QCOMPARE(index.items.size(), 3);
    QCOMPARE(index.items[0].key, u"000000001"_qs);
    QCOMPARE(index.items[0].caption, u"a red square"_qs);        // .txt wins over .json
    QCOMPARE(index.items[1].key, u"000000002"_qs);
    QCOMPARE(index.items[1].caption, u"a blue square"_qs);       // .json "caption"
    QCOMPARE(index.items[2].key, u"sub/000000004"_qs);
    QVERIFY(index.items[2].caption.isEmpty());
    QCOMPARE(index.items[0].mtimeMs, qint64(1'700'000'000) * 1000);
    QVERIFY(!index.compressed);
    QCOMPARE(shardItemPath(index.path, u"sub/000000004"_qs), QFileInfo(tar).absoluteFilePath() + u"#sub/000000004"_qs);
}

void TestShards::memberBytesInPlace()
{
    const QString tar = m_dir.filePath(u"bytes.tar"_qs);
    const QByteArray red = jpeg(Qt::red, 40), blue = png(Qt::blue, 700);   // the second spans many blocks
    QVERIFY(writeTar(tar, {{"a.jpg", red}, {"a.txt", "red"}, {"b.png", blue}}));
    const QString a = QFileInfo(tar).absoluteFilePath() + u"#a"_qs, b = QFileInfo(tar).absoluteFilePath() + u"#b"_qs;
    QString error;
    QCOMPARE(readShardImage(a, &error), red);
    QCOMPARE(readShardImage(b, &error), blue);
    QVERIFY(readShardImage(QFileInfo(tar).absoluteFilePath() + u"#c"_qs, &error).isEmpty());
    QVERIFY(error.contains(u"no image with key 'c'"));
    // The decoder reads items like files.
    const DecodedImage d = decodeImageFile(b);
    QVERIFY2(d.ok(), qPrintable(d.reason));
    QCOMPARE(d.image.width, 700);
    // A real file whose name contains '#' is still a file.
    const QString hashName = m_dir.filePath(u"x.tar#y"_qs);
    QFile f(hashName);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(png(Qt::green));
    f.close();
    QString shard, key;
    QVERIFY(!splitShardItem(hashName, &shard, &key));
    QVERIFY(decodeImageFile(hashName).ok());
}

void TestShards::hostileMembers_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<char>("type");
    QTest::addColumn<QString>("issue");
    QTest::newRow("dot-dot") << QByteArray("../evil.jpg") << '0' << u"unsafe name"_qs;
    QTest::newRow("dot-dot inside") << QByteArray("a/../../evil.jpg") << '0' << u"unsafe name"_qs;
    QTest::newRow("absolute") << QByteArray("/etc/evil.jpg") << '0' << u"unsafe name"_qs;
    QTest::newRow("symlink") << QByteArray("link.jpg") << '2' << u"a link or special file"_qs;
}

void TestShards::hostileMembers()
{
    QFETCH(QByteArray, name);
    QFETCH(char, type);
    QFETCH(QString, issue);
    const QString tar = m_dir.filePath(QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'_') + u".tar"_qs);
    QList<TarMember> members = sample(1, Qt::red, "before");
    members.append({name, jpeg(Qt::black), type, type == '2' ? QByteArray("/etc/passwd") : QByteArray()});
    members += sample(2, Qt::blue, "after");
    QVERIFY(writeTar(tar, members));
    const ShardIndex index = readShardIndex(tar);
    QVERIFY2(hasIssue(index.issues, issue), qPrintable(issuesText(index.issues)));
    QVERIFY(index.issues.first().toString().contains(QString::fromLatin1(name)));   // names the member
    QCOMPARE(index.items.size(), 2);                                                 // the rest proceeds
    QCOMPARE(index.items[1].caption, u"after"_qs);
}

void TestShards::damagedShards_data()
{
    QTest::addColumn<int>("cutFromEnd");   // bytes cut off the end; -1: not a tar at all
    QTest::addColumn<int>("items");
    QTest::addColumn<QString>("issue");
    // Three samples of 3 members: the cut lands inside the last image's data.
    QTest::newRow("truncated inside a member") << 1024 + 300 << 2 << u"truncated"_qs;
    QTest::newRow("not a tar") << -1 << 0 << u"not a readable tar"_qs;
    QTest::newRow("empty") << -2 << 0 << u"empty shard"_qs;
}

void TestShards::damagedShards()
{
    QFETCH(int, cutFromEnd);
    QFETCH(int, items);
    QFETCH(QString, issue);
    const QString tar = m_dir.filePath(u"damaged-%1.tar"_qs.arg(QTest::currentDataTag()).replace(u' ', u'_'));
    QList<TarMember> members = sample(1, Qt::red, "one") + sample(2, Qt::green, "two");
    members += {{"000000003.txt", "three"}, {"000000003.jpg", QByteArray(2000, 'x')}};
    if (cutFromEnd == -1) {
        QFile f(tar);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'z'));
    } else if (cutFromEnd == -2) {
        QFile f(tar);
        QVERIFY(f.open(QIODevice::WriteOnly));
    } else {
        QVERIFY(writeTar(tar, members, tarBytes(members).size() - cutFromEnd));
    }
    const ShardIndex index = readShardIndex(tar);
    QVERIFY2(hasIssue(index.issues, issue), qPrintable(issuesText(index.issues)));
    QCOMPARE(index.items.size(), items);
    // Scanning it is not an error either: the issue is reported, the items kept.
    const ImageScan scan = scanImages(tar);
    QCOMPARE(scan.images.size(), items);
    QVERIFY(hasIssue(scan.issues, issue));
}

void TestShards::compressedShard()
{
    const QString tar = m_dir.filePath(u"gz.tar"_qs);
    const QByteArray blue = png(Qt::blue, 32);
    QVERIFY(writeTar(tar, {{"k1.png", png(Qt::red)}, {"k1.txt", "red"}, {"k2.png", blue}, {"k2.txt", "blue"}}));
    QCOMPARE(QProcess::execute(u"gzip"_qs, {u"-kf"_qs, tar}), 0);
    const QString gz = tar + u".gz"_qs;
    const ShardIndex index = readShardIndex(gz);
    QVERIFY2(index.issues.isEmpty(), qPrintable(issuesText(index.issues)));
    QVERIFY(index.compressed);
    QCOMPARE(index.items.size(), 2);
    QCOMPARE(readShardImage(QFileInfo(gz).absoluteFilePath() + u"#k2"_qs), blue);   // streamed to it
}

void TestShards::bracePatterns()
{
    QString error;
    QCOMPARE(expandBracePattern(u"s/{00008..00011}.tar"_qs, &error),
             (QStringList{u"s/00008.tar"_qs, u"s/00009.tar"_qs, u"s/00010.tar"_qs, u"s/00011.tar"_qs}));
    QCOMPARE(expandBracePattern(u"{a,b}-{1..2}.tar"_qs), (QStringList{u"a-1.tar"_qs, u"a-2.tar"_qs, u"b-1.tar"_qs, u"b-2.tar"_qs}));
    QCOMPARE(expandBracePattern(u"{3..1}"_qs), (QStringList{u"3"_qs, u"2"_qs, u"1"_qs}));
    QVERIFY(expandBracePattern(u"{0..99999999}.tar"_qs, &error).isEmpty());
    QVERIFY(error.contains(u"more than"));
    // Found by fuzz_shards: many small groups multiply; refused before anything is built.
    QVERIFY(expandBracePattern(u"{0..999}{0..999}{a,b}{0..99}.tar"_qs, &error).isEmpty());
    QVERIFY(error.contains(u"more than"));
    QVERIFY(expandBracePattern(QString(5000, u'x'), &error).isEmpty());
    QVERIFY(expandBracePattern(u"{a.tar"_qs, &error).isEmpty());
    QVERIFY(expandBracePattern(u"{x}.tar"_qs, &error).isEmpty());

    const QString dir = m_dir.filePath(u"pattern"_qs);
    QDir().mkpath(dir);
    QVERIFY(writeTar(dir + u"/00000.tar"_qs, sample(1, Qt::red, "zero")));
    QVERIFY(writeTar(dir + u"/00001.tar"_qs, sample(1, Qt::blue, "one")));
    const QString pattern = dir + u"/{00000..00002}.tar"_qs;   // 00002 is missing
    QVERIFY(isShardPattern(pattern));
    QVERIFY(isShardSource(pattern));
    const ImageScan scan = scanImages(pattern);
    QCOMPARE(scan.images.size(), 2);
    QCOMPARE(scan.shards.size(), 2);
    QVERIFY(hasIssue(scan.issues, u"no such shard"_qs));
    QVERIFY(sourceContains(pattern, dir + u"/00001.tar#000000001"_qs));
    QVERIFY(!sourceContains(pattern, dir + u"/00003.tar#000000001"_qs));
    QVERIFY(sourceContains(dir + u"/00001.tar"_qs, dir + u"/00001.tar#000000001"_qs));
    QVERIFY(!sourceContains(dir + u"/00001.tar"_qs, dir + u"/00001.tarx#1"_qs));
}

void TestShards::unchangedShardNotReread()
{
    const QString tar = m_dir.filePath(u"cached.tar"_qs);
    QVERIFY(writeTar(tar, sample(1, Qt::red, "first")));
    bool read = false;
    QCOMPARE(shardIndex(tar, &read)->items.size(), 1);
    QVERIFY(read);
    shardIndex(tar, &read);
    QVERIFY(!read);                       // memory cache
    clearShardIndexCache();
    QCOMPARE(shardIndex(tar, &read)->items.first().caption, u"first"_qs);
    QVERIFY(!read);                       // disk cache: size and mtime unchanged
    QVERIFY(writeTar(tar, sample(1, Qt::red, "first") + sample(2, Qt::blue, "second")));
    QFile touched(tar);
    QVERIFY(touched.open(QIODevice::ReadWrite));
    QVERIFY(touched.setFileTime(QDateTime::currentDateTime().addSecs(5), QFileDevice::FileModificationTime));
    touched.close();
    QCOMPARE(shardIndex(tar, &read)->items.size(), 2);
    QVERIFY(read);                        // changed: read again
}

void TestShards::scanFolderOfShards()
{
    const QString dir = m_dir.filePath(u"folder"_qs);
    QDir().mkpath(dir + u"/deeper"_qs);
    QVERIFY(writeTar(dir + u"/a.tar"_qs, sample(1, Qt::red, "red") + sample(2, Qt::green, "green")));
    QVERIFY(writeTar(dir + u"/deeper/b.tar"_qs, sample(1, Qt::blue, "blue")));
    QImage(4, 4, QImage::Format_RGB888).save(dir + u"/loose.png"_qs);
    const ImageScan scan = scanImages(dir);
    QCOMPARE(scan.images.size(), 4);   // 3 members + 1 file
    QCOMPARE(scan.shards.size(), 2);
    QCOMPARE(scan.shardCaptions.size(), 3);
    QVERIFY(scan.images.contains(QDir(dir).absoluteFilePath(u"a.tar#000000002"_qs)));
    QVERIFY(isShardSource(dir));
}

void TestShards::embedShards()
{
    const QString dir = m_dir.filePath(u"embed"_qs);
    QDir().mkpath(dir);
    QVERIFY(writeTar(dir + u"/00000.tar"_qs, sample(1, Qt::red, "red") + sample(2, Qt::green, "green")));
    QList<TarMember> hostile = sample(3, Qt::blue, "blue");
    hostile.append({"../../x.jpg", jpeg(Qt::black)});
    hostile.append({"000000004.jpg", QByteArray("not a jpeg at all")});
    QVERIFY(writeTar(dir + u"/00001.tar"_qs, hostile));
    FakeModel model;
    EmbeddingStore store(m_dir.filePath(u"embed.db"_qs));
    EmbedParams params;
    params.roots = {dir};
    EmbedResult r = runEmbedding(model, store, params);
    QCOMPARE(r.embeddedImages, 3);
    QCOMPARE(r.embeddedCaptions, 3);   // from the shards' .txt members
    QStringList reasons;
    for (const SkippedFile &s : r.skipped)
        reasons << s.path + u": "_qs + s.detail;
    QVERIFY2(reasons.join(u'\n').contains(u"unsafe name"), qPrintable(reasons.join(u'\n')));
    QVERIFY2(reasons.join(u'\n').contains(u"000000004"), qPrintable(reasons.join(u'\n')));
    const auto m = store.findModel(model.fingerprint());
    const StoredSet captions = store.load(m->id, Modality::Caption);
    QCOMPARE(captions.items.size(), 3);
    QVERIFY(captions.items.first().path.contains(u".tar#"));
    QVERIFY(captions.items.first().source.endsWith(u".tar"));
    // Again: nothing read, nothing embedded.
    clearShardIndexCache();
    r = runEmbedding(model, store, params);
    QCOMPARE(r.embedded(), 0);
    QCOMPARE(r.cached, 6);
    // A shard removed: its items and captions leave the store.
    QVERIFY(QFile::remove(dir + u"/00001.tar"_qs));
    r = runEmbedding(model, store, params);
    QCOMPARE(r.removed, 2);
    QCOMPARE(store.count(m->id, Modality::Image), 2);
}

void TestShards::pairedData()
{
    const QString dir = m_dir.filePath(u"pairs"_qs);
    QDir().mkpath(dir);
    QVERIFY(writeTar(dir + u"/00000.tar"_qs, sample(1, Qt::red, "red") + QList<TarMember>{{"000000002.jpg", jpeg(Qt::gray)}}));
    for (const QString &source : QStringList{dir, dir + u"/00000.tar"_qs, dir + u"/{00000..00000}.tar"_qs}) {
        const CaptionFile pairs = readCaptionFile(source);
        QCOMPARE(pairs.rows.size(), 1);
        QCOMPARE(pairs.rows.first().caption, u"red"_qs);
        QVERIFY(pairs.rows.first().image.endsWith(u"00000.tar#000000001"));
        QVERIFY(hasIssue(pairs.issues, u"1 image(s) without a caption"_qs));
    }
    QCOMPARE(openDataset(dir).captions.rows.size(), 1);
    QByteArray out;
    QCOMPARE(runCli({u"captions"_qs, dir}, &out), 0);
    QVERIFY2(out.contains("1"), out.constData());
}

// A shapes dataset packed into shards: `train --data` and `eval --pairs` read it without unpacking.
void TestShards::trainAndEvalOnShards()
{
    const QString shapes = m_dir.filePath(u"shapes"_qs);
    ShapesOptions o;
    o.count = 96;
    o.imageSize = 32;
    generateShapesDataset(shapes, o);
    const CaptionFile rows = readCaptionFile(shapes + u"/captions.tsv"_qs);
    QCOMPARE(rows.rows.size() > 0, true);
    const QString shards = m_dir.filePath(u"shapes-shards"_qs);
    QDir().mkpath(shards);
    QList<TarMember> members[2];
    QSet<QString> seen;
    int k = 0;
    for (const CaptionRow &row : rows.rows) {
        if (seen.contains(row.image))
            continue;
        seen.insert(row.image);
        QFile f(row.image);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray key = QByteArray::number(k).rightJustified(6, '0');
        members[k % 2] += {{key + ".png", f.readAll()}, {key + ".txt", row.caption.toUtf8()}};
        ++k;
    }
    QVERIFY(writeTar(shards + u"/00000.tar"_qs, members[0]));
    QVERIFY(writeTar(shards + u"/00001.tar"_qs, members[1]));
    TrainerOptions t;
    t.data = shards;
    t.config = SharedSpaceConfig::preset(u"tiny"_qs);
    t.config.train.epochs = 1;
    t.config.train.batchSize = 16;
    t.config.train.probeSize = 8;
    t.runDir = m_dir.filePath(u"run"_qs);
    Trainer trainer(t);
    JobControl job;
    QVERIFY(trainer.run(job));
    QByteArray out;
    QCOMPARE(runCli({u"eval"_qs, u"--model"_qs, t.runDir + u"/last.ckpt"_qs, u"--pairs"_qs, shards + u"/{00000..00001}.tar"_qs,
                     u"--json"_qs}, &out), 0);
    const QByteArray n = QByteArray::number(k);
    const QByteArray spaced = QByteArray("\"n_images\": ") + n, tight = QByteArray("\"n_images\":") + n;
    QVERIFY2(out.contains(spaced) || out.contains(tight), out.constData());

    // The rest of the command line on the same shards: the GUI's map job headless, embed, search,
    // export — items named SHARD#KEY throughout.
    const QString model = t.runDir + u"/last.ckpt"_qs, store = m_dir.filePath(u"shards.db"_qs);
    QCOMPARE(runCli({u"layout"_qs, u"--dataset"_qs, shards, u"--model"_qs, model, u"--method"_qs, u"pca"_qs, u"--out"_qs,
                     m_dir.filePath(u"map.csv"_qs)}, &out), 0);
    QFile map(m_dir.filePath(u"map.csv"_qs));
    QVERIFY(map.open(QIODevice::ReadOnly));
    const QByteArray csv = map.readAll();
    QCOMPARE(csv.count("00000.tar#") + csv.count("00001.tar#"), 2 * k);   // each image and its caption
    QCOMPARE(runCli({u"embed"_qs, shards + u"/{00000..00001}.tar"_qs, u"--model"_qs, model, u"--store"_qs, store, u"--json"_qs}, &out), 0);
    QVERIFY2(out.contains("\"embedded\""), out.constData());
    QCOMPARE(runCli({u"search"_qs, u"--store"_qs, store, u"--model"_qs, model, u"--text"_qs, u"a red circle"_qs, u"--json"_qs}, &out), 0);
    QVERIFY2(out.contains(".tar#"), out.constData());
    const QString exported = m_dir.filePath(u"export"_qs);
    QCOMPARE(runCli({u"export"_qs, u"--store"_qs, store, u"--model"_qs, model, u"--format"_qs, u"tsv"_qs, exported}, &out), 0);
    QFile metadata(exported + u"/metadata.tsv"_qs);
    QVERIFY(metadata.open(QIODevice::ReadOnly));
    QVERIFY(metadata.readAll().contains(".tar#"));
}

QTEST_GUILESS_MAIN(TestShards)
#include "tst_shards.moc"
