// The bundle loader: the only place Cospace runs foreign TorchScript.

#include "core/model/clipbundle.h"

#include "core/model/cliptokenizer.h"
#include "core/base/limits.h"
#include "core/model/modelloaders_p.h"

#include <torch/script.h>

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QJsonArray>

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

// The first line of a LibTorch message (they carry long C++ backtraces after it).
QString firstLine(const char *what)
{
    const QString s = QString::fromUtf8(what).trimmed();
    return s.left(s.indexOf(u'\n') < 0 ? s.size() : s.indexOf(u'\n')).left(300);
}

// Turns what LibTorch says about an archive into something the user can act on.
[[noreturn]] void failTorch(const QString &file, const char *what, bool probing)
{
    const QString all = QString::fromUtf8(what);
    QString line = firstLine(what);
    // Interpreter errors start with a generic line; the line naming CUDA is the informative one.
    for (const QString &l : all.split(u'\n')) {
        if (l.contains(u"CUDA"_qs)) {
            line = l.trimmed().left(300);
            break;
        }
    }
    const QString cuda = u"%1: the TorchScript graph is tied to CUDA (as OpenAI's original .pt downloads are) and "
                         "Cospace runs on the CPU; re-export the model with packaging/export/export_clip.py (%2)"_qs;
    if (line.contains(u"CUDA"_qs, Qt::CaseInsensitive))
        fail(cuda.arg(file, line));
    if (all.contains(u"Unknown builtin op"_qs) || all.contains(u"Unknown type name"_qs)
        || all.contains(u"maximum supported version"_qs) || all.contains(u"too old"_qs)
        || all.contains(u"Arguments for call are not valid"_qs) || all.contains(u"Unknown attribute"_qs)
        || all.contains(u"attribute lookup is not defined on builtin"_qs))
        fail(u"%1: uses operators or an archive version that LibTorch 1.13 does not know; export the model with "
             "torch 1.13.x (%2)"_qs.arg(file, line));
    if (all.contains(u"CUDA"_qs, Qt::CaseInsensitive))
        fail(cuda.arg(file, line));
    if (!probing)
        fail(u"%1: not a readable TorchScript archive (corrupt or truncated?): %2"_qs.arg(file, line));
    fail(u"%1: the model failed on a test input: %2"_qs.arg(file, line));
}

class ClipBundleModel final : public EmbeddingModel
{
public:
    explicit ClipBundleModel(ClipBundleInfo info)
        : m_info(std::move(info)), m_tokenizer(m_info.vocabPath)
    {
        const QString modelFile = QDir(m_info.dir).filePath(QString::fromLatin1(kClipBundleModel));
        const QString shown = QDir::toNativeSeparators(modelFile);
        if (const QString problem = modelSizeProblem(QFileInfo(modelFile).size()); !problem.isEmpty())
            fail(u"%1: %2"_qs.arg(shown, problem));
        try {
            m_module = torch::jit::load(QFile::encodeName(modelFile).toStdString(), torch::kCPU);
        } catch (const std::exception &e) {
            failTorch(shown, e.what(), false);
        }
        m_module.eval();
        for (const char *method : {"encode_image", "encode_text"}) {
            if (!m_module.find_method(method))
                fail(u"%1: has no %2 method; export the model with packaging/export/export_clip.py"_qs
                         .arg(shown, QLatin1String(method)));
        }
        probe(shown);
        m_fingerprint = fingerprintOf(modelFile);
    }

    QString name() const override { return m_info.name; }
    QString source() const override { return m_info.dir; }
    QString fingerprint() const override { return m_fingerprint; }
    int embedDim() const override { return m_info.embedDim; }
    int imageSize() const override { return m_info.image.size; }
    QStringList vocabularyWords() const override { return m_tokenizer.wholeWords(); }

    std::vector<float> preprocess(const RgbImage &image) const override
    {
        return clipPreprocess(image, m_info.image);
    }

    // What `cospace-cli info` shows for a bundle: its sizes are in cospace-model.json, its architecture is
    // whatever the TorchScript graph computes (opaque), and loading it ran that code.
    QJsonObject describe() const override
    {
        QJsonObject d = EmbeddingModel::describe();
        std::int64_t parameters = 0;
        QStringList dtypes;
        for (const torch::Tensor &t : m_module.parameters()) {
            parameters += t.numel();
            const QString dtype = QString::fromLatin1(c10::toString(t.scalar_type()));
            if (!dtypes.contains(dtype))
                dtypes << dtype;
        }
        const auto triple = [](const std::array<float, 3> &a) { return QJsonArray{double(a[0]), double(a[1]), double(a[2])}; };
        d[u"format"_qs] = u"Cospace bundle (TorchScript: code, not just weights)"_qs;
        d[u"architecture"_qs] = u"TorchScript encode_image / encode_text (opaque to Cospace)"_qs;
        d[u"vision"_qs] = QJsonObject{{u"image_size"_qs, m_info.image.size}};
        d[u"text"_qs] = QJsonObject{{u"context_length"_qs, m_info.contextLength}, {u"truncate"_qs, m_info.truncate}};
        d[u"parameters"_qs] = double(parameters);
        d[u"dtype"_qs] = dtypes.join(u", "_qs);
        d[u"tokenizer"_qs] = QJsonObject{{u"type"_qs, u"clip-bpe"_qs}, {u"files"_qs, QJsonArray{m_info.vocabPath}}};
        d[u"preprocessing"_qs] = QJsonObject{
            {u"size"_qs, m_info.image.size}, {u"resize"_qs, u"shortest"_qs}, {u"crop"_qs, u"center"_qs},
            {u"interpolation"_qs, u"bicubic"_qs}, {u"mean"_qs, triple(m_info.image.mean)}, {u"std"_qs, triple(m_info.image.std)}};
        d[u"runs_code"_qs] = true;
        return d;
    }

    Matrix encodePreprocessed(const std::vector<float> &batch, int count) override
    {
        const std::int64_t s = m_info.image.size;
        if (count <= 0)
            return Matrix(0, m_info.embedDim);
        if (batch.size() != std::size_t(count) * std::size_t(3 * s * s))
            throw std::invalid_argument("encodePreprocessed: batch size does not match count");
        c10::InferenceMode guard;
        // from_blob does not copy; the model only reads its input.
        const torch::Tensor input = torch::from_blob(const_cast<float *>(batch.data()), {count, 3, s, s});
        return run("encode_image", input, count);
    }

    Matrix encodeTexts(const QStringList &texts) override
    {
        if (texts.isEmpty())
            return Matrix(0, m_info.embedDim);
        const std::int64_t n = texts.size(), ctx = m_info.contextLength;
        std::vector<std::int64_t> ids;
        ids.reserve(std::size_t(n * ctx));
        for (const QString &t : texts) {
            const std::vector<std::int64_t> row = m_tokenizer.tokenize(t, int(ctx), m_info.truncate);
            ids.insert(ids.end(), row.begin(), row.end());
        }
        c10::InferenceMode guard;
        const torch::Tensor input = torch::from_blob(ids.data(), {n, ctx}, torch::kLong);
        return run("encode_text", input, int(n));
    }

private:
    Matrix run(const char *method, const torch::Tensor &input, int count)
    {
        torch::Tensor out;
        try {
            out = m_module.get_method(method)({input}).toTensor().to(torch::kFloat).contiguous();
        } catch (const c10::Error &e) {   // keep the first line, not LibTorch's C++ backtrace
            failTorch(QDir::toNativeSeparators(QDir(m_info.dir).filePath(QString::fromLatin1(kClipBundleModel))),
                      e.what(), true);
        }
        if (out.dim() != 2 || out.size(0) != count || out.size(1) != m_info.embedDim)
            fail(u"%1: %2 returned shape %3, expected [%4, %5]"_qs.arg(m_info.dir, QLatin1String(method),
                     QString::fromStdString(c10::str(out.sizes()))).arg(count).arg(m_info.embedDim));
        Matrix m(count, m_info.embedDim);
        std::memcpy(m.data.data(), out.data_ptr<float>(), m.data.size() * sizeof(float));
        normalizeRows(m);   // Cospace's contract: unit rows (a zero row stays zero)
        return m;
    }

    // One image and one caption through the towers: catches CUDA-tied graphs and wrong sizes at
    // load time instead of in the middle of an embedding run.
    void probe(const QString &shown)
    {
        const std::int64_t s = m_info.image.size;
        for (const char *method : {"encode_image", "encode_text"}) {
            torch::Tensor out;
            try {
                c10::InferenceMode guard;
                const bool image = std::strcmp(method, "encode_image") == 0;
                const torch::Tensor input = image ? torch::zeros({1, 3, s, s})
                                                  : torch::tensor(m_tokenizer.tokenize(u"a photo"_qs, m_info.contextLength))
                                                        .view({1, -1});
                out = m_module.get_method(method)({input}).toTensor();
            } catch (const std::exception &e) {
                failTorch(shown, e.what(), true);
            }
            if (out.dim() != 2 || out.size(0) != 1 || out.size(1) != m_info.embedDim)
                fail(u"%1: %2 gives vectors of shape %3 but cospace-model.json says embed_dim %4; the bundle's files "
                     "do not belong together (re-export it)"_qs.arg(shown, QLatin1String(method),
                          QString::fromStdString(c10::str(out.sizes()))).arg(m_info.embedDim));
        }
    }

    QString fingerprintOf(const QString &modelFile) const
    {
        QCryptographicHash hash(QCryptographicHash::Sha256);
        QFile f(modelFile);
        if (!f.open(QIODevice::ReadOnly) || !hash.addData(&f))
            fail(u"%1: cannot read"_qs.arg(modelFile));
        hash.addData(m_info.json);
        return u"clip:"_qs + QString::fromLatin1(hash.result().toHex().left(16));
    }

    ClipBundleInfo m_info;
    ClipTokenizer m_tokenizer;
    torch::jit::Module m_module;
    QString m_fingerprint;
};

}  // namespace

namespace detail {

std::unique_ptr<EmbeddingModel> loadBundleModel(const QString &dir)
{
    return std::make_unique<ClipBundleModel>(readClipBundleInfo(dir));
}

}  // namespace detail
}  // namespace cospace
