#pragma once
// Aligning layouts across checkpoints or models so the same item moves as little as possible.
//
// Rows of the two matrices must correspond (row i is the same item). All functions throw
// std::runtime_error on mismatched shapes, fewer than 3 rows or non-finite values.

#include "core/base/matrix.h"

#include <vector>

namespace cospace {

// Orthogonal Procrustes in the embedding space: the D x D orthogonal R minimising ||A R - B||_F
// (Schönemann 1966: R = U V^T with U S V^T = svd(A^T B)). Apply with applyRotation(A, R).
Matrix orthogonalProcrustes(const Matrix &a, const Matrix &b);
Matrix applyRotation(const Matrix &a, const Matrix &r);

// 2-D similarity Procrustes: the rotation (optionally with reflection), uniform scale and
// translation that maps `moving` (N x 2) onto `reference` (N x 2) in the least-squares sense.
struct Similarity2D {
    float a = 1, b = 0;          // x' = s*(R x) + t with s*R = [[a, -b], [b, a]] (or reflected)
    bool reflect = false;        // true: x is mirrored (y -> -y) before the rotation
    float tx = 0, ty = 0;
    double rmsd = 0;             // root-mean-square distance after alignment
    double scale() const;
    double angleRadians() const;
};
Similarity2D procrustes2D(const Matrix &moving, const Matrix &reference, bool allowReflection = true);
Matrix applySimilarity(const Matrix &layout, const Similarity2D &t);

// Aligns `moving` to `reference` (procrustes2D) and returns the aligned layout; `displacement`
// (optional) receives each item's distance between its aligned and reference positions.
Matrix alignLayout(const Matrix &moving, const Matrix &reference, std::vector<float> *displacement = nullptr);

}  // namespace cospace
