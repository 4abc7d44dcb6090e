#include "core/data/imageops_p.h"

#include "core/data/imagedecode.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace cospace::detail {

cv::Mat toMat(const RgbImage &image)
{
    cv::Mat view(image.height, image.width, CV_8UC3, const_cast<std::uint8_t *>(image.pixels.data()));
    return view.clone();
}

RgbImage fromMat(const cv::Mat &rgb)
{
    RgbImage out;
    out.width = rgb.cols;
    out.height = rgb.rows;
    out.pixels.resize(std::size_t(rgb.cols) * std::size_t(rgb.rows) * 3);
    cv::Mat dst(rgb.rows, rgb.cols, CV_8UC3, out.pixels.data());
    rgb.copyTo(dst);
    return out;
}

cv::Mat readRgb(const QString &path, QString *error, int minShortSide)
{
    DecodeOptions options;
    options.minShortSide = minShortSide;
    const DecodedImage decoded = decodeImageFile(path, options);
    if (!decoded.ok()) {
        if (error)
            *error = decoded.reason;
        return {};
    }
    return toMat(decoded.image);
}

cv::Mat resizeShortestCenterCrop(const cv::Mat &rgb, int size)
{
    const int shortSide = std::min(rgb.cols, rgb.rows);
    const double scale = double(size) / shortSide;
    cv::Mat resized;
    if (rgb.cols == rgb.rows && rgb.cols == size)
        return rgb.clone();
    const int w = std::max(size, int(std::lround(rgb.cols * scale)));
    const int h = std::max(size, int(std::lround(rgb.rows * scale)));
    cv::resize(rgb, resized, cv::Size(w, h), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
    const int x = (w - size) / 2, y = (h - size) / 2;
    return resized(cv::Rect(x, y, size, size)).clone();
}

cv::Mat limitShortSide(const cv::Mat &rgb, int side)
{
    const int shortSide = std::min(rgb.cols, rgb.rows);
    if (shortSide <= side)
        return rgb;
    const double scale = double(side) / shortSide;
    cv::Mat out;
    cv::resize(rgb, out, cv::Size(std::max(1, int(std::lround(rgb.cols * scale))),
                                  std::max(1, int(std::lround(rgb.rows * scale)))),
               0, 0, cv::INTER_AREA);
    return out;
}

void toChw(const cv::Mat &rgb, float *out, float mean, float std)
{
    const int plane = rgb.rows * rgb.cols;
    const float scale = 1.f / (255.f * std);
    const float shift = mean / std;
    for (int y = 0; y < rgb.rows; ++y) {
        const cv::Vec3b *row = rgb.ptr<cv::Vec3b>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            const int i = y * rgb.cols + x;
            out[i] = row[x][0] * scale - shift;
            out[plane + i] = row[x][1] * scale - shift;
            out[2 * plane + i] = row[x][2] * scale - shift;
        }
    }
}

}  // namespace cospace::detail
