#include "core/eval/evaluation.h"

#include "core/data/imagedecode.h"

#include <QFileInfo>
#include <QHash>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <thread>

namespace cospace {

RgbImage readImageFile(const QString &path, int minShortSide)
{
    DecodeOptions options;
    options.minShortSide = minShortSide;
    DecodedImage decoded = decodeImageFile(path, options);
    if (!decoded.ok())
        throw std::runtime_error(u"%1: %2"_qs.arg(path, decoded.reason).toStdString());
    return std::move(decoded.image);
}

EmbeddedPairs embedPairs(EmbeddingModel &model, const CaptionFile &pairs, JobControl *job, int batchSize)
{
    EmbeddedPairs result;
    result.skipped = pairs.issues;
    QStringList paths;
    for (const CaptionRow &row : pairs.rows)
        paths << row.image;
    paths.removeDuplicates();
    paths.sort();

    const std::size_t per = std::size_t(model.imageSize()) * std::size_t(model.imageSize()) * 3;
    const unsigned threads = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    if (job) {
        job->setStage(u"embedding images"_qs);
        job->setTotal(paths.size() + pairs.rows.size());
    }
    Matrix images(0, model.embedDim());
    QHash<QString, int> row;
    for (qsizetype start = 0; start < paths.size(); start += batchSize) {
        if (job && job->cancelled())
            throw JobCancelled{};
        const int n = int(std::min<qsizetype>(batchSize, paths.size() - start));
        std::vector<float> batch(per * std::size_t(n));
        std::vector<QString> errors(static_cast<std::size_t>(n));
        std::atomic<int> next{0};
        auto work = [&] {
            for (int i = next++; i < n; i = next++) {
                try {
                    const std::vector<float> x = model.preprocess(readImageFile(paths[start + i], 2 * model.imageSize()));
                    std::copy(x.begin(), x.end(), batch.begin() + std::ptrdiff_t(per * std::size_t(i)));
                } catch (const std::exception &e) {
                    errors[std::size_t(i)] = QString::fromUtf8(e.what());
                }
            }
        };
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t)
            pool.emplace_back(work);
        for (std::thread &t : pool)
            t.join();
        // Drop undecodable images from the batch before running the model.
        std::vector<float> good;
        QStringList goodPaths;
        for (int i = 0; i < n; ++i) {
            if (!errors[std::size_t(i)].isEmpty()) {
                result.skipped.append({paths[start + i], 0, errors[std::size_t(i)]});
                continue;
            }
            good.insert(good.end(), batch.begin() + std::ptrdiff_t(per * std::size_t(i)),
                        batch.begin() + std::ptrdiff_t(per * std::size_t(i + 1)));
            goodPaths << paths[start + i];
        }
        const Matrix emb = model.encodePreprocessed(good, int(goodPaths.size()));
        for (int i = 0; i < emb.rows; ++i) {
            row.insert(goodPaths[i], images.rows);
            images.data.insert(images.data.end(), emb.row(i), emb.row(i) + emb.cols);
            ++images.rows;
        }
        if (job)
            job->advance(n);
    }

    if (job)
        job->setStage(u"embedding captions"_qs);
    for (const CaptionRow &r : pairs.rows) {
        const auto it = row.constFind(r.image);
        if (it == row.constEnd())
            continue;
        result.texts << r.caption;
        result.captionImage.push_back(*it);
    }
    result.captions = encodeTextsInChunks(model, result.texts, job);
    if (images.rows == 0 || result.captions.rows == 0)
        throw std::runtime_error(u"%1: no image-caption pairs could be evaluated"_qs.arg(pairs.path).toStdString());
    result.images = std::move(images);
    for (const QString &path : paths)
        if (row.contains(path))
            result.imagePaths << path;
    return result;
}

Matrix encodeTextsInChunks(EmbeddingModel &model, const QStringList &texts, JobControl *job)
{
    Matrix out(0, model.embedDim());
    for (qsizetype start = 0; start < texts.size(); start += 256) {
        if (job && job->cancelled())
            throw JobCancelled{};
        const Matrix emb = model.encodeTexts(texts.mid(start, 256));
        out.data.insert(out.data.end(), emb.data.begin(), emb.data.end());
        out.rows += emb.rows;
        if (job)
            job->advance(emb.rows);
    }
    return out;
}

EvaluationResult evaluatePairs(EmbeddingModel &model, const CaptionFile &pairs, JobControl *job, int batchSize)
{
    const EmbeddedPairs e = embedPairs(model, pairs, job, batchSize);
    EvaluationResult result;
    result.skipped = e.skipped;
    result.metrics = computeRetrievalMetrics(e.images, e.captions, e.captionImage, textIds(e.texts));
    if (job)
        job->finish();
    return result;
}

EvaluationResult evaluatePairs(EmbeddingModel &model, const CaptionFile &pairs, const RerankParams &rerank,
                               const CaptionFile *bank, JobControl *job)
{
    if (rerank.method == Rerank::None)
        return evaluatePairs(model, pairs, job);
    const EmbeddedPairs e = embedPairs(model, pairs, job);
    EvaluationResult result;
    result.skipped = e.skipped;
    std::optional<EmbeddedPairs> other;
    if (bank)
        other = embedPairs(model, *bank, job);
    const Matrix &bankImages = other ? other->images : e.images;
    const Matrix &bankCaptions = other ? other->captions : e.captions;
    const HubnessCorrection t2i(e.images, bankCaptions, rerank, job);
    const HubnessCorrection i2t(e.captions, bankImages, rerank, job);
    result.metrics = computeRetrievalMetrics(
        e.images, e.captions, e.captionImage, textIds(e.texts),
        [&i2t](float *scores, int rows, int) { i2t.rescoreRows(scores, rows); },
        [&t2i](float *scores, int rows, int) { t2i.rescoreRows(scores, rows); });
    if (job)
        job->finish();
    return result;
}

}  // namespace cospace
