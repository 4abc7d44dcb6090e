#pragma once
// Helpers of the tests of the cache files beside a store (tst_vectorsnapshot, tst_ivfindex): stored
// image items and byte-level damage to a file.

#include "core/store/embeddingstore.h"

#include <QFile>
#include <QList>
#include <QtTest>

namespace cospace::test {

// n image items /photos/<from + i>.jpg with distinct sizes and times.
inline QList<StoredItem> images(int n, int from = 0)
{
    QList<StoredItem> items;
    for (int i = from; i < from + n; ++i)
        items.append({0, Modality::Image, u"/photos/%1.jpg"_qs.arg(i), {}, {}, 100 + i, 1000 + i});
    return items;
}

// Overwrites the file's bytes at `at` (the file keeps its size unless they run past its end).
inline void writeBytes(const QString &path, const QByteArray &bytes, qint64 at = 0)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.seek(at));
    QCOMPARE(f.write(bytes), bytes.size());
}

}  // namespace cospace::test
