#include "core/model/clippreprocess.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace cospace {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;   // Pillow's PRECISION_BITS for 8-bit images
constexpr double kBicubicA = -0.5;           // Pillow's bicubic_filter (Keys, a = -0.5)
constexpr double kBicubicSupport = 2.0;

double bicubic(double x)
{
    x = std::abs(x);
    if (x < 1.0)
        return ((kBicubicA + 2.0) * x - (kBicubicA + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * kBicubicA;
    return 0.0;
}

// One output sample's taps: first input index and fixed-point weights.
struct Taps {
    int first = 0;
    std::vector<std::int32_t> weights;
};

// Pillow's precompute_coeffs() + normalize_coeffs_8bpc() for outputs [outBegin, outEnd).
std::vector<Taps> coefficients(int inSize, int outSize, int outBegin, int outEnd)
{
    const double scale = double(inSize) / outSize;
    const double filterScale = std::max(scale, 1.0);
    const double support = kBicubicSupport * filterScale;
    std::vector<Taps> taps;
    taps.reserve(std::size_t(outEnd - outBegin));
    std::vector<double> k;
    for (int xx = outBegin; xx < outEnd; ++xx) {
        const double center = (xx + 0.5) * scale;
        const double ss = 1.0 / filterScale;
        const int xmin = std::max(0, int(center - support + 0.5));     // (int) truncation, as in C
        const int xmax = std::min(inSize, int(center + support + 0.5)) - xmin;
        k.assign(std::size_t(std::max(xmax, 0)), 0.0);
        double sum = 0.0;
        for (int x = 0; x < xmax; ++x) {
            k[x] = bicubic((x + xmin - center + 0.5) * ss);
            sum += k[x];
        }
        Taps t;
        t.first = xmin;
        t.weights.resize(k.size());
        for (std::size_t x = 0; x < k.size(); ++x) {
            const double w = (sum != 0.0 ? k[x] / sum : k[x]) * (1 << kPrecisionBits);
            t.weights[x] = std::int32_t(w < 0 ? -0.5 + w : 0.5 + w);
        }
        taps.push_back(std::move(t));
    }
    return taps;
}

std::uint8_t clip8(std::int32_t acc)
{
    return std::uint8_t(std::clamp(acc >> kPrecisionBits, 0, 255));
}

// Horizontal pass over rows [rowBegin, rowEnd) of `in`, producing output columns per `taps`.
RgbImage resampleHorizontal(const RgbImage &in, const std::vector<Taps> &taps, int rowBegin, int rowEnd)
{
    RgbImage out;
    out.width = int(taps.size());
    out.height = rowEnd - rowBegin;
    out.pixels.resize(std::size_t(out.width) * std::size_t(out.height) * 3);
    for (int y = 0; y < out.height; ++y) {
        const std::uint8_t *src = in.pixels.data() + std::size_t(y + rowBegin) * std::size_t(in.width) * 3;
        std::uint8_t *dst = out.pixels.data() + std::size_t(y) * std::size_t(out.width) * 3;
        for (int x = 0; x < out.width; ++x) {
            const Taps &t = taps[std::size_t(x)];
            std::int32_t acc[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1)};
            const std::uint8_t *p = src + std::size_t(t.first) * 3;
            for (std::size_t i = 0; i < t.weights.size(); ++i, p += 3) {
                acc[0] += p[0] * t.weights[i];
                acc[1] += p[1] * t.weights[i];
                acc[2] += p[2] * t.weights[i];
            }
            dst[3 * x] = clip8(acc[0]);
            dst[3 * x + 1] = clip8(acc[1]);
            dst[3 * x + 2] = clip8(acc[2]);
        }
    }
    return out;
}

// Vertical pass; `rowOffset` is the first input row `in` holds.
RgbImage resampleVertical(const RgbImage &in, const std::vector<Taps> &taps, int rowOffset)
{
    RgbImage out;
    out.width = in.width;
    out.height = int(taps.size());
    out.pixels.resize(std::size_t(out.width) * std::size_t(out.height) * 3);
    const std::size_t stride = std::size_t(in.width) * 3;
    for (int y = 0; y < out.height; ++y) {
        const Taps &t = taps[std::size_t(y)];
        std::uint8_t *dst = out.pixels.data() + std::size_t(y) * stride;
        for (std::size_t c = 0; c < stride; ++c) {
            std::int32_t acc = 1 << (kPrecisionBits - 1);
            const std::uint8_t *p = in.pixels.data() + std::size_t(t.first - rowOffset) * stride + c;
            for (std::size_t i = 0; i < t.weights.size(); ++i, p += stride)
                acc += *p * t.weights[i];
            dst[c] = clip8(acc);
        }
    }
    return out;
}

// Pillow's resize restricted to the output window [x0, x0 + w) x [y0, y0 + h): every output pixel
// depends only on its own taps, so computing a window equals resizing fully and cropping.
RgbImage resizeWindow(const RgbImage &image, int outW, int outH, int x0, int y0, int w, int h)
{
    if (image.isNull() || image.pixels.size() != std::size_t(image.width) * std::size_t(image.height) * 3)
        throw std::invalid_argument("resize: empty or inconsistent RGB image");
    if (outW != image.width) {
        RgbImage src;
        // Pillow runs the horizontal pass only over the rows the vertical pass will read.
        int rowBegin = y0, rowEnd = y0 + h;
        std::vector<Taps> vtaps;
        if (outH != image.height) {
            vtaps = coefficients(image.height, outH, y0, y0 + h);
            rowBegin = vtaps.front().first;
            rowEnd = 0;
            for (const Taps &t : vtaps)
                rowEnd = std::max(rowEnd, t.first + int(t.weights.size()));
        }
        src = resampleHorizontal(image, coefficients(image.width, outW, x0, x0 + w), rowBegin, rowEnd);
        return outH != image.height ? resampleVertical(src, vtaps, rowBegin) : src;
    }
    // Width unchanged: crop columns first, then the vertical pass (or nothing).
    RgbImage cols;
    cols.width = w;
    cols.height = image.height;
    cols.pixels.resize(std::size_t(w) * std::size_t(image.height) * 3);
    for (int y = 0; y < image.height; ++y)
        std::copy_n(image.pixels.data() + (std::size_t(y) * std::size_t(image.width) + std::size_t(x0)) * 3,
                    std::size_t(w) * 3, cols.pixels.data() + std::size_t(y) * std::size_t(w) * 3);
    if (outH != image.height)
        return resampleVertical(cols, coefficients(image.height, outH, y0, y0 + h), 0);
    RgbImage rows;
    rows.width = w;
    rows.height = h;
    rows.pixels.assign(cols.pixels.begin() + std::ptrdiff_t(std::size_t(y0) * std::size_t(w) * 3),
                       cols.pixels.begin() + std::ptrdiff_t(std::size_t(y0 + h) * std::size_t(w) * 3));
    return rows;
}

}  // namespace

RgbImage resizeBicubicPil(const RgbImage &image, int width, int height)
{
    if (width <= 0 || height <= 0)
        throw std::invalid_argument("resize: target size must be positive");
    return resizeWindow(image, width, height, 0, 0, width, height);
}

RgbImage clipResizeCenterCrop(const RgbImage &image, int size)
{
    if (size <= 0)
        throw std::invalid_argument("clip preprocessing: size must be positive");
    const int w = image.width, h = image.height;
    const int shortSide = std::min(w, h), longSide = std::max(w, h);
    int newW = w, newH = h;
    if (shortSide != size) {
        // torchvision: new_long = int(size * long / short), truncated.
        const int newLong = int(double(size) * longSide / shortSide);
        newW = w <= h ? size : newLong;
        newH = w <= h ? newLong : size;
    }
    // CenterCrop: int(round((h - S) / 2.0)); Python rounds halves to even, as nearbyint does.
    // An image smaller than S would be zero-padded by torchvision; after the resize it cannot be.
    const int top = int(std::nearbyint((newH - size) / 2.0));
    const int left = int(std::nearbyint((newW - size) / 2.0));
    return resizeWindow(image, newW, newH, left, top, size, size);
}

std::vector<float> clipPreprocess(const RgbImage &image, const ClipImageConfig &config)
{
    const RgbImage crop = clipResizeCenterCrop(image, config.size);
    const std::size_t plane = std::size_t(config.size) * std::size_t(config.size);
    std::vector<float> out(plane * 3);
    for (int c = 0; c < 3; ++c) {
        // ToTensor divides by 255 in float32, Normalize subtracts and divides: same order here.
        const float mean = config.mean[std::size_t(c)], std = config.std[std::size_t(c)];
        float *dst = out.data() + plane * std::size_t(c);
        for (std::size_t i = 0; i < plane; ++i)
            dst[i] = (float(crop.pixels[3 * i + std::size_t(c)]) / 255.f - mean) / std;
    }
    return out;
}

}  // namespace cospace
