#pragma once
// Writes small tar files for the shard tests: ustar headers by hand, so a test can also write
// what no well-behaved tar tool would (a '..' name, a link, a member cut short).

#include <QByteArray>
#include <QFile>
#include <QList>
#include <QString>

namespace cospace::test {

struct TarMember {
    TarMember(QByteArray name, QByteArray data = {}, char type = '0', QByteArray linkTarget = {})
        : name(std::move(name)), data(std::move(data)), type(type), linkTarget(std::move(linkTarget))
    {
    }
    QByteArray name;
    QByteArray data;
    char type = '0';          // '0' file, '2' symlink, '5' folder
    QByteArray linkTarget;
    qint64 mtime = 1'700'000'000;
};

inline QByteArray octal(qint64 value, int width)
{
    return QByteArray::number(value, 8).rightJustified(width - 1, '0') + '\0';
}

inline QByteArray tarHeader(const TarMember &m)
{
    QByteArray h(512, '\0');
    auto put = [&](int offset, const QByteArray &field) { h.replace(offset, field.size(), field); };
    put(0, m.name.left(100));
    put(100, octal(0644, 8));
    put(108, octal(0, 8));
    put(116, octal(0, 8));
    put(124, octal(m.type == '0' ? m.data.size() : 0, 12));
    put(136, octal(m.mtime, 12));
    put(148, QByteArray(8, ' '));
    h[156] = m.type;
    put(157, m.linkTarget.left(100));
    put(257, QByteArray("ustar\0" "00", 8));
    unsigned sum = 0;
    for (char c : h)
        sum += static_cast<unsigned char>(c);
    put(148, QByteArray::number(sum, 8).rightJustified(6, '0') + QByteArray("\0 ", 2));
    return h;
}

inline QByteArray tarBytes(const QList<TarMember> &members)
{
    QByteArray out;
    for (const TarMember &m : members) {
        out += tarHeader(m);
        if (m.type == '0') {
            out += m.data;
            out += QByteArray((512 - m.data.size() % 512) % 512, '\0');
        }
    }
    return out + QByteArray(1024, '\0');
}

inline bool writeTar(const QString &path, const QList<TarMember> &members, qsizetype cutTo = -1)
{
    QByteArray bytes = tarBytes(members);
    if (cutTo >= 0)
        bytes.truncate(cutTo);
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

}  // namespace cospace::test
