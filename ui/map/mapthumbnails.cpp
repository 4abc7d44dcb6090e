#include "ui/map/mapthumbnails.h"

#include "core/data/thumbnails.h"

#include <QCoreApplication>
#include <QPointer>
#include <QThreadPool>

#include <array>
#include <memory>

namespace cospace {

namespace {
constexpr int kMaxPending = 256;
constexpr int kSmallCacheKiB = 160 * 1024;   // ~32,000 images' 32 + 16 px levels
constexpr int kLargeCacheKiB = 96 * 1024;    // ~6,000 images' 64 px level

QImage defaultSource(const QString &path)
{
    ThumbnailOptions options;
    options.size = 128;   // the standard's "normal" flavour: sharp at 64 px on HiDPI screens too
    return loadThumbnail(path, options).image;
}

int kib(const QImage &image) { return int(std::max<qsizetype>(1, image.sizeInBytes() / 1024)); }
}  // namespace

MapThumbnails::MapThumbnails(QObject *parent) : QObject(parent), m_source(defaultSource)
{
    m_small.setMaxCost(kSmallCacheKiB);
    m_large.setMaxCost(kLargeCacheKiB);
}

void MapThumbnails::setSource(Source source)
{
    m_source = source ? std::move(source) : defaultSource;
    clear();
}

void MapThumbnails::clear()
{
    ++m_generation;
    m_small.clear();
    m_large.clear();
    m_pending.clear();
}

const QImage *MapThumbnails::image(const QString &path, double pixels)
{
    const Small *small = m_small.object(path);
    const QImage *large = m_large.object(path);
    if (!small || (!large && pixels > 32))
        request(path);
    if (pixels > 32 && large)
        return large;
    if (!small)
        return large;
    if (pixels > 16 || small->l16.isNull())
        return &small->l32;
    return &small->l16;
}

const QImage *MapThumbnails::largest(const QString &path)
{
    const QImage *large = m_large.object(path);
    if (!large)
        request(path);
    return large;
}

void MapThumbnails::request(const QString &path)
{
    if (path.isEmpty() || m_pending.contains(path) || m_pending.size() >= kMaxPending)
        return;
    m_pending.insert(path);
    QPointer<MapThumbnails> self(this);
    QThreadPool::globalInstance()->start([self, path, source = m_source, generation = m_generation] {
        QImage image = source(path);
        if (image.isNull())
            image = QImage(1, 1, QImage::Format_ARGB32_Premultiplied);   // unreadable: not asked again
        auto levels = std::make_shared<std::array<QImage, 3>>();
        (*levels)[0] = image.convertToFormat(QImage::Format_ARGB32_Premultiplied);
        if ((*levels)[0].width() > kLargest || (*levels)[0].height() > kLargest)
            (*levels)[0] = (*levels)[0].scaled(kLargest, kLargest, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        for (int level = 1; level < 3; ++level)
            (*levels)[level] = (*levels)[level - 1].width() > (kLargest >> level) || (*levels)[level - 1].height() > (kLargest >> level)
                                   ? (*levels)[level - 1].scaled(kLargest >> level, kLargest >> level, Qt::KeepAspectRatio,
                                                                 Qt::SmoothTransformation)
                                   : (*levels)[level - 1];
        QMetaObject::invokeMethod(qApp, [self, path, levels, generation] {
            if (!self || generation != self->m_generation)
                return;
            self->m_pending.remove(path);
            auto *small = new Small{(*levels)[1], (*levels)[2]};
            self->m_small.insert(path, small, kib(small->l32) + kib(small->l16));
            self->m_large.insert(path, new QImage((*levels)[0]), kib((*levels)[0]));
            Q_EMIT self->arrived();
        });
    });
}

}  // namespace cospace
