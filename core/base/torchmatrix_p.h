#pragma once
// Private (includes Torch): moving Matrix data in and out of tensors, one place for the copies.

#include "core/base/matrix.h"

#include <torch/torch.h>

#include <cstring>

namespace cospace::detail {

// A [rows, cols] float tensor viewing `m`'s memory (no copy; a Matrix's or mapped rows): it must outlive the
// tensor, stay unchanged and is never written through it.
inline torch::Tensor viewOf(MatrixView m)
{
    return torch::from_blob(const_cast<float *>(m.values), {m.rows, m.cols});
}

// Copies a 2-D float tensor into a Matrix.
inline Matrix toMatrix(const torch::Tensor &t)
{
    const torch::Tensor c = t.to(torch::kFloat).contiguous();
    Matrix m(int(c.size(0)), int(c.size(1)));
    std::memcpy(m.data.data(), c.data_ptr<float>(), m.data.size() * sizeof(float));
    return m;
}

}  // namespace cospace::detail
