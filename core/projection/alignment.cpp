#include "core/projection/alignment.h"

#include "core/projection/projection.h"

#include <cmath>
#include <complex>
#include <stdexcept>

namespace cospace {
namespace {

using Complex = std::complex<double>;

void checkPair(const Matrix &moving, const Matrix &reference)
{
    validateProjectionInput(moving, "moving layout");
    validateProjectionInput(reference, "reference layout");
    if (moving.cols != 2 || reference.cols != 2 || moving.rows != reference.rows)
        throw std::runtime_error("procrustes2D: both layouts must be N x 2 with the same N");
}

// In complex form the best similarity is y = c x + t with c = sum(conj(x_c) y_c) / sum|x_c|^2 over
// centred points: |c| is the scale and arg(c) the angle.
Similarity2D fit(const Matrix &moving, const Matrix &reference, bool reflect)
{
    const int n = moving.rows;
    auto pointAt = [&](int i) { return Complex(moving.at(i, 0), reflect ? -moving.at(i, 1) : moving.at(i, 1)); };
    Complex mx = 0, my = 0;
    for (int i = 0; i < n; ++i) { mx += pointAt(i); my += Complex(reference.at(i, 0), reference.at(i, 1)); }
    mx /= double(n); my /= double(n);
    Complex num = 0;
    double den = 0;
    for (int i = 0; i < n; ++i) {
        const Complex x = pointAt(i) - mx, y = Complex(reference.at(i, 0), reference.at(i, 1)) - my;
        num += std::conj(x) * y;
        den += std::norm(x);
    }
    const Complex c = den > 0 ? num / den : Complex(1, 0);
    const Complex t = my - c * mx;
    Similarity2D s;
    s.a = float(c.real()); s.b = float(c.imag()); s.reflect = reflect;
    s.tx = float(t.real()); s.ty = float(t.imag());
    double sq = 0;
    for (int i = 0; i < n; ++i) sq += std::norm(c * pointAt(i) + t - Complex(reference.at(i, 0), reference.at(i, 1)));
    s.rmsd = std::sqrt(sq / n);
    return s;
}

}  // namespace

double Similarity2D::scale() const { return std::hypot(double(a), double(b)); }
double Similarity2D::angleRadians() const { return std::atan2(double(b), double(a)); }

Similarity2D procrustes2D(const Matrix &moving, const Matrix &reference, bool allowReflection)
{
    checkPair(moving, reference);
    const Similarity2D plain = fit(moving, reference, false);
    if (!allowReflection) return plain;
    const Similarity2D mirrored = fit(moving, reference, true);
    return mirrored.rmsd < plain.rmsd ? mirrored : plain;
}

Matrix applySimilarity(const Matrix &layout, const Similarity2D &t)
{
    if (layout.cols != 2) throw std::runtime_error("applySimilarity: layout must be N x 2");
    Matrix out(layout.rows, 2);
    for (int i = 0; i < layout.rows; ++i) {
        const float x = layout.at(i, 0), y = t.reflect ? -layout.at(i, 1) : layout.at(i, 1);
        out.at(i, 0) = t.a * x - t.b * y + t.tx;
        out.at(i, 1) = t.b * x + t.a * y + t.ty;
    }
    return out;
}

Matrix alignLayout(const Matrix &moving, const Matrix &reference, std::vector<float> *displacement)
{
    const Matrix aligned = applySimilarity(moving, procrustes2D(moving, reference));
    if (displacement) {
        displacement->resize(std::size_t(aligned.rows));
        for (int i = 0; i < aligned.rows; ++i)
            (*displacement)[std::size_t(i)] = std::hypot(aligned.at(i, 0) - reference.at(i, 0), aligned.at(i, 1) - reference.at(i, 1));
    }
    return aligned;
}

}  // namespace cospace
