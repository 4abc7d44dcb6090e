#pragma once
// Semantic axes: a 2-D placement whose axes are defined by prompt pairs instead of being learned.
//   x = cos(v, text("a photo taken at night")) - cos(v, text("a photo taken in daylight"))
//   y = the same for a second pair, or — without one — the first principal component of the vectors
//       with the x direction projected out (what varies most apart from x).
// Images and captions alike are placed by their scores (all rows are unit vectors in one space).
//
// Not one of kProjectionMethods on purpose: it needs the model's text tower and its prompts, which a
// workspace's "method" and the toolbar's method combo do not carry. `cospace-cli project --method
// axes --x "A|B" [--y "C|D"]` and the explorer's Axes toolbar use it directly.
//
// axisPoles() runs the text tower (not thread-safe, like the model); placeOnAxes() is pure.
// Errors: a pair without "|" or with an empty side, dimension mismatch -> std::invalid_argument.

#include "core/base/matrix.h"

#include <QString>

#include <optional>

namespace cospace {

class EmbeddingModel;

struct AxisPair {
    QString positive;   // the axis grows towards this prompt ("night")
    QString negative;   // ... away from this one ("day")
    QString label() const { return negative + u" \u2190 \u2192 "_qs + positive; }
};
// "night | day" -> {"night", "day"}. Prompts may use search syntax ("0.7 red car + 0.3 night").
AxisPair parseAxisPair(const QString &text);

struct AxesSpec {
    AxisPair x;
    std::optional<AxisPair> y;   // none: y is the first principal component of the rest
};

// The unit prompt vectors: x.positive, x.negative[, y.positive, y.negative] as rows.
Matrix axisPoles(EmbeddingModel &model, const AxesSpec &spec);

// N x 2 scores of the unit rows of `vectors` (see above). `poles` as axisPoles() returns them.
Matrix placeOnAxes(const Matrix &vectors, const Matrix &poles);

}  // namespace cospace
