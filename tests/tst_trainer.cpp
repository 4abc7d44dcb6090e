// The trainer end to end on a small generated shapes set: it learns, checkpoints round-trip,
// a resumed run equals an uninterrupted one, bad checkpoints and configs give clear errors.

#include "core/model/embeddingmodel.h"
#include "core/eval/evaluation.h"
#include "core/base/runtime.h"
#include "core/data/shapesdemo.h"
#include "core/model/sharedspacemodel.h"
#include "core/train/runfolder.h"
#include "core/train/trainer.h"

#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace cospace;

namespace {

SharedSpaceConfig tinyConfig(int epochs)
{
    SharedSpaceConfig c = SharedSpaceConfig::preset(u"tiny"_qs);
    c.train.epochs = epochs;
    c.train.batchSize = 32;
    c.train.probeSize = 16;
    return c;
}

QList<QJsonObject> readLines(const QString &path)
{
    QList<QJsonObject> lines;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return lines;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (!line.trimmed().isEmpty())
            lines << QJsonDocument::fromJson(line).object();
    return lines;
}

Matrix embedProbe(const QString &checkpoint)
{
    const std::unique_ptr<EmbeddingModel> model = loadModel(checkpoint);
    return model->encodeTexts({u"a small red circle"_qs, u"a blue square and a green triangle"_qs});
}

}  // namespace

class TestTrainer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void learnsShapes();
    void checkpointRoundTrip();
    void resumeEqualsUninterrupted_data();
    void resumeEqualsUninterrupted();
    void corruptCheckpoints_data();
    void corruptCheckpoints();
    void invalidConfigs_data();
    void invalidConfigs();
    void badDataIsReported();
    void severalDatasets();
    void fineTuneStartsFromCheckpoint();
    void compositionProbeAndSwapNegatives();
    void parameterCountWithoutBuilding_data();
    void parameterCountWithoutBuilding();

private:
    QTemporaryDir m_dir;
    QString m_data;
    QString m_small;   // for the runs that train several times
    QString m_learnedRun;
};

void TestTrainer::initTestCase()
{
    initComputeThreads(2);
    m_data = m_dir.filePath(u"shapes"_qs);
    generateShapesDataset(m_data, {320, 5, 32, 2});
    m_small = m_dir.filePath(u"small"_qs);
    generateShapesDataset(m_small, {150, 6, 32, 2});
}

void TestTrainer::learnsShapes()
{
    // Chance R@10 for text->image over ~300 images is ~3%; a few epochs of the tiny model reach far more.
    TrainerOptions o;
    o.data = m_data;
    o.config = tinyConfig(6);
    o.config.train.valFraction = 0;   // measure on the training images
    o.runDir = m_learnedRun = m_dir.filePath(u"learn"_qs);
    Trainer trainer(o);
    QList<EpochReport> epochs;
    trainer.onEpoch = [&](const EpochReport &r) { epochs << r; };
    JobControl job;
    QVERIFY(trainer.run(job));
    QCOMPARE(epochs.size(), 6);
    QVERIFY2(epochs.last().val.t2i.r10 >= 0.35, qPrintable(QString::number(epochs.last().val.t2i.r10)));
    QVERIFY(epochs.last().trainLoss < epochs.first().trainLoss);
    QVERIFY(epochs.last().val.rsum > epochs.first().val.rsum);
    // The run folder has everything the inspector reads.
    QCOMPARE(readLines(m_learnedRun + u"/metrics.jsonl"_qs).size(), 6);
    QVERIFY(!readLines(m_learnedRun + u"/steps.jsonl"_qs).isEmpty());
    for (const char *f : {"/config.json", "/last.ckpt", "/best.ckpt", "/probe/pairs.tsv", "/probe/epoch-006.npy",
                          "/probe/composition-006.json"})
        QVERIFY2(QFileInfo::exists(m_learnedRun + QLatin1String(f)), f);
    // The compositional probe is on by default: per-kind accuracies in every metrics line, all five
    // kinds present on shapes captions, equal to the epoch report's.
    const QJsonObject composition = readLines(m_learnedRun + u"/metrics.jsonl"_qs).last().value(u"composition"_qs).toObject();
    QCOMPARE(composition.keys(), (QStringList{u"colour"_qs, u"order"_qs, u"relation"_qs, u"shape"_qs, u"size"_qs}));
    QCOMPARE(composition, epochs.last().composition.accuracies());
    QVERIFY(epochs.last().composition.kind(SwapKind::Relation).n > 50);
    QCOMPARE(QFileInfo(m_learnedRun + u"/probe/epoch-006.npy"_qs).size(), 128 + 2 * 16 * 64 * 4);
}

void TestTrainer::checkpointRoundTrip()
{
    const QString ckpt = m_learnedRun + u"/last.ckpt"_qs;
    const CheckpointInfo info = readCheckpointInfo(ckpt);
    QCOMPARE(info.epoch, 6);
    SharedSpaceConfig trained = tinyConfig(6);
    trained.train.valFraction = 0;
    QCOMPARE(info.config.toJson(), trained.toJson());   // the config travels inside the checkpoint
    QCOMPARE(info.config.embedDim, 64);
    QVERIFY(info.parameters > 10000);

    const std::unique_ptr<EmbeddingModel> model = loadModel(ckpt);
    QCOMPARE(model->embedDim(), 64);
    QCOMPARE(model->imageSize(), 32);
    QVERIFY(model->fingerprint().startsWith(u"own:"));
    const Matrix a = embedProbe(ckpt), b = embedProbe(ckpt);
    QCOMPARE(a.data, b.data);   // deterministic inference
    for (int i = 0; i < a.rows; ++i) {
        double norm = 0;
        for (int j = 0; j < a.cols; ++j)
            norm += a.at(i, j) * a.at(i, j);
        QVERIFY(std::abs(norm - 1) < 1e-4);
    }
    // Inference through the EmbeddingModel (decoder, preprocessing) sees what the trainer saw:
    // evaluating the final checkpoint on its training data reproduces the last epoch's metrics.
    const QList<QJsonObject> epochs = readLines(m_learnedRun + u"/metrics.jsonl"_qs);
    const EvaluationResult eval = evaluatePairs(*model, readCaptionFile(m_data + u"/captions.tsv"_qs));
    QVERIFY(eval.skipped.isEmpty());
    QCOMPARE(eval.metrics.nImages, epochs.last().value(u"n_images"_qs).toInt());
    QVERIFY2(std::abs(eval.metrics.rsum - epochs.last().value(u"rsum"_qs).toDouble()) < 0.5,
             qPrintable(u"%1 vs %2"_qs.arg(eval.metrics.rsum).arg(epochs.last().value(u"rsum"_qs).toDouble())));
    RgbImage img{32, 32, std::vector<std::uint8_t>(32 * 32 * 3, 200)};
    const Matrix e = model->encodeImages({img, img});
    QCOMPARE(e.rows, 2);
    QCOMPARE(e.cols, 64);
}

void TestTrainer::resumeEqualsUninterrupted_data()
{
    QTest::addColumn<int>("stopAtStep");   // 0: stop between epochs; N: cancel at global step N
    QTest::addColumn<bool>("styleBridges"); // pad / outline / posterize augmentations on
    QTest::addColumn<bool>("swapNegatives"); // swapped captions as extra negatives
    QTest::newRow("between epochs") << 0 << false << false;
    QTest::newRow("mid-epoch (Ctrl-C), style bridges on") << 7 << true << false;
    QTest::newRow("between epochs, swapped-caption negatives") << 0 << false << true;
    QTest::newRow("mid-epoch (Ctrl-C), swapped-caption negatives") << 5 << false << true;
}

void TestTrainer::resumeEqualsUninterrupted()
{
    QFETCH(int, stopAtStep);
    QFETCH(bool, styleBridges);
    QFETCH(bool, swapNegatives);
    QTemporaryDir dir;
    TrainerOptions o;
    o.data = m_small;
    o.config = tinyConfig(2);
    o.config.train.swapNegatives = swapNegatives;
    if (styleBridges) {
        o.config.train.augment.pad = 0.5;
        o.config.train.augment.outline = 0.5;
        o.config.train.augment.posterize = 0.5;
    }
    o.runDir = dir.filePath(u"straight"_qs);
    {
        Trainer t(o);
        JobControl job;
        QVERIFY(t.run(job));
    }
    TrainerOptions r = o;
    r.runDir = dir.filePath(u"resumed"_qs);
    {
        // The same 2-epoch run (same schedule), stopped part-way as Ctrl-C or the GUI's pause would.
        Trainer t(r);
        JobControl job;
        int stepsPerEpoch = 0;
        t.onStep = [&](const StepReport &s) {
            stepsPerEpoch = s.stepsPerEpoch;
            if (s.globalStep == stopAtStep)
                job.cancel();
        };
        if (stopAtStep == 0)
            t.onEpoch = [&](const EpochReport &e) { if (e.epoch == 1) job.cancel(); };
        QVERIFY(!t.run(job));
        QVERIFY(stepsPerEpoch > stopAtStep % stepsPerEpoch);
        QCOMPARE(t.completedEpochs(), stopAtStep > 0 ? stopAtStep / stepsPerEpoch : 1);
    }
    {
        r.resume = true;
        r.epochs = 2;
        Trainer t(r);
        JobControl job;
        QVERIFY(t.run(job));
    }
    const QList<QJsonObject> a = readLines(o.runDir + u"/metrics.jsonl"_qs);
    const QList<QJsonObject> b = readLines(r.runDir + u"/metrics.jsonl"_qs);
    QCOMPARE(a.size(), 2);
    QCOMPARE(b.size(), 2);
    for (const char *key : {"train_loss", "val_loss", "rsum", "modality_gap", "step", "composition/colour",
                            "composition/relation", "composition/order"}) {
        const QString path = QLatin1String(key);
        const double x = RunFolder::value(a[1], path), y = RunFolder::value(b[1], path);
        QVERIFY2(std::isfinite(x) && std::abs(x - y) < 1e-5, key);
    }
    const Matrix ea = embedProbe(o.runDir + u"/last.ckpt"_qs);
    const Matrix eb = embedProbe(r.runDir + u"/last.ckpt"_qs);
    for (std::size_t i = 0; i < ea.data.size(); ++i)
        QVERIFY2(std::abs(ea.data[i] - eb.data[i]) < 1e-5, qPrintable(QString::number(i)));
}

void TestTrainer::corruptCheckpoints_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("message");
    QTest::newRow("missing") << "missing" << "no such";
    QTest::newRow("empty") << "empty" << "empty file";
    QTest::newRow("truncated") << "truncated" << "corrupt or truncated";
    QTest::newRow("random bytes") << "random" << "corrupt or truncated";
    QTest::newRow("text file") << "text" << "corrupt or truncated";
}

void TestTrainer::corruptCheckpoints()
{
    QFETCH(QString, kind);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString path = dir.filePath(u"bad.ckpt"_qs);
    QFile source(m_learnedRun + u"/last.ckpt"_qs);
    QVERIFY(source.open(QIODevice::ReadOnly));
    const QByteArray good = source.readAll();
    QFile out(path);
    if (kind != u"missing") {
        QVERIFY(out.open(QIODevice::WriteOnly));
        if (kind == u"truncated")
            out.write(good.left(good.size() / 2));
        else if (kind == u"random")
            out.write(QByteArray(4096, '\x5a'));
        else if (kind == u"text")
            out.write("this is not a checkpoint\n");
        out.close();
    }
    try {
        loadModel(path);
        QFAIL("expected an error");
    } catch (const std::runtime_error &e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.contains(message), e.what());
        QVERIFY2(what.contains(u"bad.ckpt"), e.what());
    }
}

void TestTrainer::invalidConfigs_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("message");
    QTest::newRow("heads") << QByteArray(R"({"text": {"width": 30, "heads": 4}})") << "text.heads must divide text.width";
    QTest::newRow("loss") << QByteArray(R"({"loss": "hinge"})") << "loss must be infonce, siglip or triplet";
    QTest::newRow("blocks") << QByteArray(R"({"image": {"widths": [8, 16], "blocks": [1]}})") << "image.blocks";
    QTest::newRow("type") << QByteArray(R"({"train": {"epochs": "ten"}})") << "train.epochs must be a whole number";
    QTest::newRow("crop") << QByteArray(R"({"train": {"augment": {"crop_scale": [0.9, 0.2]}}})") << "crop_scale";
    QTest::newRow("outline") << QByteArray(R"({"train": {"augment": {"outline": 1.5}}})")
                             << "pad, outline and posterize are probabilities";
    QTest::newRow("swap_negatives") << QByteArray(R"({"train": {"swap_negatives": "yes"}})")
                                    << "train.swap_negatives must be true or false";
    QTest::newRow("composition_probe") << QByteArray(R"({"train": {"composition_probe": 1}})")
                                       << "train.composition_probe must be true or false";
}

void TestTrainer::invalidConfigs()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    try {
        SharedSpaceConfig::fromJson(QJsonDocument::fromJson(json).object());
        QFAIL("expected an error");
    } catch (const std::runtime_error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(message), e.what());
    }
    // The canonical form round-trips, style bridges included.
    SharedSpaceConfig c = SharedSpaceConfig::preset(u"default"_qs);
    c.train.augment.pad = 0.25;
    c.train.augment.outline = 0.5;
    c.train.augment.posterize = 0.75;
    c.train.swapNegatives = true;
    c.train.compositionProbe = false;
    QCOMPARE(SharedSpaceConfig::fromJson(c.toJson()).toJson(), c.toJson());
    QCOMPARE(SharedSpaceConfig::fromJson(c.toJson()).train.swapNegatives, true);
    QCOMPARE(SharedSpaceConfig::fromJson(c.toJson()).train.compositionProbe, false);
    QCOMPARE(SharedSpaceConfig::fromJson({}).train.compositionProbe, true);    // on by default
    QCOMPARE(SharedSpaceConfig::fromJson({}).train.swapNegatives, false);      // off by default
    QCOMPARE(SharedSpaceConfig::fromJson(c.toJson()).train.augment.posterize, 0.75);
}

void TestTrainer::badDataIsReported()
{
    QTemporaryDir dir;
    generateShapesDataset(dir.path(), {40, 3, 32, 1});
    // One undecodable image and one bad caption row: both reported, the rest trains.
    QFile broken(dir.filePath(u"images/000/000001.png"_qs));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("not a png");
    broken.close();
    QFile captions(dir.filePath(u"captions.tsv"_qs));
    QVERIFY(captions.open(QIODevice::Append));
    captions.write("images/missing.png\ta ghost\n");
    captions.close();
    TrainerOptions o;
    o.data = dir.path();
    o.config = tinyConfig(1);
    o.runDir = dir.filePath(u"run"_qs);
    Trainer t(o);
    t.prepare();
    QCOMPARE(t.issues().size(), 2);
    QStringList text;
    for (const ParseIssue &i : t.issues())
        text << i.toString();
    QVERIFY2(text.join(u'\n').contains(u"000001.png"), qPrintable(text.join(u'\n')));
    QVERIFY2(text.join(u'\n').contains(u"missing.png"), qPrintable(text.join(u'\n')));
    JobControl job;
    QVERIFY(t.run(job));
}

void TestTrainer::severalDatasets()
{
    // Two datasets of the same layout (as two art styles of one set of concepts would be): their
    // pairs add up, and an image's split side follows its path inside its dataset, so the copies of
    // one relative path are always on the same side.
    QTemporaryDir dir;
    generateShapesDataset(dir.filePath(u"a"_qs), {60, 5, 32, 1});
    generateShapesDataset(dir.filePath(u"b"_qs), {60, 5, 32, 1});   // same captions, another copy
    TrainerOptions one;
    one.data = dir.filePath(u"a"_qs);
    one.config = tinyConfig(1);
    one.config.train.valFraction = 0.3;
    one.runDir = dir.filePath(u"one"_qs);
    Trainer single(one);
    single.prepare();
    TrainerOptions two = one;
    two.extraData = {dir.filePath(u"b"_qs)};
    two.runDir = dir.filePath(u"two"_qs);
    Trainer both(two);
    both.prepare();
    QVERIFY(single.valImages() > 0);
    QCOMPARE(both.valImages(), 2 * single.valImages());
    QCOMPARE(both.trainImages(), 2 * single.trainImages());
    QCOMPARE(both.trainPairs(), 2 * single.trainPairs());
    // A missing second source is named in the error.
    TrainerOptions bad = one;
    bad.extraData = {dir.filePath(u"nowhere"_qs)};
    bad.runDir = dir.filePath(u"bad"_qs);
    Trainer broken(bad);
    try {
        broken.prepare();
        QFAIL("expected an error");
    } catch (const std::runtime_error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(u"nowhere: no such dataset"), e.what());
    }
}

void TestTrainer::fineTuneStartsFromCheckpoint()
{
    // A tiny run, then a "fine-tune" from its checkpoint with a config of another architecture and an
    // almost-zero learning rate: the checkpoint's architecture and tokenizer win, and the text tower
    // (no batch statistics) comes out as it went in.
    QTemporaryDir dir;
    TrainerOptions a;
    a.data = m_small;
    a.config = tinyConfig(1);
    a.runDir = dir.filePath(u"a"_qs);
    Trainer first(a);
    JobControl job;
    QVERIFY(first.run(job));
    TrainerOptions b;
    b.data = m_small;
    b.config = SharedSpaceConfig::preset(u"default"_qs);
    b.config.train.epochs = 1;
    b.config.train.lr = 1e-12;
    b.config.train.warmupSteps = 0;
    b.initFrom = a.runDir + u"/last.ckpt"_qs;
    b.runDir = dir.filePath(u"b"_qs);
    Trainer second(b);
    second.prepare();
    QCOMPARE(second.parameterCount(), first.parameterCount());
    QCOMPARE(second.vocabularySize(), first.vocabularySize());
    QCOMPARE(second.config().embedDim, first.config().embedDim);
    QCOMPARE(second.config().train.lr, 1e-12);
    QVERIFY(second.run(job));
    const Matrix ea = embedProbe(a.runDir + u"/last.ckpt"_qs);
    const Matrix eb = embedProbe(b.runDir + u"/last.ckpt"_qs);
    for (std::size_t i = 0; i < ea.data.size(); ++i)
        QVERIFY2(std::abs(ea.data[i] - eb.data[i]) < 1e-4, qPrintable(QString::number(i)));
    // A completed run also leaves its last weights without optimizer state, the same model.
    const QString final = b.runDir + u"/final.ckpt"_qs;
    QVERIFY(QFileInfo(final).size() < QFileInfo(b.runDir + u"/last.ckpt"_qs).size() / 2);
    QCOMPARE(embedProbe(final).data, eb.data);
    // A missing checkpoint is named in the error.
    b.initFrom = dir.filePath(u"none.ckpt"_qs);
    Trainer broken(b);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, broken.prepare());
}

// train.swap_negatives adds each batch's swapped captions as negatives of its images and changes nothing
// else: the first step sees the same weights and the same augmented views, so its InfoNCE loss can only
// grow (more terms in each image's softmax). train.composition_probe off leaves no trace in the run.
void TestTrainer::compositionProbeAndSwapNegatives()
{
    QTemporaryDir dir;
    auto firstLoss = [&](bool swapNegatives, bool probe, const QString &name) {
        TrainerOptions o;
        o.data = m_small;
        o.config = tinyConfig(1);
        o.config.train.swapNegatives = swapNegatives;
        o.config.train.compositionProbe = probe;
        o.runDir = dir.filePath(name);
        Trainer t(o);
        double loss = -1;
        t.onStep = [&](const StepReport &s) { if (s.globalStep == 1) loss = s.loss; };
        JobControl job;
        if (!t.run(job))
            return -1.0;
        return loss;
    };
    const double plain = firstLoss(false, true, u"plain"_qs);
    const double hard = firstLoss(true, false, u"hard"_qs);
    QVERIFY2(plain > 0 && hard > plain + 1e-3, qPrintable(u"%1 vs %2"_qs.arg(hard).arg(plain)));
    const QList<QJsonObject> withProbe = readLines(dir.filePath(u"plain/metrics.jsonl"_qs));
    const QList<QJsonObject> without = readLines(dir.filePath(u"hard/metrics.jsonl"_qs));
    QCOMPARE(withProbe.size(), 1);
    QCOMPARE(without.size(), 1);
    QVERIFY(withProbe[0].contains(u"composition"_qs));
    QVERIFY(!without[0].contains(u"composition"_qs));
    // Rows whose caption has no swap (one-shape images) must not poison the batch.
    QVERIFY(std::isfinite(without[0].value(u"train_loss"_qs).toDouble(NAN)));
    QVERIFY(std::isfinite(without[0].value(u"val_loss"_qs).toDouble(NAN)));
    QVERIFY(QFileInfo::exists(dir.filePath(u"plain/probe/composition-001.json"_qs)));
    QVERIFY(!QFileInfo::exists(dir.filePath(u"hard/probe/composition-001.json"_qs)));
    // The per-epoch file is the CLI's object: the reader gets the same accuracies back.
    const RunFolder run = RunFolder::open(dir.filePath(u"plain"_qs));
    const CompositionResult logged = CompositionResult::fromJson(run.composition(1));
    QCOMPARE(logged.accuracies(), withProbe[0].value(u"composition"_qs).toObject());
    QVERIFY(!logged.trials.empty());
    QVERIFY(run.composition(2).isEmpty());
}

// SharedSpaceConfig::parameterCount() (the model-size limit's estimate, core/limits.h) equals the
// parameters of the network actually built, for every architectural switch.
void TestTrainer::parameterCountWithoutBuilding_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("vocab");
    QTest::newRow("default") << QByteArray("{}") << 3000;
    QTest::newRow("tiny preset widths") << QByteArray(R"({"image": {"widths": [16, 32, 64], "blocks": [1, 1, 1]}})") << 400;
    QTest::newRow("group norm, zero and two blocks")
        << QByteArray(R"({"image": {"widths": [16, 32, 32], "blocks": [0, 2, 2], "norm": "group", "stem_stride": 1}})") << 100;
    QTest::newRow("no text layers, first-token pool") << QByteArray(R"({"text": {"layers": 0, "pool": "first"}})") << 64;
    QTest::newRow("siglip, wide text") << QByteArray(R"({"loss": "siglip", "text": {"width": 96, "heads": 3, "layers": 3}})")
                                       << 5000;
    QTest::newRow("six stages, embed 32") << QByteArray(R"({"image": {"widths": [8, 8, 16, 16, 24, 24], "blocks": [1, 0, 1, 3, 1, 1]}, "embed_dim": 32})")
                                          << 70;
}

void TestTrainer::parameterCountWithoutBuilding()
{
    QFETCH(QByteArray, json);
    QFETCH(int, vocab);
    const SharedSpaceConfig c = SharedSpaceConfig::fromJson(QJsonDocument::fromJson(json).object());
    QCOMPARE(qint64(c.parameterCount(vocab)), countParameters(c, vocab));
}

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
