// The `cospace` executable itself, headless (QT_QPA_PLATFORM=offscreen, and a real X server under xvfb-run): the screenshot smoke test
// (a generated dataset and a tiny model -> a PNG of the window's size that is not blank) and
// --bench-render printing its three figures. What CI runs to check the UI without a display.

#include "tinymodel.h"

#include "core/data/shapesdemo.h"

#include <QImage>
#include <QProcess>
#include <QStandardPaths>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace cospace;

class TestGuiApp : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void screenshotSmoke_data();
    void screenshotSmoke();
    void benchRenderPrintsFigures();
    void versionAndHelpWithoutDisplay_data();
    void versionAndHelpWithoutDisplay();

private:
    // Runs `cospace` on the offscreen platform, or on a real X server under xvfb-run (as CI's smoke test).
    QString run(const QStringList &args, int *exitCode, bool xvfb = false);

    QTemporaryDir m_dir;
    QString m_data;
    QString m_model;
};

QString TestGuiApp::run(const QStringList &args, int *exitCode, bool xvfb)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"QT_QPA_PLATFORM"_qs, xvfb ? u"xcb"_qs : u"offscreen"_qs);
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (xvfb)
        p.start(u"xvfb-run"_qs, QStringList{u"-a"_qs, u"-s"_qs, u"-screen 0 1920x1080x24"_qs,
                                            QString::fromUtf8(COSPACE_GUI)} + args);
    else
        p.start(QString::fromUtf8(COSPACE_GUI), args);
    if (!p.waitForFinished(600000))
        p.kill();
    *exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return QString::fromUtf8(p.readAll());
}

void TestGuiApp::initTestCase()
{
    m_data = m_dir.filePath(u"shapes"_qs);
    generateShapesDataset(m_data, {40, 5, 32, 2});
    m_model = testing::trainTinyModel(m_data, m_dir.filePath(u"run"_qs), {}, 1, 0.0);
    QVERIFY(!m_model.isEmpty());
}

void TestGuiApp::screenshotSmoke_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<bool>("xvfb");
    QTest::newRow("map") << QStringList{u"--method"_qs, u"pca"_qs} << false;
    QTest::newRow("search, clusters") << QStringList{u"--method"_qs, u"pca"_qs, u"--search"_qs, u"a red circle"_qs,
                                                     u"--colour-by"_qs, u"cluster"_qs} << false;
    QTest::newRow("under Xvfb") << QStringList{u"--method"_qs, u"pca"_qs, u"--search"_qs, u"a red circle"_qs} << true;
}

void TestGuiApp::screenshotSmoke()
{
    QFETCH(QStringList, extra);
    QFETCH(bool, xvfb);
    if (xvfb && QStandardPaths::findExecutable(u"xvfb-run"_qs).isEmpty())
        QSKIP("xvfb-run is not installed (Debian package xvfb)");
    const QString png = m_dir.filePath(QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'_') + u".png"_qs);
    int code = -1;
    const QString output = run(QStringList{u"--dataset"_qs, m_data, u"--model"_qs, m_model, u"--store"_qs,
                                           m_dir.filePath(u"store.db"_qs), u"--screenshot"_qs, png} + extra, &code, xvfb);
    QVERIFY2(code == 0, qPrintable(output));
    const QImage shot(png);
    QVERIFY2(!shot.isNull(), qPrintable(png));
    QCOMPARE(shot.size(), QSize(1280, 800));   // the main window's default size (fresh settings)
    // Not blank: a map, docks and thumbnails put many distinct colours on screen.
    QSet<QRgb> colours;
    for (int y = 0; y < shot.height(); y += 3)
        for (int x = 0; x < shot.width(); x += 3)
            colours.insert(shot.pixel(x, y));
    QVERIFY2(colours.size() > 100, qPrintable(QString::number(colours.size())));
}

void TestGuiApp::benchRenderPrintsFigures()
{
    int code = -1;
    const QString output = run({u"--bench-render"_qs, u"3000"_qs}, &code);
    QCOMPARE(code, 0);
    static const QRegularExpression figures(uR"(p50 (\d+\.\d+)\s+p95 (\d+\.\d+)\s+max (\d+\.\d+))"_qs);
    const QRegularExpressionMatch m = figures.match(output);
    QVERIFY2(m.hasMatch(), qPrintable(output));
    QVERIFY(m.captured(1).toDouble() <= m.captured(2).toDouble());
    QVERIFY(m.captured(2).toDouble() <= m.captured(3).toDouble());
}

void TestGuiApp::versionAndHelpWithoutDisplay_data()
{
    QTest::addColumn<QString>("flag");
    QTest::addColumn<QString>("expected");
    QTest::newRow("--version") << u"--version"_qs << u"cospace %1"_qs.arg(QString::fromLatin1(COSPACE_VERSION));
    QTest::newRow("--help") << u"--help"_qs << u"--dataset <DIR>"_qs;
    QTest::newRow("-h") << u"-h"_qs << u"--bench-render <N>"_qs;
}

// Over SSH or in a package build there is no display: --version and --help must still answer.
void TestGuiApp::versionAndHelpWithoutDisplay()
{
    QFETCH(QString, flag);
    QFETCH(QString, expected);
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        env.remove(QString::fromLatin1(name));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(COSPACE_GUI), {flag});
    QVERIFY(p.waitForFinished(30000));
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 0, qPrintable(QString::fromUtf8(p.readAllStandardError())));
    QVERIFY2(out.contains(expected), qPrintable(out));
}

QTEST_GUILESS_MAIN(TestGuiApp)
#include "tst_guiapp.moc"
