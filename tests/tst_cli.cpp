// cospace-cli as outside checks drive it: flags, exit codes, JSON output.

#include "core/base/runtime.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void versionAndHelp();
    void exitCodes_data();
    void exitCodes();
    void demoShapesJson();
    void captionsReportsBadRows();
    void compositionJson();
    void noWidgetsLinked();

private:
    struct Run { int code; QByteArray out; QByteArray err; };
    Run cli(const QStringList &args, const QList<QPair<QString, QString>> &extraEnv = {});
};

TestCli::Run TestCli::cli(const QStringList &args, const QList<QPair<QString, QString>> &extraEnv)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(u"OMP_WAIT_POLICY"_qs);   // as a user's shell has them
    env.remove(u"OPENBLAS_THREAD_TIMEOUT"_qs);
    for (const auto &[name, value] : extraEnv)
        env.insert(name, value);
    env.remove(u"DISPLAY"_qs);       // must run with no display
    env.remove(u"WAYLAND_DISPLAY"_qs);
    env.remove(u"QT_QPA_PLATFORM"_qs);
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(COSPACE_CLI), args);
    if (!p.waitForFinished(120000))
        return {-1, {}, "timeout"};
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

void TestCli::versionAndHelp()
{
    const Run v = cli({u"--version"_qs});
    QCOMPARE(v.code, 0);
    QVERIFY2(v.out.startsWith("Cospace " COSPACE_VERSION), v.out.constData());
    // cli() unsets OMP_WAIT_POLICY and OPENBLAS_THREAD_TIMEOUT: the program re-executes itself once
    // with quiet thread pools (core/runtime.h); values the user set are kept.
    QVERIFY2(v.out.contains("runtime: OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4"), v.out.constData());
    // The image-tower arithmetic `auto` chose on this CPU, and what --precision makes of it.
    const QByteArray automatic = cospace::cpuHasNativeBf16() ? "image compute: bf16 (bf16 in hardware: yes)"
                                                    : "image compute: fp32 (bf16 in hardware: no)";
    QVERIFY2(v.out.contains(automatic), v.out.constData());
    const Run fp32 = cli({u"--precision"_qs, u"fp32"_qs, u"--version"_qs});
    QVERIFY2(fp32.out.contains("image compute: fp32 ("), fp32.out.constData());
    const Run bf16 = cli({u"--precision"_qs, u"bf16"_qs, u"--version"_qs});
    QVERIFY2(bf16.out.contains("image compute: bf16 ("), bf16.out.constData());
    const Run active = cli({u"--version"_qs}, {{u"OMP_WAIT_POLICY"_qs, u"ACTIVE"_qs}});
    QVERIFY2(active.out.contains("runtime: OMP_WAIT_POLICY=ACTIVE OPENBLAS_THREAD_TIMEOUT=4"), active.out.constData());
    const Run h = cli({u"--help"_qs});
    QCOMPARE(h.code, 0);
    for (const char *command : {"demo", "captions"})
        QVERIFY2(h.out.contains(QByteArray("\n  ").append(command)), command);
    const Run sub = cli({u"demo"_qs, u"--help"_qs});
    QCOMPARE(sub.code, 0);
    QVERIFY(sub.out.contains("--count"));
    for (const char *limit : {"--max-image-pixels", "--max-caption-chars", "--max-files-per-folder", "--max-model-mb"})
        QVERIFY2(h.out.contains(limit), limit);
}

void TestCli::exitCodes_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("no command") << QStringList{} << 2 << QByteArray("Usage");
    QTest::newRow("unknown command") << QStringList{u"frobnicate"_qs} << 2 << QByteArray("unknown command 'frobnicate'");
    QTest::newRow("unknown option") << QStringList{u"demo"_qs, u"--bogus"_qs} << 2 << QByteArray("bogus");
    QTest::newRow("unknown demo") << QStringList{u"demo"_qs, u"cats"_qs, u"/tmp/x"_qs} << 2 << QByteArray("unknown demo 'cats'");
    QTest::newRow("bad count") << QStringList{u"demo"_qs, u"shapes"_qs, u"/tmp/x"_qs, u"--count"_qs, u"-3"_qs} << 2
                               << QByteArray("--count");
    QTest::newRow("limit not a number") << QStringList{u"--max-image-pixels"_qs, u"big"_qs, u"captions"_qs, u"x.tsv"_qs}
                                        << 2 << QByteArray("--max-image-pixels takes a whole number");
    QTest::newRow("limit out of range") << QStringList{u"--max-files-per-folder"_qs, u"0"_qs, u"captions"_qs, u"x.tsv"_qs}
                                        << 2 << QByteArray("--max-files-per-folder takes a whole number from 1");
    QTest::newRow("unknown limit") << QStringList{u"--max-colours"_qs, u"3"_qs, u"captions"_qs, u"x.tsv"_qs} << 2
                                   << QByteArray("unknown limit 'max-colours'");
    QTest::newRow("unreadable captions") << QStringList{u"captions"_qs, u"/nonexistent/c.tsv"_qs} << 1
                                         << QByteArray("cannot read");
    QTest::newRow("layout without a source") << QStringList{u"layout"_qs, u"--out"_qs, u"/tmp/x.csv"_qs} << 2
                                             << QByteArray("usage: cospace-cli layout");
    QTest::newRow("layout, two sources") << QStringList{u"layout"_qs, u"--dataset"_qs, u"/tmp"_qs, u"--workspace"_qs,
                                                        u"/tmp/w.cospace"_qs, u"--out"_qs, u"/tmp/x.csv"_qs}
                                         << 2 << QByteArray("usage: cospace-cli layout");
    QTest::newRow("layout, unknown method") << QStringList{u"layout"_qs, u"--dataset"_qs, u"/tmp"_qs, u"--method"_qs,
                                                           u"spectral"_qs, u"--out"_qs, u"/tmp/x.csv"_qs}
                                            << 2 << QByteArray("unknown --method 'spectral' (umap, tsne or pca)");
    QTest::newRow("layout, bad output") << QStringList{u"layout"_qs, u"--dataset"_qs, u"/tmp"_qs, u"--out"_qs, u"/tmp/x.png"_qs}
                                        << 2 << QByteArray("--out takes a .csv or a .npy file");
    QTest::newRow("layout, unreadable workspace")
        << QStringList{u"layout"_qs, u"--workspace"_qs, u"/nonexistent/w.cospace"_qs, u"--out"_qs, u"/tmp/x.csv"_qs} << 1
        << QByteArray("/nonexistent/w.cospace: cannot open");
    QTest::newRow("search, unknown rerank") << QStringList{u"search"_qs, u"--store"_qs, u"/tmp/x.db"_qs, u"--model"_qs,
                                                           u"default"_qs, u"--text"_qs, u"a"_qs, u"--rerank"_qs, u"zz"_qs}
                                            << 2 << QByteArray("unknown --rerank 'zz' (none, csls or qbnorm)");
    QTest::newRow("project, unknown method") << QStringList{u"project"_qs, u"--vectors"_qs, u"x.npy"_qs, u"--method"_qs,
                                                            u"isomap"_qs, u"--out"_qs, u"y.npy"_qs}
                                             << 2 << QByteArray("unknown --method 'isomap' (umap, tsne, pca or axes)");
    QTest::newRow("composition without pairs") << QStringList{u"composition"_qs, u"--model"_qs, u"default"_qs} << 2
                                               << QByteArray("usage: cospace-cli composition");
    QTest::newRow("composition, bad --examples")
        << QStringList{u"composition"_qs, u"--model"_qs, u"default"_qs, u"--pairs"_qs, u"x.tsv"_qs, u"--examples"_qs,
                       u"-1"_qs} << 2 << QByteArray("--examples takes a whole number");
    QTest::newRow("composition, unreadable pairs")
        << QStringList{u"composition"_qs, u"--model"_qs, u"default"_qs, u"--pairs"_qs, u"/nonexistent/c.tsv"_qs} << 1
        << QByteArray("no usable pairs");
}

void TestCli::exitCodes()
{
    QFETCH(QStringList, args);
    QFETCH(int, code);
    QFETCH(QByteArray, message);
    const Run r = cli(args);
    QCOMPARE(r.code, code);
    const QByteArray all = r.err + r.out;
    QVERIFY2(all.contains(message), all.constData());
}

void TestCli::demoShapesJson()
{
    QTemporaryDir dir;
    const Run r = cli({u"demo"_qs, u"shapes"_qs, dir.path(), u"--count"_qs, u"25"_qs, u"--seed"_qs, u"4"_qs, u"--json"_qs});
    QCOMPARE(r.code, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"images"_qs).toInt(), 25);
    QVERIFY(o.value(u"captions"_qs).toInt() >= 50);
    QVERIFY(QFileInfo::exists(dir.filePath(u"images/000/000024.png"_qs)));
    QVERIFY(QFileInfo::exists(dir.filePath(u"captions.tsv"_qs)));
}

void TestCli::captionsReportsBadRows()
{
    QTemporaryDir dir;
    QFile img(dir.filePath(u"a.png"_qs));
    QVERIFY(img.open(QIODevice::WriteOnly));
    img.close();
    QFile tsv(dir.filePath(u"c.tsv"_qs));
    QVERIFY(tsv.open(QIODevice::WriteOnly));
    tsv.write("a.png\tok\ngone.png\tx\na.png\t\n");
    tsv.close();
    const Run json = cli({u"captions"_qs, tsv.fileName(), u"--json"_qs});
    QCOMPARE(json.code, 0);
    const QJsonObject o = QJsonDocument::fromJson(json.out).object();
    QCOMPARE(o.value(u"rows"_qs).toInt(), 1);
    QCOMPARE(o.value(u"format"_qs).toString(), u"tsv"_qs);
    const QJsonArray issues = o.value(u"issues"_qs).toArray();
    QCOMPARE(issues.size(), 2);
    QCOMPARE(issues[0].toObject().value(u"line"_qs).toInt(), 2);
    QCOMPARE(issues[1].toObject().value(u"line"_qs).toInt(), 3);
    const Run text = cli({u"captions"_qs, tsv.fileName()});
    QVERIFY2(text.err.contains("c.tsv:2: unknown image 'gone.png'"), text.err.constData());

    // A caption past --max-caption-chars is cut and kept, with a notice (not a bad row).
    QVERIFY(tsv.open(QIODevice::Append));
    tsv.write("a.png\t" + QByteArray("very long ").repeated(10) + "\n");
    tsv.close();
    const Run cut = cli({u"--max-caption-chars"_qs, u"30"_qs, u"captions"_qs, tsv.fileName(), u"--json"_qs});
    QCOMPARE(cut.code, 0);
    const QJsonObject c = QJsonDocument::fromJson(cut.out).object();
    QCOMPARE(c.value(u"rows"_qs).toInt(), 2);
    QCOMPARE(c.value(u"issues"_qs).toArray().size(), 2);
    const QJsonArray notices = c.value(u"notices"_qs).toArray();
    QCOMPARE(notices.size(), 1);
    QCOMPARE(notices[0].toObject().value(u"line"_qs).toInt(), 4);
    QVERIFY(notices[0].toObject().value(u"message"_qs).toString().contains(u"cut from 99 to 30"_qs));
    const Run cutText = cli({u"--max-caption-chars"_qs, u"30"_qs, u"captions"_qs, tsv.fileName()});
    QVERIFY2(cutText.err.contains("note: ") && cutText.err.contains("c.tsv:4: caption cut"), cutText.err.constData());
}

// `composition --json` on a small shapes set with the bundled model: the keys of issue #22, the counts
// adding up to the captions the grammar can swap, and the examples worst first.
void TestCli::compositionJson()
{
    QTemporaryDir dir;
    QCOMPARE(cli({u"demo"_qs, u"shapes"_qs, dir.path(), u"--count"_qs, u"30"_qs, u"--seed"_qs, u"3"_qs}).code, 0);
    const Run r = cli({u"composition"_qs, u"--model"_qs, u"default"_qs, u"--pairs"_qs,
                       dir.filePath(u"captions.tsv"_qs), u"--examples"_qs, u"4"_qs, u"--json"_qs});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    const QJsonObject kinds = o.value(u"kinds"_qs).toObject();
    QCOMPARE(kinds.keys(), (QStringList{u"colour"_qs, u"order"_qs, u"relation"_qs, u"shape"_qs, u"size"_qs}));
    for (const QString &k : kinds.keys()) {
        const QJsonObject kind = kinds.value(k).toObject();
        const QJsonArray ci = kind.value(u"ci95"_qs).toArray();
        QCOMPARE(ci.size(), 2);
        QVERIFY2(kind.value(u"n"_qs).toInt() > 0, qPrintable(k));
        const double accuracy = kind.value(u"accuracy"_qs).toDouble();
        QVERIFY2(ci[0].toDouble() <= accuracy && accuracy <= ci[1].toDouble(), qPrintable(k));
    }
    // Every one-object caption (two per single-shape image) and every three-object list is unswappable.
    QFile tsv(dir.filePath(u"captions.tsv"_qs));
    QVERIFY(tsv.open(QIODevice::ReadOnly));
    int refused = 0;
    for (const QByteArray &line : tsv.readAll().split('\n'))
        if (line.contains('\t') && !line.startsWith("image\t")
            && (line.contains(", ") || !(line.contains(" and ") || line.contains(" of ") || line.contains(" above ")
                                         || line.contains(" below "))))
            ++refused;
    QCOMPARE(o.value(u"unswappable"_qs).toInt(), refused);
    const QJsonArray examples = o.value(u"examples"_qs).toArray();
    QCOMPARE(examples.size(), 4);
    double previous = -10;
    for (const QJsonValue &v : examples) {
        const QJsonObject e = v.toObject();
        for (const char *key : {"image", "caption", "swapped", "kind", "true_score", "swapped_score"})
            QVERIFY2(e.contains(QLatin1String(key)), key);
        const double margin = e.value(u"swapped_score"_qs).toDouble() - e.value(u"true_score"_qs).toDouble();
        QVERIFY(previous == -10 || margin <= previous + 1e-9);   // worst (largest swapped - true) first
        previous = margin;
    }
    // The table form names the kinds.
    const Run text = cli({u"composition"_qs, u"--model"_qs, u"default"_qs, u"--pairs"_qs, dir.filePath(u"captions.tsv"_qs)});
    QCOMPARE(text.code, 0);
    QVERIFY2(text.out.contains("relation") && text.out.contains("unswappable"), text.out.constData());
}

void TestCli::noWidgetsLinked()
{
    QProcess ldd;
    ldd.start(u"ldd"_qs, {QStringLiteral(COSPACE_CLI)});
    QVERIFY(ldd.waitForFinished());
    const QByteArray libs = ldd.readAllStandardOutput();
    QVERIFY2(libs.contains("libQt6Core"), libs.constData());
    QVERIFY2(!libs.contains("libQt6Widgets"), "cospace-cli must not link Qt Widgets");
    QVERIFY2(!libs.contains("libQt6Charts"), "cospace-cli must not link Qt Charts");
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
