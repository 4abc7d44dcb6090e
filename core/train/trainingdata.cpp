#include "core/train/trainingdata_p.h"

#include "core/data/dataset.h"
#include "core/data/shards.h"
#include "core/data/imageops_p.h"
#include "core/eval/composition.h"
#include "core/eval/metrics.h"
#include "core/train/augment_p.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>

namespace cospace::detail {

namespace {

constexpr double kCacheOversize = 1.15;   // cached images keep ~15% above input size for crops
constexpr quint64 kSwapSeedSalt = 0x5A3C0FFEEull;   // separates the swap choice from the augmentation

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

// FNV-1a: a stable hash (Qt's qHash is seeded per process).
quint64 stableHash(const QByteArray &bytes, quint64 seed)
{
    quint64 h = 1469598103934665603ull ^ (seed * 0x9E3779B97F4A7C15ull);
    for (char c : bytes) {
        h ^= quint8(c);
        h *= 1099511628211ull;
    }
    return h;
}

CaptionFile readPairs(const QString &source)
{
    const QFileInfo info(source);
    if (info.isDir())
        return openDataset(source).captions;
    if (info.isFile() || isShardPattern(source))
        return readCaptionFile(source);   // a captions file, a shard, or a pattern of shards
    fail(u"%1: no such dataset folder or captions file"_qs.arg(source));
}

}  // namespace

quint64 mix(quint64 a, quint64 b, quint64 c)
{
    quint64 h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull;
    h ^= (c + 0x94D049BB133111EBull) * 0x94D049BB133111EBull;
    h ^= h >> 31;
    return h;
}

void TrainingData::loadPairs(const QStringList &sources)
{
    QList<CaptionRow> rows;
    QHash<QString, QString> keyOf;   // image path -> split key
    for (const QString &source : sources) {
        const CaptionFile file = readPairs(source);
        issues += file.issues;
        notices += file.notices;
        const QDir base(QFileInfo(source).isDir() ? source : QFileInfo(source).absolutePath());
        for (const CaptionRow &row : file.rows)
            keyOf.insert(row.image, base.relativeFilePath(row.image));
        rows += file.rows;
    }
    // Distinct images in sorted order, so indices do not depend on row order.
    QStringList paths = keyOf.keys();
    paths.sort();
    QHash<QString, int> index;
    for (int i = 0; i < paths.size(); ++i) {
        index.insert(paths[i], i);
        splitKeys << keyOf.value(paths[i]);
    }
    imagePaths = paths;
    for (const CaptionRow &row : rows) {
        captions << row.caption;
        captionImage.push_back(index.value(row.image));
    }
    for (const int id : textIds(captions))   // identical texts share an id: masked as duplicates
        captionTextId.push_back(id);
    if (captions.isEmpty())
        fail(u"%1: no usable image-caption pairs"_qs.arg(sources.value(0)));
}

void TrainingData::decodeImages(const SharedSpaceConfig &config, JobControl *job)
{
    const int n = int(imagePaths.size());
    images.assign(std::size_t(n), cv::Mat());
    std::vector<QString> errors(static_cast<std::size_t>(n));
    const int keep = int(std::ceil(config.image.size * kCacheOversize));
    std::atomic<int> next{0};
    auto work = [&] {
        for (int i = next++; i < n; i = next++) {
            if (job && job->cancelled())
                return;
            QString error;
            const cv::Mat rgb = readRgb(imagePaths[i], &error, 2 * config.image.size);
            if (!rgb.empty())
                images[std::size_t(i)] = limitShortSide(rgb, keep);
            else
                errors[std::size_t(i)] = error;
            if (job)
                job->advance();
        }
    };
    if (job) {
        job->setStage(u"decoding %1 images"_qs.arg(n));
        job->setTotal(n);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < std::max(1, config.train.workers); ++t)
        threads.emplace_back(work);
    for (std::thread &t : threads)
        t.join();
    if (job && job->cancelled())
        throw JobCancelled{};
    for (int i = 0; i < n; ++i)
        if (images[std::size_t(i)].empty())
            issues.append({imagePaths[i], 0, errors[std::size_t(i)]});
}

void TrainingData::split(const SharedSpaceConfig &config, const QString &name)
{
    // Split by image with a stable hash of the path relative to its dataset, so adding images
    // elsewhere never moves an image across the split.
    std::vector<char> isVal(std::size_t(imagePaths.size()), 0);
    for (int i = 0; i < imagePaths.size(); ++i) {
        const quint64 h = stableHash(splitKeys[i].toUtf8(), config.train.seed);
        isVal[std::size_t(i)] = double(h >> 11) / double(1ull << 53) < config.train.valFraction;
    }
    std::vector<char> hasCaption(std::size_t(imagePaths.size()), 0);
    for (int c = 0; c < captions.size(); ++c) {
        const int img = captionImage[std::size_t(c)];
        if (images[std::size_t(img)].empty())
            continue;
        (isVal[std::size_t(img)] ? valCaptions : trainCaptions).push_back(c);
        hasCaption[std::size_t(img)] = 1;
    }
    for (int i = 0; i < imagePaths.size(); ++i) {
        if (!hasCaption[std::size_t(i)])
            continue;
        if (isVal[std::size_t(i)])
            valImageList.push_back(i);
        else
            ++trainImageCount;
    }
    if (trainCaptions.size() < 2)
        fail(u"%1: fewer than 2 training pairs after the split"_qs.arg(name));
    // Without a validation split (tiny data or val_fraction 0) evaluate on the training images.
    if (valImageList.empty()) {
        for (int c : trainCaptions)
            valCaptions.push_back(c);
        for (int i = 0; i < imagePaths.size(); ++i)
            if (hasCaption[std::size_t(i)])
                valImageList.push_back(i);
    }
    // Probe: the first caption of up to probe_size validation images, in a seeded order.
    std::vector<int> firstCaption(std::size_t(imagePaths.size()), -1);
    for (int c : valCaptions)
        if (firstCaption[std::size_t(captionImage[std::size_t(c)])] < 0)
            firstCaption[std::size_t(captionImage[std::size_t(c)])] = c;
    std::vector<int> order = valImageList;
    std::sort(order.begin(), order.end(), [&](int a, int b) {
        return mix(config.train.seed, quint64(a), 7) < mix(config.train.seed, quint64(b), 7);
    });
    for (int img : order) {
        if (int(probeCaptions.size()) >= config.train.probeSize)
            break;
        probeCaptions.push_back(firstCaption[std::size_t(img)]);
    }
}

void TrainingData::prepareSwaps(const std::function<std::vector<int>(const QString &)> &encode, int context)
{
    QHash<QString, int64_t> idOfText;
    for (int c = 0; c < captions.size(); ++c)
        idOfText.insert(captions[c], captionTextId[std::size_t(c)]);
    int64_t nextId = 1 + *std::max_element(captionTextId.begin(), captionTextId.end());
    swapStart.assign(1, 0);
    for (int c = 0; c < captions.size(); ++c) {
        for (const CaptionSwap &s : captionSwaps(captions[c])) {
            auto it = idOfText.constFind(s.text);
            if (it == idOfText.constEnd())
                it = idOfText.insert(s.text, nextId++);
            swapTextId.push_back(*it);
            std::vector<int> ids = encode(s.text);
            ids.resize(std::size_t(context), 0);
            swapTokens.insert(swapTokens.end(), ids.begin(), ids.begin() + context);
        }
        swapStart.push_back(int(swapTextId.size()));
    }
    imageTextIds.assign(std::size_t(imagePaths.size()), {});
    for (int c = 0; c < captions.size(); ++c)
        imageTextIds[std::size_t(captionImage[std::size_t(c)])].push_back(captionTextId[std::size_t(c)]);
    for (std::vector<int64_t> &ids : imageTextIds)
        std::sort(ids.begin(), ids.end());
}

Batch TrainingData::makeBatch(const SharedSpaceConfig &config, int epoch, int batchIndex, const std::vector<int> &order) const
{
    const int b = config.train.batchSize;
    const int s = config.image.size;
    const int context = config.text.context;
    Batch batch;
    batch.size = std::min<int>(b, int(order.size()));
    batch.images.resize(std::size_t(batch.size) * 3 * s * s);
    batch.tokens.resize(std::size_t(batch.size) * context);
    for (int i = 0; i < batch.size; ++i) {
        const int position = batchIndex * b + i;
        const int caption = order[std::size_t(position) % order.size()];
        const int image = captionImage[std::size_t(caption)];
        std::mt19937_64 rng(mix(config.train.seed, quint64(epoch), quint64(position)));
        const cv::Mat view = augment(images[std::size_t(image)], s, config.train.augment, rng);
        toChw(view, batch.images.data() + std::size_t(i) * 3 * s * s, kOwnModelMean,
                      kOwnModelStd);
        std::copy_n(tokens.begin() + std::ptrdiff_t(caption) * context, context,
                    batch.tokens.begin() + std::ptrdiff_t(i) * context);
        batch.imageIds.push_back(image);
        batch.captionIds.push_back(captionTextId[std::size_t(caption)]);
    }
    if (config.train.swapNegatives && !swapStart.empty())
        addSwaps(config, epoch, batchIndex, order, &batch);
    return batch;
}

void TrainingData::addSwaps(const SharedSpaceConfig &config, int epoch, int batchIndex, const std::vector<int> &order,
                            Batch *batch) const
{
    const int b = batch->size;
    const int context = config.text.context;
    batch->swapTokens.assign(std::size_t(b) * context, 0);
    std::vector<int64_t> chosen(std::size_t(b), -1);   // text id of each row's swap, -1: none
    for (int i = 0; i < b; ++i) {
        const int position = batchIndex * config.train.batchSize + i;
        const int caption = order[std::size_t(position) % order.size()];
        const int first = swapStart[std::size_t(caption)], count = swapStart[std::size_t(caption) + 1] - first;
        if (count == 0) {
            // No swap: the row's own caption stands in, masked out below. (All padding would give the
            // text tower a row with nothing to attend to, NaN, and NaN gradients through the mask.)
            std::copy_n(tokens.begin() + std::ptrdiff_t(caption) * context, context,
                        batch->swapTokens.begin() + std::ptrdiff_t(i) * context);
            continue;
        }
        // Its own generator (not the augmentation's), so turning the option on leaves the views alone.
        std::mt19937_64 rng(mix(config.train.seed ^ kSwapSeedSalt, quint64(epoch), quint64(position)));
        const int k = first + int(rng() % quint64(count));
        chosen[std::size_t(i)] = swapTextId[std::size_t(k)];
        std::copy_n(swapTokens.begin() + std::ptrdiff_t(k) * context, context,
                    batch->swapTokens.begin() + std::ptrdiff_t(i) * context);
    }
    batch->swapValid.assign(std::size_t(b) * std::size_t(b), 0);
    for (int i = 0; i < b; ++i) {
        const std::vector<int64_t> &own = imageTextIds[std::size_t(batch->imageIds[std::size_t(i)])];
        for (int j = 0; j < b; ++j)
            batch->swapValid[std::size_t(i) * b + j] =
                chosen[std::size_t(j)] >= 0 && !std::binary_search(own.begin(), own.end(), chosen[std::size_t(j)]);
    }
}

}  // namespace cospace::detail
