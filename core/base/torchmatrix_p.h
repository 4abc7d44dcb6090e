#pragma once
// Private (includes Torch): moving Matrix data in and out of tensors, one place for the copies.

#include "core/base/matrix.h"

#include <torch/torch.h>

#include <cstring>

namespace cospace::detail {

// A [rows, cols] float tensor viewing `m`'s memory (no copy): `m` must outlive it and stay unchanged.
inline torch::Tensor viewOf(const Matrix &m)
{
    return torch::from_blob(const_cast<float *>(m.data.data()), {m.rows, m.cols});
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
