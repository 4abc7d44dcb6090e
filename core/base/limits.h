#pragma once
// Limits on outside input, so a hostile or accidental file costs a clear message instead of the
// machine's memory or an hour of CPU. Each limit is a setting with a sane default:
//   cospace-cli --max-image-pixels N --max-caption-chars N --max-files-per-folder N --max-model-mb N COMMAND
//   cospace (GUI): Settings > Limits (stored under "limits/<key>" in the application settings);
//   the same command-line flags override the stored values for one run.
//
//   max-image-pixels     images whose header says more pixels are skipped ("too large")
//   max-caption-chars    longer captions are cut there, with a notice naming the file and line;
//                        both tokenizers also read at most this many characters of any text
//   max-files-per-folder a folder scan keeps the first N image files by name and warns
//   max-model-mb         bigger checkpoint / bundle files, and checkpoint configs describing
//                        bigger networks, are refused before anything is allocated
//
// setLimits() is meant for start-up (front ends, tests); limits() may be read from any thread.

#include <QList>
#include <QString>

#include <cstdint>

namespace cospace {

struct Limits {
    std::int64_t maxImagePixels = 100'000'000;
    std::int64_t maxCaptionChars = 2'000;
    std::int64_t maxFilesPerFolder = 1'000'000;
    std::int64_t maxModelMB = 4'096;

    std::int64_t maxModelBytes() const { return maxModelMB * 1024 * 1024; }
    bool operator==(const Limits &) const = default;
};

Limits limits();
void setLimits(const Limits &limits);

// One row per limit, for front ends that list, parse or store them without repeating themselves.
struct LimitSetting {
    const char *key;            // "max-image-pixels": the command-line flag without "--", the settings key
    const char *label;          // "Largest image (pixels)"
    const char *description;    // one sentence for --help and tooltips
    std::int64_t Limits::*field;
    std::int64_t minimum;
    std::int64_t maximum;
};
const QList<LimitSetting> &limitSettings();

// Sets the field named by `key` from `value`; false with *error set when the key is unknown or
// the value is not a whole number in the setting's range.
bool setLimitValue(Limits &limits, const QString &key, const QString &value, QString *error);

// Cuts `text` to at most `maxChars` UTF-16 units without splitting a surrogate pair; returns
// whether anything was cut.
bool truncateText(QString &text, std::int64_t maxChars);

// Empty when a model of `bytes` fits maxModelMB; otherwise the reason, e.g. "6 MiB, above the model
// size limit of 1 MiB (setting max-model-mb)".
QString modelSizeProblem(std::int64_t bytes);

// truncateText() for a caption read from a file: the notice to report ("caption cut from 2400 to
// 2000 characters (limit max-caption-chars)"), or an empty string when the caption fits.
QString cutCaption(QString &caption, std::int64_t maxChars);

}  // namespace cospace
