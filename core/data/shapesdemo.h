#pragma once
// The "shapes" demo: a seeded, offline generator of images with 1-3 coloured shapes and
// compositional captions (colour, size, shape, relative position), so attribute binding and
// "left of" can be tested. Used by tests, scale benchmarks and as the offline demo.
//
// Output layout (a dataset folder, see dataset.h):
//   DIR/images/NNN/NNNNNN.png   (1000 images per sub-folder)
//   DIR/captions.tsv            2-3 caption rows per image
//   DIR/README.md               how it was made (seed, count), licence CC0
// The same (count, seed, imageSize) always produces the same bytes.

#include "core/base/job.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace cospace {

struct ShapesOptions {
    int count = 1000;
    std::uint64_t seed = 1;
    int imageSize = 64;     // pixels, square
    int maxShapes = 3;      // 1..3
};

struct Shape {
    int kind = 0;    // index into shapeKindNames()
    int colour = 0;  // index into shapeColourNames()
    bool large = false;
    float cx = 0, cy = 0;  // centre, as a fraction of the image side
};

const QStringList &shapeKindNames();    // circle, square, triangle, diamond
const QStringList &shapeColourNames();  // red, green, blue, yellow, purple, orange

// The scene of image `index` for a seed: pure, so tests and the generator agree.
std::vector<Shape> shapesScene(std::uint64_t seed, int index, int maxShapes = 3);
// Captions for a scene, most specific first ("a small red circle left of a large blue square").
QStringList shapesCaptions(const std::vector<Shape> &scene);
// "left of", "right of", "above" or "below": where a lies relative to b (dominant axis).
QString shapesRelation(const Shape &a, const Shape &b);

struct ShapesResult {
    int images = 0;
    int captions = 0;
    QString captionFile;
};
// Writes the dataset into `dir` (created if missing). Throws std::runtime_error with a readable
// message when a file cannot be written, JobCancelled when cancelled.
ShapesResult generateShapesDataset(const QString &dir, const ShapesOptions &options, JobControl *job = nullptr);

}  // namespace cospace
