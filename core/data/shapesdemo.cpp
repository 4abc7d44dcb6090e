#include "core/data/shapesdemo.h"

#include <QDir>
#include <QSaveFile>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <random>
#include <stdexcept>

namespace cospace {

namespace {

// BGR, as OpenCV draws.
const cv::Scalar kColours[] = {
    {40, 40, 220},    // red
    {60, 170, 40},    // green
    {220, 90, 30},    // blue
    {30, 210, 235},   // yellow
    {170, 50, 150},   // purple
    {20, 140, 250},   // orange
};

constexpr float kSmallRadius = 0.12f;  // fraction of the image side
constexpr float kLargeRadius = 0.21f;

float radiusOf(const Shape &s) { return s.large ? kLargeRadius : kSmallRadius; }

// Uniform in [0, n) from the generator's raw output: std::uniform_*_distribution is
// implementation-defined, and the dataset must be identical everywhere for a seed.
int uniformInt(std::mt19937_64 &rng, int n) { return int(rng() % std::uint64_t(n)); }
float uniformFloat(std::mt19937_64 &rng, float lo, float hi)
{
    return lo + (hi - lo) * float(double(rng() >> 11) / double(1ull << 53));
}

void drawShape(cv::Mat &img, const Shape &s)
{
    const float side = float(img.cols);
    const cv::Point2f c(s.cx * side, s.cy * side);
    const float r = radiusOf(s) * side;
    const cv::Scalar colour = kColours[s.colour];
    constexpr int kShift = 4;  // sub-pixel precision for anti-aliased drawing
    const float scale = float(1 << kShift);
    auto pt = [&](float x, float y) { return cv::Point(int(x * scale), int(y * scale)); };
    switch (s.kind) {
    case 0:
        cv::circle(img, pt(c.x, c.y), int(r * scale), colour, cv::FILLED, cv::LINE_AA, kShift);
        break;
    case 1: {
        const float h = r * 0.85f;
        std::vector<cv::Point> poly{pt(c.x - h, c.y - h), pt(c.x + h, c.y - h), pt(c.x + h, c.y + h), pt(c.x - h, c.y + h)};
        cv::fillPoly(img, std::vector<std::vector<cv::Point>>{poly}, colour, cv::LINE_AA, kShift);
        break;
    }
    case 2: {
        std::vector<cv::Point> poly{pt(c.x, c.y - r), pt(c.x + r * 0.95f, c.y + r * 0.8f), pt(c.x - r * 0.95f, c.y + r * 0.8f)};
        cv::fillPoly(img, std::vector<std::vector<cv::Point>>{poly}, colour, cv::LINE_AA, kShift);
        break;
    }
    default: {
        std::vector<cv::Point> poly{pt(c.x, c.y - r), pt(c.x + r * 0.8f, c.y), pt(c.x, c.y + r), pt(c.x - r * 0.8f, c.y)};
        cv::fillPoly(img, std::vector<std::vector<cv::Point>>{poly}, colour, cv::LINE_AA, kShift);
    }
    }
}

QString describe(const Shape &s, bool withSize)
{
    const QString words = (withSize ? (s.large ? u"large "_qs : u"small "_qs) : QString())
                          + shapeColourNames()[s.colour] + u' ' + shapeKindNames()[s.kind];
    const bool vowel = QStringView(u"aeiou").contains(words.front());
    return (vowel ? u"an "_qs : u"a "_qs) + words;
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        throw std::runtime_error(u"%1: cannot write: %2"_qs.arg(path, file.errorString()).toStdString());
}

}  // namespace

const QStringList &shapeKindNames()
{
    static const QStringList names{u"circle"_qs, u"square"_qs, u"triangle"_qs, u"diamond"_qs};
    return names;
}

const QStringList &shapeColourNames()
{
    static const QStringList names{u"red"_qs, u"green"_qs, u"blue"_qs, u"yellow"_qs, u"purple"_qs, u"orange"_qs};
    return names;
}

std::vector<Shape> shapesScene(std::uint64_t seed, int index, int maxShapes)
{
    // One generator per image, so any image can be regenerated alone and in parallel.
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + std::uint64_t(index));
    const int count = 1 + uniformInt(rng, qBound(1, maxShapes, 3));
    std::vector<Shape> scene;
    for (int attempt = 0; int(scene.size()) < count && attempt < 200; ++attempt) {
        Shape s;
        s.kind = uniformInt(rng, int(shapeKindNames().size()));
        s.colour = uniformInt(rng, int(shapeColourNames().size()));
        s.large = uniformInt(rng, 2) == 1;
        const float r = radiusOf(s);
        s.cx = uniformFloat(rng, r + 0.02f, 0.98f - r);
        s.cy = uniformFloat(rng, r + 0.02f, 0.98f - r);
        bool clear = true;
        for (const Shape &o : scene) {
            const float dx = o.cx - s.cx, dy = o.cy - s.cy;
            const float gap = radiusOf(o) + r + 0.03f;
            // Shapes must not overlap, and two shapes must not be the same colour+kind
            // (the caption would be ambiguous).
            if (dx * dx + dy * dy < gap * gap || (o.kind == s.kind && o.colour == s.colour))
                clear = false;
        }
        if (clear)
            scene.push_back(s);
    }
    return scene;
}

QString shapesRelation(const Shape &a, const Shape &b)
{
    const float dx = a.cx - b.cx, dy = a.cy - b.cy;
    if (std::abs(dx) >= std::abs(dy))
        return dx < 0 ? u"left of"_qs : u"right of"_qs;
    return dy < 0 ? u"above"_qs : u"below"_qs;
}

QStringList shapesCaptions(const std::vector<Shape> &scene)
{
    QStringList captions;
    if (scene.empty())
        return captions;
    if (scene.size() == 1) {
        captions << describe(scene[0], true) << describe(scene[0], false);
        return captions;
    }
    captions << u"%1 %2 %3"_qs.arg(describe(scene[0], true), shapesRelation(scene[0], scene[1]),
                                   describe(scene[1], true));
    QStringList plain;
    for (const Shape &s : scene)
        plain << describe(s, false);
    const QString last = plain.takeLast();
    captions << plain.join(u", "_qs) + u" and "_qs + last;
    if (scene.size() == 3)
        captions << u"%1 %2 %3"_qs.arg(describe(scene[2], true), shapesRelation(scene[2], scene[0]),
                                       describe(scene[0], true));
    return captions;
}

ShapesResult generateShapesDataset(const QString &dir, const ShapesOptions &options, JobControl *job)
{
    if (options.count < 1)
        throw std::runtime_error("shapes: --count must be at least 1");
    if (options.imageSize < 16 || options.imageSize > 4096)
        throw std::runtime_error("shapes: image size must be between 16 and 4096 pixels");
    const QDir root(dir);
    if (!root.mkpath(u"images"_qs))
        throw std::runtime_error(u"%1: cannot create folder"_qs.arg(dir).toStdString());
    if (job) {
        job->setStage(u"drawing shapes"_qs);
        job->setTotal(options.count);
    }
    ShapesResult result;
    QByteArray tsv = "image\tcaption\n";
    const cv::Scalar background(245, 245, 245);
    for (int i = 0; i < options.count; ++i) {
        if (job && job->cancelled())
            throw JobCancelled{};
        const std::vector<Shape> scene = shapesScene(options.seed, i, options.maxShapes);
        cv::Mat img(options.imageSize, options.imageSize, CV_8UC3, background);
        for (const Shape &s : scene)
            drawShape(img, s);
        const QString shard = u"%1"_qs.arg(i / 1000, 3, 10, QLatin1Char('0'));
        const QString rel = u"images/%1/%2.png"_qs.arg(shard).arg(i, 6, 10, QLatin1Char('0'));
        if (i % 1000 == 0)
            root.mkpath(u"images/"_qs + shard);
        std::vector<uchar> png;
        cv::imencode(".png", img, png);
        writeFile(root.absoluteFilePath(rel), QByteArray(reinterpret_cast<const char *>(png.data()), qsizetype(png.size())));
        for (const QString &caption : shapesCaptions(scene)) {
            tsv += rel.toUtf8() + '\t' + caption.toUtf8() + '\n';
            ++result.captions;
        }
        ++result.images;
        if (job)
            job->advance();
    }
    result.captionFile = root.absoluteFilePath(u"captions.tsv"_qs);
    writeFile(result.captionFile, tsv);
    writeFile(root.absoluteFilePath(u"README.md"_qs),
              u"# shapes demo dataset\n\nGenerated by `cospace-cli demo shapes DIR --count %1 --seed %2` "
              "(image size %3 px). Synthetic; dedicated to the public domain (CC0 1.0).\n"_qs
                  .arg(options.count).arg(options.seed).arg(options.imageSize).toUtf8());
    if (job)
        job->finish();
    return result;
}

}  // namespace cospace
