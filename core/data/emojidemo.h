#pragma once
// The emoji demo datasets (real art, fetched from the npm registry, never at build time):
//   google    64 px PNGs of Noto Color Emoji from `emoji-datasource-google` (MIT; art Apache-2.0)
//   openmoji  the OpenMoji SVGs from `openmoji`, rasterised to 64 px PNG (CC BY-SA 4.0)
//   twitter   64 px PNGs of Twemoji from `emoji-datasource-twitter` (MIT; art CC BY 4.0)
// All carry the same captions, joined by code point from openmoji's data/openmoji.json
// (annotation, tags, group; CC BY-SA 4.0), so one style can be held out to test the other.
//
// Packages are fetched once with `npm pack` into cacheDir and re-used (pinned versions below).
// Output: DIR/images/<codepoints>.png, DIR/captions.tsv (3 rows per image), DIR/LICENSES.md.
// Throws std::runtime_error with a readable message (npm missing or offline, corrupt tarball,
// unwritable folder); JobCancelled when cancelled. Call from one thread at a time per cacheDir.

#include "core/base/job.h"

#include <QString>

namespace cospace {

enum class EmojiStyle { Google, OpenMoji, Twitter };

inline constexpr const char *kEmojiGooglePackage = "emoji-datasource-google@16.0.0";
inline constexpr const char *kEmojiTwitterPackage = "emoji-datasource-twitter@16.0.0";
inline constexpr const char *kOpenMojiPackage = "openmoji@17.0.0";

struct EmojiDemoOptions {
    QString cacheDir;         // empty = paths::cacheDir() + "/npm"
    QString npmProgram = QStringLiteral("npm");
    int imageSize = 64;       // OpenMoji raster size; Google PNGs are 64 px as shipped
};

struct EmojiDemoResult {
    int images = 0;
    int captions = 0;
    int unmatched = 0;        // images without an openmoji annotation, left out
};

EmojiDemoResult writeEmojiDemo(const QString &dir, EmojiStyle style, const EmojiDemoOptions &options = {},
                               JobControl *job = nullptr);

// Normalises a code point sequence for joining: upper case, without FE0F variation selectors.
QString emojiJoinKey(const QString &codepoints);

}  // namespace cospace
