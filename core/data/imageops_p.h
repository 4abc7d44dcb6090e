#pragma once
// Private (includes OpenCV): the image operations shared by the trainer, the own-model
// preprocessing and evaluation, so training and inference see images prepared the same way.

#include "core/data/rgbimage.h"

#include <opencv2/core.hpp>

#include <QString>

namespace cospace::detail {

// An 8-bit RGB cv::Mat sharing nothing with `image` (a copy).
cv::Mat toMat(const RgbImage &image);
RgbImage fromMat(const cv::Mat &rgb);

// Reads an image file as 8-bit RGB through decodeImageFile() (imagedecode.h: pixel limit, JPEG
// reduction keeping the shorter side >= minShortSide, EXIF, alpha on white). An empty Mat and
// *error set to the reason when the file cannot be decoded.
cv::Mat readRgb(const QString &path, QString *error, int minShortSide = 0);

// Scales so the shorter side is `size` (area filter when shrinking, bicubic when growing), then
// crops the centre square.
cv::Mat resizeShortestCenterCrop(const cv::Mat &rgb, int size);
// Scales so the shorter side is at most `side` (keeps aspect); leaves smaller images alone.
cv::Mat limitShortSide(const cv::Mat &rgb, int side);

// Writes a size x size RGB image as CHW floats: (pixel / 255 - mean) / std.
void toChw(const cv::Mat &rgb, float *out, float mean, float std);

}  // namespace cospace::detail
