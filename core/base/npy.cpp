#include "core/base/npy.h"

#include <QBuffer>
#include <QFile>
#include <QSaveFile>
#include <QRegularExpression>

#include <algorithm>
#include <bit>
#include <limits>
#include <cstring>
#include <stdexcept>

namespace cospace {
namespace {

static_assert(std::endian::native == std::endian::little, "npy I/O assumes a little-endian host");

[[noreturn]] void fail(const QString &path, const QString &why)
{
    throw std::runtime_error(QString(path + u": "_qs + why).toStdString());
}

constexpr quint32 kMaxHeaderBytes = 1 << 16;   // NumPy's own default limit is 10000

struct Header {
    QString descr;
    bool fortran = false;
    std::vector<qint64> shape;
};

// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }
Header parseHeader(const QString &path, const QString &text)
{
    Header h;
    static const QRegularExpression descr(uR"('descr'\s*:\s*'([^']*)')"_qs);
    static const QRegularExpression fortran(uR"('fortran_order'\s*:\s*(True|False))"_qs);
    static const QRegularExpression shape(uR"('shape'\s*:\s*\(([^)]*)\))"_qs);
    const auto d = descr.match(text), f = fortran.match(text), s = shape.match(text);
    if (!d.hasMatch() || !f.hasMatch() || !s.hasMatch())
        fail(path, u"malformed .npy header: %1"_qs.arg(text.trimmed()));
    h.descr = d.captured(1);
    h.fortran = f.captured(1) == u"True";
    for (const QString &part : s.captured(1).split(u',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 v = part.trimmed().toLongLong(&ok);
        if (!ok || v < 0)
            fail(path, u"malformed shape (%1) in .npy header"_qs.arg(s.captured(1)));
        h.shape.push_back(v);
    }
    return h;
}

// `path` only names the source in messages.
Matrix readNpyFrom(QIODevice &file, const QString &path)
{
    const QByteArray magic = file.read(8);
    if (magic.size() < 8 || !magic.startsWith("\x93NUMPY"))
        fail(path, u"not a .npy file (bad magic string)"_qs);
    const int major = static_cast<unsigned char>(magic[6]);
    if (major < 1 || major > 3)
        fail(path, u".npy format version %1 is not supported"_qs.arg(major));
    const int lenBytes = major == 1 ? 2 : 4;
    const QByteArray lenRaw = file.read(lenBytes);
    if (lenRaw.size() != lenBytes)
        fail(path, u"truncated .npy header"_qs);
    quint32 headerLen = 0;
    for (int i = lenBytes - 1; i >= 0; --i)
        headerLen = (headerLen << 8) | static_cast<unsigned char>(lenRaw[i]);
    // Check the length before reading: a corrupt length field would otherwise make us allocate up
    // to 4 GiB. NumPy itself refuses headers above 10000 bytes unless told otherwise.
    if (headerLen > kMaxHeaderBytes)
        fail(path, u"implausible .npy header length %1 bytes (corrupt file?)"_qs.arg(headerLen));
    const QByteArray headerRaw = file.read(headerLen);
    if (headerRaw.size() != qsizetype(headerLen))
        fail(path, u"truncated .npy header"_qs);
    const Header h = parseHeader(path, QString::fromLatin1(headerRaw));
    if (h.fortran)
        fail(path, u"Fortran-order arrays are not supported; save with numpy.ascontiguousarray"_qs);
    const bool f4 = h.descr == u"<f4" || h.descr == u"=f4";
    const bool f8 = h.descr == u"<f8" || h.descr == u"=f8";
    if (!f4 && !f8)
        fail(path, u"dtype '%1' is not supported; expected float32 ('<f4') or float64 ('<f8')"_qs.arg(h.descr));
    if (h.shape.empty() || h.shape.size() > 2)
        fail(path, u"expected a 2-D array (rows x columns), got %1 dimensions"_qs.arg(h.shape.size()));
    const qint64 rows = h.shape[0], cols = h.shape.size() == 2 ? h.shape[1] : 1;
    if (rows > std::numeric_limits<int>::max() || cols > std::numeric_limits<int>::max())
        fail(path, u"array too large"_qs);
    // The data must be in the file before we allocate for it (a header can claim any shape).
    const qint64 available = file.bytesAvailable();
    const qint64 itemSize = f4 ? 4 : 8;
    if (cols > 0 && rows > available / itemSize / cols)
        fail(path, u"truncated data: the header says %1 x %2 values but the file holds only %3 bytes of data"_qs
                       .arg(rows).arg(cols).arg(available));
    Matrix m{int(rows), int(cols)};
    const qint64 count = rows * cols;
    if (f4) {
        const qint64 bytes = count * 4;
        if (file.read(reinterpret_cast<char *>(m.data.data()), bytes) != bytes)
            fail(path, u"truncated data: expected %1 x %2 float32 values"_qs.arg(rows).arg(cols));
    } else {
        std::vector<double> buffer(std::size_t(std::min<qint64>(count, 1 << 20)));
        for (qint64 done = 0; done < count;) {
            const qint64 n = std::min<qint64>(qint64(buffer.size()), count - done);
            if (file.read(reinterpret_cast<char *>(buffer.data()), n * 8) != n * 8)
                fail(path, u"truncated data: expected %1 x %2 float64 values"_qs.arg(rows).arg(cols));
            for (qint64 i = 0; i < n; ++i)
                m.data[std::size_t(done + i)] = float(buffer[std::size_t(i)]);
            done += n;
        }
    }
    return m;
}

}  // namespace

Matrix readNpy(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        fail(path, file.errorString());
    return readNpyFrom(file, path);
}

Matrix readNpyBytes(const QByteArray &bytes, const QString &name)
{
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    return readNpyFrom(buffer, name);
}

void writeNpy(const QString &path, const Matrix &matrix)
{
    QByteArray header = QStringLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (%1, %2), }")
                            .arg(matrix.rows).arg(matrix.cols).toLatin1();
    // Pad with spaces so magic + length + header + '\n' is a multiple of 64 bytes (format spec).
    const int unpadded = 10 + int(header.size()) + 1;
    header.append(QByteArray((64 - unpadded % 64) % 64, ' '));
    header.append('\n');
    QSaveFile file(path);   // temp file + rename: a killed or failed write leaves the old file or none
    if (!file.open(QIODevice::WriteOnly))
        fail(path, file.errorString());
    QByteArray prefix("\x93NUMPY\x01\x00", 8);
    prefix.append(char(header.size() & 0xff));
    prefix.append(char((header.size() >> 8) & 0xff));
    const qint64 bytes = qint64(matrix.data.size()) * 4;
    if (file.write(prefix) != prefix.size() || file.write(header) != header.size()
        || file.write(reinterpret_cast<const char *>(matrix.data.data()), bytes) != bytes || !file.commit())
        fail(path, u"write failed: "_qs + file.errorString());
}

}  // namespace cospace
