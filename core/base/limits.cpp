#include "core/base/limits.h"

#include <mutex>

namespace cospace {

namespace {

std::mutex g_mutex;
Limits g_limits;

}  // namespace

Limits limits()
{
    const std::lock_guard lock(g_mutex);
    return g_limits;
}

void setLimits(const Limits &limits)
{
    const std::lock_guard lock(g_mutex);
    g_limits = limits;
}

const QList<LimitSetting> &limitSettings()
{
    static const QList<LimitSetting> settings{
        {"max-image-pixels", "Largest image (pixels)",
         "images whose header declares more pixels are skipped as too large", &Limits::maxImagePixels, 1,
         std::int64_t(1) << 40},
        {"max-caption-chars", "Longest caption (characters)",
         "longer captions are cut to this length with a notice; tokenizers read no more of any text",
         &Limits::maxCaptionChars, 16, 1'000'000},
        {"max-files-per-folder", "Most images per folder",
         "a folder scan keeps this many image files (first by name) and warns about the rest",
         &Limits::maxFilesPerFolder, 1, std::int64_t(1) << 31},
        {"max-model-mb", "Largest model (MiB)",
         "checkpoints and bundles larger than this, or whose config describes a larger network, are refused",
         &Limits::maxModelMB, 1, 1 << 20},
    };
    return settings;
}

bool setLimitValue(Limits &limits, const QString &key, const QString &value, QString *error)
{
    for (const LimitSetting &s : limitSettings()) {
        if (key != QLatin1String(s.key))
            continue;
        bool ok = false;
        const std::int64_t v = value.trimmed().toLongLong(&ok);
        if (!ok || v < s.minimum || v > s.maximum) {
            if (error)
                *error = u"--%1 takes a whole number from %2 to %3, not '%4'"_qs.arg(QLatin1String(s.key))
                             .arg(s.minimum).arg(s.maximum).arg(value);
            return false;
        }
        limits.*s.field = v;
        return true;
    }
    if (error)
        *error = u"unknown limit '%1'"_qs.arg(key);
    return false;
}

bool truncateText(QString &text, std::int64_t maxChars)
{
    if (maxChars < 0 || text.size() <= maxChars)
        return false;
    qsizetype cut = qsizetype(maxChars);
    if (cut > 0 && text.at(cut - 1).isHighSurrogate())
        --cut;
    text.truncate(cut);
    return true;
}

QString modelSizeProblem(std::int64_t bytes)
{
    const Limits l = limits();
    if (bytes <= l.maxModelBytes())
        return {};
    return u"%1 MiB, above the model size limit of %2 MiB (setting max-model-mb)"_qs.arg(bytes >> 20).arg(l.maxModelMB);
}

QString cutCaption(QString &caption, std::int64_t maxChars)
{
    const qsizetype length = caption.size();
    if (!truncateText(caption, maxChars))
        return {};
    return u"caption cut from %1 to %2 characters (limit max-caption-chars)"_qs.arg(length).arg(caption.size());
}

}  // namespace cospace
