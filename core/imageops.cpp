#include "core/imageops_p.h"

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

cv::Mat readRgb(const QString &path, QString *error)
{
    cv::Mat raw = cv::imread(path.toStdString(), cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH);
    if (raw.empty()) {
        if (error)
            *error = u"cannot decode image"_qs;
        return {};
    }
    if (raw.depth() == CV_16U)
        raw.convertTo(raw, CV_8U, 1.0 / 257.0);
    else if (raw.depth() != CV_8U)
        raw.convertTo(raw, CV_8U, 255.0);
    cv::Mat rgb;
    switch (raw.channels()) {
    case 1:
        cv::cvtColor(raw, rgb, cv::COLOR_GRAY2RGB);
        break;
    case 3:
        cv::cvtColor(raw, rgb, cv::COLOR_BGR2RGB);
        break;
    case 4: {
        // Composite on white: transparent emoji backgrounds must not turn black.
        cv::Mat bgr(raw.rows, raw.cols, CV_8UC3);
        for (int y = 0; y < raw.rows; ++y) {
            const cv::Vec4b *src = raw.ptr<cv::Vec4b>(y);
            cv::Vec3b *dst = bgr.ptr<cv::Vec3b>(y);
            for (int x = 0; x < raw.cols; ++x) {
                const int a = src[x][3];
                for (int c = 0; c < 3; ++c)
                    dst[x][c] = cv::saturate_cast<uchar>((src[x][c] * a + 255 * (255 - a) + 127) / 255);
            }
        }
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        break;
    }
    default:
        if (error)
            *error = u"unsupported channel count %1"_qs.arg(raw.channels());
        return {};
    }
    return rgb;
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
