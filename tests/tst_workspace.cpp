// Workspace files: round trip, relative paths, clear errors for bad files.

#include "core/explorer/workspace.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;

Q_DECLARE_METATYPE(cospace::WorkspaceView)

class TestWorkspace : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTripWithRelativePaths();
    void badFiles_data();
    void badFiles();
    void forDataset();
    void viewRoundTrips_data();
    void viewRoundTrips();
};

void TestWorkspace::roundTripWithRelativePaths()
{
    QTemporaryDir dir, elsewhere;
    Workspace w;
    w.name = u"trip"_qs;
    w.folders = {dir.filePath(u"photos"_qs), elsewhere.filePath(u"far"_qs)};
    w.captionFiles = {dir.filePath(u"caps/captions.tsv"_qs)};
    w.captions = {u"a cat"_qs, u"ünïcødé ☕"_qs};
    w.model = u"/models/run.ckpt"_qs;
    w.method = ProjectionMethod::Tsne;
    const QString file = dir.filePath(u"trip.cospace"_qs);
    w.save(file);

    QFile raw(file);
    QVERIFY(raw.open(QIODevice::ReadOnly));
    const QByteArray json = raw.readAll();
    QVERIFY(json.contains("\"photos\""));          // stored relative to the workspace
    QVERIFY(json.contains(QDir::cleanPath(elsewhere.filePath(u"far"_qs)).toUtf8()));  // outside: absolute

    // Moving the workspace together with its data keeps it valid.
    QTemporaryDir moved;
    QVERIFY(QFile::copy(file, moved.filePath(u"trip.cospace"_qs)));
    const Workspace back = Workspace::load(moved.filePath(u"trip.cospace"_qs));
    QCOMPARE(back.name, w.name);
    QCOMPARE(back.folders.first(), QDir::cleanPath(moved.filePath(u"photos"_qs)));
    QCOMPARE(back.folders.last(), QDir::cleanPath(elsewhere.filePath(u"far"_qs)));
    QCOMPARE(back.captions, w.captions);
    QCOMPARE(back.model, w.model);
    QCOMPARE(back.method, w.method);
}

void TestWorkspace::viewRoundTrips_data()
{
    QTest::addColumn<WorkspaceView>("view");
    QTest::newRow("default (not written)") << WorkspaceView{};
    QTest::newRow("zoom, centre, colour") << WorkspaceView{12.5, -3.25, 40.125, u"cluster"_qs, {}, {}};
    QTest::newRow("selected image") << WorkspaceView{2, 1, 1, u"folder"_qs, u"IMAGE"_qs, {}};
    QTest::newRow("selected caption") << WorkspaceView{0, 0, 0, {}, {}, u"a red, \"quoted\" circle"_qs};
}

void TestWorkspace::viewRoundTrips()
{
    QFETCH(WorkspaceView, view);
    QTemporaryDir dir;
    if (view.selectedImage == u"IMAGE")
        view.selectedImage = QDir::cleanPath(dir.filePath(u"images/cat.png"_qs));
    Workspace w;
    w.view = view;
    const QString file = dir.filePath(u"v.cospace"_qs);
    w.save(file);
    QFile raw(file);
    QVERIFY(raw.open(QIODevice::ReadOnly));
    const QByteArray json = raw.readAll();
    QCOMPARE(json.contains("\"view\""), view != WorkspaceView{});
    if (!view.selectedImage.isEmpty())
        QVERIFY(json.contains("\"images/cat.png\""));   // relative to the workspace, like folders
    const Workspace back = Workspace::load(file);
    QVERIFY(back.view == view);
}

void TestWorkspace::badFiles_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("message");
    QTest::newRow("not json") << QByteArray("hello") << "not a workspace file";
    QTest::newRow("future format") << QByteArray("{\"format\": 99}") << "unsupported workspace format 99";
    QTest::newRow("no format") << QByteArray("{}") << "unsupported workspace format -1";
    QTest::newRow("folders not array") << QByteArray("{\"format\": 1, \"folders\": 3}") << "\"folders\" must be an array";
    QTest::newRow("truncated") << QByteArray("{\"format\": 1, \"fol") << "not a workspace file";
    QTest::newRow("unknown method") << QByteArray("{\"format\": 1, \"method\": \"spectral\"}")
                                    << "unknown projection method 'spectral' (umap, tsne or pca)";
}

void TestWorkspace::badFiles()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString file = dir.filePath(u"bad.cospace"_qs);
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(content);
    f.close();
    try {
        Workspace::load(file);
        QFAIL("expected an error");
    } catch (const std::runtime_error &e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.startsWith(file) && what.contains(message), e.what());
    }
}

void TestWorkspace::forDataset()
{
    QTemporaryDir dir;
    QDir(dir.path()).mkpath(u"images"_qs);
    QFile caps(dir.filePath(u"captions.tsv"_qs));
    QVERIFY(caps.open(QIODevice::WriteOnly));
    caps.close();
    const Workspace w = Workspace::forDataset(dir.path());
    QCOMPARE(w.folders, QStringList{dir.filePath(u"images"_qs)});
    QCOMPARE(w.captionFiles, QStringList{dir.filePath(u"captions.tsv"_qs)});
}

QTEST_GUILESS_MAIN(TestWorkspace)
#include "tst_workspace.moc"
