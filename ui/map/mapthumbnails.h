#pragma once
// The map's thumbnails: loaded on the global thread pool (at most kMaxPending waiting), kept in
// two bounded caches so a fit-to-window view of ~20,000 small pictures fits in memory: the 32 and
// 16 px levels of many images (about 5 KB each) and the 64 px level of the few drawn large.
// Images are premultiplied ARGB, made on the worker so drawing is a plain blit. The default
// source is core/data/thumbnails.h: the desktop's shared thumbnail cache, Cospace's own for shard
// members, else decoded (and the thumbnail written). GUI thread only; arrived() after each load.

#include <QCache>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QString>

#include <functional>

namespace cospace {

class MapThumbnails : public QObject
{
    Q_OBJECT
public:
    using Source = std::function<QImage(const QString &path)>;   // called on pool threads
    static constexpr int kLargest = 64;                          // pixels, the largest level kept

    explicit MapThumbnails(QObject *parent = nullptr);
    void setSource(Source source);   // empty: the default; clears the caches
    // The level to draw at `pixels` (device pixels) on screen: the nearest loaded level at least
    // that large, else the largest loaded one; nullptr when none is. Requests what is missing.
    const QImage *image(const QString &path, double pixels);
    // The 64 px level if loaded (tooltips), else nullptr; requested when missing.
    const QImage *largest(const QString &path);
    bool isLoaded(const QString &path) const { return m_small.contains(path); }
    int pendingCount() const { return int(m_pending.size()); }
    void clear();

Q_SIGNALS:
    void arrived();

private:
    struct Small {
        QImage l32, l16;
    };
    void request(const QString &path);

    QCache<QString, Small> m_small;
    QCache<QString, QImage> m_large;
    QSet<QString> m_pending;
    Source m_source;
    quint64 m_generation = 0;   // results of a replaced source are dropped
};

}  // namespace cospace
