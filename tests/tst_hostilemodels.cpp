// Hostile checkpoints: files that are small on disk but describe a giant network, and files past
// the model-size limit, are refused with a message naming the file, before anything is allocated.
// (Corrupt, truncated and foreign files: tst_trainer; CLIP bundles: tst_clipbundle.)

#include "scopedlimit.h"
#include "core/model/checkpoint_p.h"
#include "core/model/embeddingmodel.h"
#include "core/base/runtime.h"
#include "core/model/sharedspacemodel.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;

class TestHostileModels : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void refused_data();
    void refused();

private:
    QTemporaryDir m_dir;
};

void TestHostileModels::initTestCase()
{
    initComputeThreads(1);
    QVERIFY(m_dir.isValid());
}

void TestHostileModels::refused_data()
{
    QTest::addColumn<int>("widthScale");   // the config stored in the file: tiny preset, widths x scale
    QTest::addColumn<int>("blocks");       // residual blocks per image stage in the stored config
    QTest::addColumn<qint64>("limitMB");
    QTest::addColumn<QString>("message");  // empty: loads
    // 6 stages x 16 blocks of 2048-wide 3x3 convolutions: ~7 billion parameters, 28 GB of floats
    // (more than this machine has) behind a file of a few hundred kB.
    QTest::newRow("giant config, default limit") << 128 << 16 << qint64(4096) << u"above the model size limit of 4096 MiB"_qs;
    QTest::newRow("4x config, 1 MiB limit") << 4 << 1 << qint64(1) << u"above the model size limit of 1 MiB"_qs;
    QTest::newRow("honest tiny file") << 1 << 1 << qint64(4096) << QString();
}

void TestHostileModels::refused()
{
    QFETCH(int, widthScale);
    QFETCH(int, blocks);
    QFETCH(qint64, limitMB);
    QFETCH(QString, message);

    // The weights of a tiny network under a config that claims another one.
    SharedSpaceConfig tiny = SharedSpaceConfig::preset(u"tiny"_qs);
    const TextTokenizer tokenizer = TextTokenizer::train({u"a red circle"_qs, u"a blue square"_qs}, 64);
    cospace::detail::SharedSpaceNet net(tiny, tokenizer.vocabSize());
    cospace::detail::CheckpointState state;
    state.config = tiny;
    state.config.image.widths = {16, 32, 64, 128, 256, 512};
    state.config.image.blocks.assign(6, blocks);
    for (int &w : state.config.image.widths)
        w = std::min(2048, w * widthScale);
    state.tokenizer = tokenizer;
    if (widthScale == 1)
        state.config = tiny;
    const QString path = m_dir.filePath(QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'_') + u".ckpt"_qs);
    cospace::detail::saveCheckpoint(path, net, nullptr, state);
    QVERIFY(QFileInfo(path).size() < 2 << 20);

    const testing::ScopedLimit limit(&Limits::maxModelMB, limitMB);
    if (message.isEmpty()) {
        QCOMPARE(loadModel(path)->embedDim(), tiny.embedDim);
        return;
    }
    try {
        loadModel(path);
        QFAIL("loaded a hostile checkpoint");
    } catch (const std::runtime_error &e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.contains(message) && what.contains(u"max-model-mb"_qs), e.what());
        QVERIFY2(what.contains(path), "the message names the file");
    }
}

QTEST_GUILESS_MAIN(TestHostileModels)
#include "tst_hostilemodels.moc"
