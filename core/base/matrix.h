#pragma once
// A dense row-major float matrix: the plain type in which vectors cross the core's public API
// (embeddings, layouts, similarity tables), so callers never need Torch or OpenCV headers.

#include <cstddef>
#include <span>
#include <vector>

namespace cospace {

struct Matrix {
    int rows = 0;
    int cols = 0;
    std::vector<float> data;   // rows * cols values, row-major

    Matrix() = default;
    Matrix(int r, int c, float fill = 0.f) : rows(r), cols(c), data(std::size_t(r) * std::size_t(c), fill) {}

    float *row(int i) { return data.data() + std::size_t(i) * std::size_t(cols); }
    const float *row(int i) const { return data.data() + std::size_t(i) * std::size_t(cols); }
    std::span<const float> rowSpan(int i) const { return {row(i), std::size_t(cols)}; }
    float &at(int i, int j) { return data[std::size_t(i) * std::size_t(cols) + std::size_t(j)]; }
    float at(int i, int j) const { return data[std::size_t(i) * std::size_t(cols) + std::size_t(j)]; }
    bool empty() const { return rows == 0 || cols == 0; }
};

// Rows someone else owns, read-only: a Matrix's, or a mapped snapshot's (store/vectorsnapshot.h).
// What a function that only reads rows takes, so a million mapped rows need no copy to be read.
struct MatrixView {
    const float *values = nullptr;   // rows * cols values, row-major
    int rows = 0;
    int cols = 0;

    MatrixView() = default;
    MatrixView(const float *v, int r, int c) : values(v), rows(r), cols(c) {}
    MatrixView(const Matrix &m) : values(m.data.data()), rows(m.rows), cols(m.cols) {}   // NOLINT: implicit on purpose

    const float *row(int i) const { return values + std::size_t(i) * std::size_t(cols); }
    std::span<const float> rowSpan(int i) const { return {row(i), std::size_t(cols)}; }
    float at(int i, int j) const { return row(i)[j]; }
    bool empty() const { return rows == 0 || cols == 0; }
    MatrixView middleRows(int first, int count) const { return {row(first), count, cols}; }
    Matrix copy() const;   // an owned Matrix of the same rows
};

// L2 normalisation, the one way Cospace makes unit vectors (sums in double). A row without a
// direction (all zero, or not finite) becomes all zero: normalizeRow() returns false for it,
// normalizeRows() the index of the first such row (-1 when every row became a unit vector).
bool normalizeRow(std::span<float> row);
int normalizeRows(Matrix &m);
Matrix normalizedRows(Matrix m);

// Rows `which` of the row-major `rows` (`cols` values each), in that order; a Matrix's or a mapped file's.
Matrix gatherRows(const float *rows, int cols, std::span<const int> which);
inline Matrix gatherRows(MatrixView m, std::span<const int> which) { return gatherRows(m.values, m.cols, which); }

}  // namespace cospace
