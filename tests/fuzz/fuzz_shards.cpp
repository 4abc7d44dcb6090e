// The WebDataset shard reader (core/data/shards.h). Byte 0 even: the rest is a shard file,
// indexed in one libarchive pass (bypassing the caches), then every item's bytes read back by
// offset. Byte 0 odd: the rest is a brace pattern to expand.
// Contract: never throws or crashes; every item has a key, a member name and a size within the
// file; readShardImage() returns exactly that many bytes or an error; a pattern expands to at
// most kMaxPatternNames names, or to none with an error.
#include "core/data/shards.h"
#include "fuzzutil.h"

using namespace cospace;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        QString error;
        const QStringList names = expandBracePattern(QString::fromUtf8(fuzz::bytes(data + 1, size - 1)), &error);
        FUZZ_CHECK(names.size() <= kMaxPatternNames);
        FUZZ_CHECK(!names.isEmpty() || !error.isEmpty());
        return 0;
    }
    const QString path = fuzz::writeFile(u"shard.tar"_qs, fuzz::bytes(data + 1, size - 1));
    clearShardIndexCache();
    const ShardIndex index = readShardIndex(path);
    FUZZ_CHECK(index.byKey.size() == index.items.size());
    for (const ShardItem &item : index.items) {
        FUZZ_CHECK(!item.key.isEmpty() && !item.imageMember.isEmpty());
        FUZZ_CHECK(item.size > 0 && item.size <= qint64(size));
        FUZZ_CHECK(item.offset < 0 || item.offset + item.size <= qint64(size));
        FUZZ_CHECK(!item.imageMember.startsWith(u'/') && !item.imageMember.split(u'/').contains(u".."_qs));
    }
    for (qsizetype i = 0; i < std::min<qsizetype>(index.items.size(), 8); ++i) {
        QString error;
        const QByteArray bytes = readShardImage(shardItemPath(index.path, index.items[i].key), &error);
        FUZZ_CHECK(bytes.size() == index.items[i].size || (bytes.isEmpty() && !error.isEmpty()));
    }
    return 0;
}
