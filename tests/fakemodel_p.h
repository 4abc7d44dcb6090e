#pragma once
// A deterministic stand-in for EmbeddingModel in store/search tests: no Torch, instant, and a
// fingerprint of the test's choosing (to test switching models). Images: 8x8 nearest-neighbour
// thumbnail through a fixed random projection; texts: hashed character trigrams. Rows unit length.

#include "core/model/embeddingmodel.h"

#include <QHash>

#include <cmath>
#include <random>

namespace cospace::test {

class FakeModel : public EmbeddingModel
{
public:
    explicit FakeModel(QString fingerprint = u"fake:1"_qs, int dim = 16) : m_fingerprint(std::move(fingerprint)), m_dim(dim)
    {
        std::mt19937 rng(7);
        std::normal_distribution<float> g;
        m_projection.resize(std::size_t(kSide * kSide * 3 * m_dim));
        for (float &v : m_projection)
            v = g(rng);
    }
    QString name() const override { return u"fake"_qs; }
    QString source() const override { return u"test"_qs; }
    QString fingerprint() const override { return m_fingerprint; }
    int embedDim() const override { return m_dim; }
    int imageSize() const override { return kSide; }
    std::vector<float> preprocess(const RgbImage &image) const override
    {
        std::vector<float> x(std::size_t(kSide * kSide * 3));
        for (int c = 0; c < 3; ++c)
            for (int y = 0; y < kSide; ++y)
                for (int xx = 0; xx < kSide; ++xx) {
                    const int sy = y * image.height / kSide, sx = xx * image.width / kSide;
                    x[std::size_t((c * kSide + y) * kSide + xx)] =
                        image.pixels[std::size_t((sy * image.width + sx) * 3 + c)] / 255.f - 0.5f;
                }
        return x;
    }
    Matrix encodePreprocessed(const std::vector<float> &batch, int count) override
    {
        const int per = kSide * kSide * 3;
        Matrix out(count, m_dim);
        for (int i = 0; i < count; ++i)
            for (int j = 0; j < m_dim; ++j) {
                float s = 0;
                for (int k = 0; k < per; ++k)
                    s += batch[std::size_t(i * per + k)] * m_projection[std::size_t(j * per + k)];
                out.at(i, j) = s;
            }
        normalise(out);
        return out;
    }
    Matrix encodeTexts(const QStringList &texts) override
    {
        Matrix out(int(texts.size()), m_dim);
        for (int i = 0; i < out.rows; ++i) {
            const QString t = u"  "_qs + texts[i] + u"  "_qs;
            for (qsizetype k = 0; k + 3 <= t.size(); ++k)
                out.at(i, int(qHash(t.mid(k, 3), 1) % uint(m_dim))) += 1.f;
        }
        normalise(out);
        return out;
    }

private:
    static constexpr int kSide = 8;
    static void normalise(Matrix &m)
    {
        for (int i = 0; i < m.rows; ++i) {
            double n = 0;
            for (int j = 0; j < m.cols; ++j)
                n += double(m.at(i, j)) * m.at(i, j);
            n = std::sqrt(std::max(n, 1e-20));
            for (int j = 0; j < m.cols; ++j)
                m.at(i, j) = float(m.at(i, j) / n);
        }
    }
    QString m_fingerprint;
    int m_dim;
    std::vector<float> m_projection;
};

}  // namespace cospace::test
