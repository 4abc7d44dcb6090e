#include "core/projection/semanticaxes.h"

#include "core/model/embeddingmodel.h"
#include "core/projection/pca.h"
#include "core/search/search.h"

#include <numeric>
#include <stdexcept>

namespace cospace {

AxisPair parseAxisPair(const QString &text)
{
    const QStringList sides = text.split(u'|');
    if (sides.size() != 2 || sides[0].trimmed().isEmpty() || sides[1].trimmed().isEmpty())
        throw std::invalid_argument(u"axis '%1': write it as two prompts around a bar, \"night | day\""_qs.arg(text).toStdString());
    return {sides[0].trimmed(), sides[1].trimmed()};
}

Matrix axisPoles(EmbeddingModel &model, const AxesSpec &spec)
{
    QStringList prompts{spec.x.positive, spec.x.negative};
    if (spec.y)
        prompts << spec.y->positive << spec.y->negative;
    Matrix poles(int(prompts.size()), model.embedDim());
    for (int i = 0; i < prompts.size(); ++i) {
        const std::vector<float> v = encodePrompt(model, prompts[i]);   // weighted prompts work too
        std::copy(v.begin(), v.end(), poles.row(i));
    }
    return poles;
}

Matrix placeOnAxes(const Matrix &vectors, const Matrix &poles)
{
    if (poles.rows != 2 && poles.rows != 4)
        throw std::invalid_argument("semantic axes: two or four pole prompts are required");
    if (vectors.rows > 0 && vectors.cols != poles.cols)
        throw std::invalid_argument("semantic axes: the vectors and the prompts differ in dimension");
    const int d = poles.cols;
    std::vector<float> dx(static_cast<std::size_t>(d)), dy(static_cast<std::size_t>(d));
    for (int j = 0; j < d; ++j) {
        dx[std::size_t(j)] = poles.at(0, j) - poles.at(1, j);
        if (poles.rows == 4)
            dy[std::size_t(j)] = poles.at(2, j) - poles.at(3, j);
    }
    Matrix out(vectors.rows, 2);
    for (int i = 0; i < vectors.rows; ++i) {
        const float *v = vectors.row(i);
        out.at(i, 0) = std::inner_product(v, v + d, dx.begin(), 0.f);   // cos(v, a) - cos(v, b)
        if (poles.rows == 4)
            out.at(i, 1) = std::inner_product(v, v + d, dy.begin(), 0.f);
    }
    if (poles.rows == 4 || vectors.rows < 3)
        return out;
    // No second pair: y is the first principal component of what x does not explain.
    double n2 = 0;
    for (float v : dx)
        n2 += double(v) * v;
    Matrix rest = vectors;
    if (n2 > 1e-20)
        for (int i = 0; i < rest.rows; ++i) {
            const float along = float(std::inner_product(rest.row(i), rest.row(i) + d, dx.begin(), 0.0) / n2);
            for (int j = 0; j < d; ++j)
                rest.at(i, j) -= along * dx[std::size_t(j)];
        }
    const PcaResult p = pca(rest, 1);
    for (int i = 0; i < out.rows; ++i)
        out.at(i, 1) = p.projected.at(i, 0);
    return out;
}

}  // namespace cospace
