// A thumbnail in the shared cache that some other program wrote (core/data/thumbnails.h): the
// input is put where the standard says a photo's "normal" thumbnail lives, then loadThumbnail()
// reads it (tEXt / zTXt keys, the PNG) and either uses it or makes its own from the photo.
// pngTextChunks() parses the input too. Contract: no crash; the thumbnail is never larger than
// the flavour asked for; a photo that exists always gets a thumbnail.
#include "core/data/thumbnails.h"
#include "fuzzutil.h"

#include <QImage>

using namespace cospace;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QString photo = [] {
        QImage img(200, 150, QImage::Format_RGB32);
        img.fill(Qt::darkCyan);
        const QString path = fuzz::scratch().absoluteFilePath(u"photo.png"_qs);
        img.save(path);
        return path;
    }();
    const QByteArray bytes = fuzz::bytes(data, size);
    pngTextChunks(bytes);
    ThumbnailOptions options;
    options.sharedRoot = fuzz::scratch().absoluteFilePath(u"thumbnails"_qs);
    options.write = false;
    fuzz::writeFile(u"thumbnails/normal/"_qs + QFileInfo(sharedThumbnailPath(thumbnailUri(photo), 128)).fileName(), bytes);
    const Thumbnail t = loadThumbnail(photo, options);
    FUZZ_CHECK(!t.image.isNull());
    FUZZ_CHECK(t.image.width() <= 128 && t.image.height() <= 128);
    return 0;
}
