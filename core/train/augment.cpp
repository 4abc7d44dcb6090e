#include "core/train/augment_p.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace cospace::detail {

double uniform(std::mt19937_64 &rng) { return double(rng() >> 11) / double(1ull << 53); }

namespace {

// Shrinks `image` to 25-100 % of its side and places it at a random spot on white: art styles
// differ in how much margin they leave around the subject.
void padInto(cv::Mat &image, std::mt19937_64 &rng)
{
    const int side = image.cols;
    const int inner = std::max(4, int(std::lround(side * (0.25 + 0.75 * uniform(rng)))));
    cv::Mat small;
    cv::resize(image, small, cv::Size(inner, inner), 0, 0, cv::INTER_AREA);
    cv::Mat canvas(image.rows, image.cols, image.type(), cv::Scalar::all(255));
    const int x = int(uniform(rng) * (side - inner + 1));
    const int y = int(uniform(rng) * (image.rows - inner + 1));
    small.copyTo(canvas(cv::Rect(x, y, inner, inner)));
    image = canvas;
}

// Dark lines along colour edges, like outlined (OpenMoji-style) art.
void drawOutlines(cv::Mat &image, std::mt19937_64 &rng)
{
    cv::Mat grey, edges;
    cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
    cv::Canny(grey, edges, 40, 120);
    if (uniform(rng) < 0.5)
        cv::dilate(edges, edges, cv::Mat());
    const int ink = int(40 * uniform(rng));
    image.setTo(cv::Scalar::all(ink), edges);
}

// Flat colours: each channel quantised to 3-6 levels.
void posterize(cv::Mat &image, std::mt19937_64 &rng)
{
    const int levels = 3 + int(uniform(rng) * 4);
    const double step = 255.0 / (levels - 1);
    cv::Mat lut(1, 256, CV_8U);
    for (int v = 0; v < 256; ++v)
        lut.at<uchar>(v) = cv::saturate_cast<uchar>(std::lround(v / step) * step);
    cv::LUT(image, lut, image);
}

}  // namespace

cv::Mat augment(const cv::Mat &src, int size, const AugmentConfig &a, std::mt19937_64 &rng)
{
    const double area = double(src.cols) * src.rows;
    cv::Rect crop(0, 0, src.cols, src.rows);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double target = area * (a.cropScaleMin + (a.cropScaleMax - a.cropScaleMin) * uniform(rng));
        const double ratio = std::exp(std::log(3.0 / 4.0) + (std::log(4.0 / 3.0) - std::log(3.0 / 4.0)) * uniform(rng));
        const int w = int(std::lround(std::sqrt(target * ratio)));
        const int h = int(std::lround(std::sqrt(target / ratio)));
        if (w >= 1 && h >= 1 && w <= src.cols && h <= src.rows) {
            crop = cv::Rect(int(uniform(rng) * (src.cols - w + 1)), int(uniform(rng) * (src.rows - h + 1)), w, h);
            break;
        }
    }
    cv::Mat out;
    cv::resize(src(crop), out, cv::Size(size, size), 0, 0, crop.width > size ? cv::INTER_AREA : cv::INTER_LINEAR);
    if (a.colorJitter > 0) {
        const double j = a.colorJitter;
        const double brightness = 1 + j * (2 * uniform(rng) - 1);
        const double contrast = 1 + j * (2 * uniform(rng) - 1);
        const double saturation = 1 + j * (2 * uniform(rng) - 1);
        cv::Mat f;
        out.convertTo(f, CV_32FC3, brightness);
        cv::Mat grey;
        cv::cvtColor(f, grey, cv::COLOR_RGB2GRAY);
        const double meanGrey = cv::mean(grey)[0];
        f = (f - cv::Scalar::all(meanGrey)) * contrast + cv::Scalar::all(meanGrey);
        cv::cvtColor(f, grey, cv::COLOR_RGB2GRAY);
        cv::Mat grey3;
        cv::cvtColor(grey, grey3, cv::COLOR_GRAY2RGB);
        f = grey3 + (f - grey3) * saturation;
        f.convertTo(out, CV_8UC3);
    }
    if (uniform(rng) < a.grayscale) {
        cv::Mat grey;
        cv::cvtColor(out, grey, cv::COLOR_RGB2GRAY);
        cv::cvtColor(grey, out, cv::COLOR_GRAY2RGB);
    }
    if (uniform(rng) < a.blur)
        cv::GaussianBlur(out, out, cv::Size(3, 3), 0.1 + 0.9 * uniform(rng));
    if (a.posterize > 0 && uniform(rng) < a.posterize)
        posterize(out, rng);
    if (a.outline > 0 && uniform(rng) < a.outline)
        drawOutlines(out, rng);
    if (a.pad > 0 && uniform(rng) < a.pad)
        padInto(out, rng);
    if (a.hflip && uniform(rng) < 0.5)
        cv::flip(out, out, 1);
    return out;
}


}  // namespace cospace::detail
