// core/npy: round trips, the dtypes and header versions NumPy writes, and clear errors for bad files.
// Byte layouts follow numpy/lib/format.py (magic, version, little-endian header length, dict, data).

#include "core/base/npy.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <stdexcept>

using namespace cospace;

class TestNpy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void readsFloat64AndVersion2();
    void readsOneDimensional();
    void rejectsBadFiles_data();
    void rejectsBadFiles();
    void readsFromMemory();
    void rejectsFuzzFindings_data();
    void rejectsFuzzFindings();

private:
    QString rawNpy(const QString &name, int version, const QByteArray &dict, const QByteArray &payload);
    QTemporaryDir m_dir;
};

QString TestNpy::rawNpy(const QString &name, int version, const QByteArray &dict, const QByteArray &payload)
{
    QByteArray header = dict;
    const int prefix = version == 1 ? 10 : 12;
    while ((prefix + header.size() + 1) % 64 != 0) header.append(' ');
    header.append('\n');
    QByteArray bytes("\x93NUMPY", 6);
    bytes.append(char(version)).append(char(0));
    const quint32 len = quint32(header.size());
    for (int i = 0; i < (version == 1 ? 2 : 4); ++i) bytes.append(char((len >> (8 * i)) & 0xff));
    bytes.append(header).append(payload);
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write fixture");
    f.write(bytes);
    return path;
}

void TestNpy::roundTrip_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::newRow("1x2") << 1 << 2;
    QTest::newRow("7x3") << 7 << 3;
    QTest::newRow("100x256") << 100 << 256;
    QTest::newRow("empty 0x4") << 0 << 4;
}

void TestNpy::roundTrip()
{
    QFETCH(int, rows);
    QFETCH(int, cols);
    Matrix m(rows, cols);
    for (std::size_t i = 0; i < m.data.size(); ++i) m.data[i] = float(i) * 0.25f - 3.f;
    const QString path = m_dir.filePath(u"rt.npy"_qs);
    writeNpy(path, m);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.size() % 16, (qint64(m.data.size()) * 4) % 16);   // header padded to 64 bytes
    QVERIFY(f.read(6) == QByteArray("\x93NUMPY", 6));
    const Matrix back = readNpy(path);
    QCOMPARE(back.rows, rows);
    QCOMPARE(back.cols, cols);
    QVERIFY(back.data == m.data);
}

void TestNpy::readsFloat64AndVersion2()
{
    const double values[6] = {1.5, -2.0, 3.25, 0.0, 1e-3, 42.0};
    QByteArray payload(reinterpret_cast<const char *>(values), sizeof values);
    const QString path = rawNpy(u"f8v2.npy"_qs, 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", payload);
    const Matrix m = readNpy(path);
    QCOMPARE(m.rows, 3);
    QCOMPARE(m.cols, 2);
    for (int i = 0; i < 6; ++i) QCOMPARE(m.data[std::size_t(i)], float(values[i]));
}

void TestNpy::readsOneDimensional()
{
    const float values[4] = {1, 2, 3, 4};
    const QString path = rawNpy(u"vec.npy"_qs, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
                                QByteArray(reinterpret_cast<const char *>(values), sizeof values));
    const Matrix m = readNpy(path);
    QCOMPARE(m.rows, 4);
    QCOMPARE(m.cols, 1);
}

void TestNpy::rejectsBadFiles_data()
{
    QTest::addColumn<QByteArray>("dict");
    QTest::addColumn<int>("payloadBytes");
    QTest::addColumn<QString>("expected");
    QTest::newRow("fortran order") << QByteArray("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }") << 16 << u"Fortran"_qs;
    QTest::newRow("int64 dtype") << QByteArray("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }") << 32 << u"'<i8' is not supported"_qs;
    QTest::newRow("big-endian") << QByteArray("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }") << 16 << u"not supported"_qs;
    QTest::newRow("3-D shape") << QByteArray("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }") << 32 << u"2-D"_qs;
    QTest::newRow("scalar") << QByteArray("{'descr': '<f4', 'fortran_order': False, 'shape': (), }") << 4 << u"2-D"_qs;
    QTest::newRow("truncated data") << QByteArray("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }") << 20 << u"truncated"_qs;
    QTest::newRow("no dict") << QByteArray("hello") << 0 << u"malformed"_qs;
    // Found by fuzz_npy: a header may claim any shape; nothing is allocated before the data is there.
    QTest::newRow("shape beyond file f4") << QByteArray("{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000, 2000000000), }") << 16 << u"truncated data: the header says 2000000000 x 2000000000"_qs;
    QTest::newRow("shape beyond file f8") << QByteArray("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647,), }") << 16 << u"truncated"_qs;
}

void TestNpy::rejectsBadFiles()
{
    QFETCH(QByteArray, dict);
    QFETCH(int, payloadBytes);
    QFETCH(QString, expected);
    const QString path = rawNpy(u"bad.npy"_qs, 1, dict, QByteArray(payloadBytes, '\0'));
    try {
        readNpy(path);
        QFAIL("expected std::runtime_error");
    } catch (const std::runtime_error &e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.startsWith(path), qPrintable(msg));
        QVERIFY2(msg.contains(expected), qPrintable(msg));
    }
}

void TestNpy::readsFromMemory()
{
    Matrix m(3, 2);
    for (std::size_t i = 0; i < m.data.size(); ++i)
        m.data[i] = float(i) * 0.5f;
    const QString path = m_dir.filePath(u"mem.npy"_qs);
    writeNpy(path, m);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const Matrix back = readNpyBytes(f.readAll(), u"mem.npy"_qs);
    QCOMPARE(back.rows, 3);
    QCOMPARE(back.cols, 2);
    QCOMPARE(back.data, m.data);
}

// Inputs fuzz_npy (tests/fuzz) found, kept in tests/data/fuzz/npy: each must fail with a clear message
// naming the file, read from disk and from memory, and allocate nothing large on the way.
void TestNpy::rejectsFuzzFindings_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expected");
    QTest::newRow("header length 2 GiB") << u"header-length-2gib.npy"_qs << u"implausible .npy header length"_qs;
}

void TestNpy::rejectsFuzzFindings()
{
    QFETCH(QString, file);
    QFETCH(QString, expected);
    const QString path = QStringLiteral(COSPACE_TEST_DATA "/fuzz/npy/") + file;
    QFile f(path);
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
    const QByteArray bytes = f.readAll();
    for (int fromMemory = 0; fromMemory < 2; ++fromMemory) {
        try {
            if (fromMemory)
                readNpyBytes(bytes, file);
            else
                readNpy(path);
            QFAIL("expected std::runtime_error");
        } catch (const std::runtime_error &e) {
            const QString msg = QString::fromUtf8(e.what());
            QVERIFY2(msg.startsWith(fromMemory ? file : path), qPrintable(msg));
            QVERIFY2(msg.contains(expected), qPrintable(msg));
        }
    }
}

QTEST_GUILESS_MAIN(TestNpy)
#include "tst_npy.moc"
