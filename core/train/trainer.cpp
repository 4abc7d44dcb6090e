#include "core/train/trainer.h"

#include "core/model/checkpoint_p.h"
#include "core/data/dataset.h"
#include "core/data/imageops_p.h"
#include "core/train/losses_p.h"
#include "core/base/npy.h"
#include "core/base/runtime.h"
#include "core/base/torchmatrix_p.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include <opencv2/imgproc.hpp>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace cospace {

namespace {

constexpr double kMaxLogitScale = 4.605170185988092;   // log(100): CLIP clamps the scale at 100
constexpr int kStepLogInterval = 10;
constexpr int kBatchQueueDepth = 4;
constexpr double kCacheOversize = 1.15;                // cached images keep ~15% above input size for crops

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

quint64 mix(quint64 a, quint64 b, quint64 c)
{
    quint64 h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull;
    h ^= (c + 0x94D049BB133111EBull) * 0x94D049BB133111EBull;
    h ^= h >> 31;
    return h;
}

double uniform(std::mt19937_64 &rng) { return double(rng() >> 11) / double(1ull << 53); }

// One line per call, in one write. A line torn by a kill or a full disk is ended first, so it
// spoils only itself (readers and truncateLog() skip lines that do not parse).
void appendLine(const QString &path, const QJsonObject &object)
{
    QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    if (QFile tail(path); tail.open(QIODevice::ReadOnly) && tail.size() > 0) {
        char last = '\n';
        if (tail.seek(tail.size() - 1) && tail.getChar(&last) && last != '\n')
            line.prepend('\n');
    }
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append))
        fail(u"%1: cannot write: %2"_qs.arg(path, file.errorString()));
    if (file.write(line) != line.size() || !file.flush())
        fail(u"%1: cannot write: %2"_qs.arg(path, file.errorString()));
}

// Keeps the lines of a JSON Lines log whose `key` is at most `keep` (a resumed run rewrites what
// follows): metrics.jsonl by "epoch", steps.jsonl by "step".
void truncateLog(const QString &path, const QString &key, qint64 keep)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return;
    QByteArray kept;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (!o.isEmpty() && o.value(key).toInteger() <= keep)
            kept += line + '\n';
    }
    file.close();
    QSaveFile out(path);
    if (out.open(QIODevice::WriteOnly)) {
        out.write(kept);
        out.commit();
    }
}

// Shrinks `image` to 25-100 % of its side and places it at a random spot on white: art styles
// differ in how much margin they leave around the subject.
void padInto(cv::Mat &image, std::mt19937_64 &rng)
{
    const int side = image.cols;
    const int inner = std::max(4, int(std::lround(side * (0.25 + 0.75 * uniform(rng)))));
    cv::Mat small;
    cv::resize(image, small, cv::Size(inner, inner), 0, 0, cv::INTER_AREA);
    cv::Mat canvas(image.rows, image.cols, image.type(), cv::Scalar::all(255));
    const int x = int(uniform(rng) * (side - inner + 1));
    const int y = int(uniform(rng) * (image.rows - inner + 1));
    small.copyTo(canvas(cv::Rect(x, y, inner, inner)));
    image = canvas;
}

// Dark lines along colour edges, like outlined (OpenMoji-style) art.
void drawOutlines(cv::Mat &image, std::mt19937_64 &rng)
{
    cv::Mat grey, edges;
    cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
    cv::Canny(grey, edges, 40, 120);
    if (uniform(rng) < 0.5)
        cv::dilate(edges, edges, cv::Mat());
    const int ink = int(40 * uniform(rng));
    image.setTo(cv::Scalar::all(ink), edges);
}

// Flat colours: each channel quantised to 3-6 levels.
void posterize(cv::Mat &image, std::mt19937_64 &rng)
{
    const int levels = 3 + int(uniform(rng) * 4);
    const double step = 255.0 / (levels - 1);
    cv::Mat lut(1, 256, CV_8U);
    for (int v = 0; v < 256; ++v)
        lut.at<uchar>(v) = cv::saturate_cast<uchar>(std::lround(v / step) * step);
    cv::LUT(image, lut, image);
}

// Random resized crop, colour jitter, grey, blur, the style bridges and (if allowed) flip, driven
// by `rng`. Bridges that are off draw no random numbers, so older configs replay exactly.
cv::Mat augment(const cv::Mat &src, int size, const AugmentConfig &a, std::mt19937_64 &rng)
{
    const double area = double(src.cols) * src.rows;
    cv::Rect crop(0, 0, src.cols, src.rows);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double target = area * (a.cropScaleMin + (a.cropScaleMax - a.cropScaleMin) * uniform(rng));
        const double ratio = std::exp(std::log(3.0 / 4.0) + (std::log(4.0 / 3.0) - std::log(3.0 / 4.0)) * uniform(rng));
        const int w = int(std::lround(std::sqrt(target * ratio)));
        const int h = int(std::lround(std::sqrt(target / ratio)));
        if (w >= 1 && h >= 1 && w <= src.cols && h <= src.rows) {
            crop = cv::Rect(int(uniform(rng) * (src.cols - w + 1)), int(uniform(rng) * (src.rows - h + 1)), w, h);
            break;
        }
    }
    cv::Mat out;
    cv::resize(src(crop), out, cv::Size(size, size), 0, 0, crop.width > size ? cv::INTER_AREA : cv::INTER_LINEAR);
    if (a.colorJitter > 0) {
        const double j = a.colorJitter;
        const double brightness = 1 + j * (2 * uniform(rng) - 1);
        const double contrast = 1 + j * (2 * uniform(rng) - 1);
        const double saturation = 1 + j * (2 * uniform(rng) - 1);
        cv::Mat f;
        out.convertTo(f, CV_32FC3, brightness);
        cv::Mat grey;
        cv::cvtColor(f, grey, cv::COLOR_RGB2GRAY);
        const double meanGrey = cv::mean(grey)[0];
        f = (f - cv::Scalar::all(meanGrey)) * contrast + cv::Scalar::all(meanGrey);
        cv::cvtColor(f, grey, cv::COLOR_RGB2GRAY);
        cv::Mat grey3;
        cv::cvtColor(grey, grey3, cv::COLOR_GRAY2RGB);
        f = grey3 + (f - grey3) * saturation;
        f.convertTo(out, CV_8UC3);
    }
    if (uniform(rng) < a.grayscale) {
        cv::Mat grey;
        cv::cvtColor(out, grey, cv::COLOR_RGB2GRAY);
        cv::cvtColor(grey, out, cv::COLOR_GRAY2RGB);
    }
    if (uniform(rng) < a.blur)
        cv::GaussianBlur(out, out, cv::Size(3, 3), 0.1 + 0.9 * uniform(rng));
    if (a.posterize > 0 && uniform(rng) < a.posterize)
        posterize(out, rng);
    if (a.outline > 0 && uniform(rng) < a.outline)
        drawOutlines(out, rng);
    if (a.pad > 0 && uniform(rng) < a.pad)
        padInto(out, rng);
    if (a.hflip && uniform(rng) < 0.5)
        cv::flip(out, out, 1);
    return out;
}

struct Batch {
    std::vector<float> images;      // B * 3 * S * S
    std::vector<int64_t> tokens;    // B * context
    std::vector<int64_t> imageIds;
    std::vector<int64_t> captionIds;
    int size = 0;
};

}  // namespace

QJsonObject EpochReport::toJson() const
{
    QJsonObject o = val.toJson();
    o.insert(u"epoch"_qs, epoch);
    o.insert(u"epochs"_qs, epochs);
    o.insert(u"step"_qs, globalStep);
    o.insert(u"train_loss"_qs, trainLoss);
    o.insert(u"val_loss"_qs, valLoss);
    o.insert(u"lr"_qs, lr);
    o.insert(u"temperature"_qs, temperature);
    o.insert(u"seconds"_qs, seconds);
    o.insert(u"best"_qs, best);
    return o;
}

struct Trainer::Private {
    TrainerOptions options;
    SharedSpaceConfig config;
    QList<ParseIssue> issues;
    QList<ParseIssue> notices;
    TextTokenizer tokenizer;

    // Data: distinct images (cached, decoded) and caption rows pointing at them.
    QStringList imagePaths;
    QStringList splitKeys;         // per image: its path relative to its dataset
    std::vector<cv::Mat> images;
    QStringList captions;
    std::vector<int> captionImage;      // caption -> image index
    std::vector<int64_t> captionTextId; // identical texts share an id (duplicate masking)
    std::vector<int64_t> tokens;        // captions * context
    std::vector<int> trainCaptions;     // the training pairs (caption indices)
    std::vector<int> valImageList;      // validation images
    std::vector<int> valCaptions;
    std::vector<int> probeCaptions;     // one caption per probe image
    int trainImageCount = 0;

    detail::SharedSpaceNet net{nullptr};
    std::unique_ptr<torch::optim::AdamW> optimizer;
    detail::CheckpointState state;
    bool prepared = false;

    QString runPath(const QString &name) const { return QDir(options.runDir).absoluteFilePath(name); }
    int stepsPerEpoch() const
    {
        return std::max(1, int(trainCaptions.size()) / config.train.batchSize);
    }

    void loadPairs();
    void decodeImages(JobControl *job);
    void split();
    void buildModel();
    double learningRate(qint64 step) const;
    Batch makeBatch(int epoch, int batchIndex, const std::vector<int> &order) const;
    torch::Tensor imagesTensor(const std::vector<int> &imageIndices) const;
    torch::Tensor tokensTensor(const std::vector<int> &captionIndices) const;
    torch::Tensor lossOf(const Batch &b);
    EpochReport evaluate(int epoch, double trainLoss, double seconds);
    void saveProbe(int epoch);
    void save(const QString &name, bool withOptimizer);
};

Trainer::Trainer(TrainerOptions options) : d(std::make_unique<Private>())
{
    d->options = std::move(options);
    d->config = d->options.config;
}

Trainer::~Trainer() = default;

QList<ParseIssue> Trainer::issues() const { return d->issues; }
QList<ParseIssue> Trainer::notices() const { return d->notices; }
int Trainer::trainImages() const { return d->trainImageCount; }
int Trainer::valImages() const { return int(d->valImageList.size()); }
int Trainer::trainPairs() const { return int(d->trainCaptions.size()); }
int Trainer::completedEpochs() const { return d->state.epoch; }
int Trainer::vocabularySize() const { return d->tokenizer.vocabSize(); }

qint64 Trainer::parameterCount() const
{
    qint64 n = 0;
    if (d->net)
        for (const torch::Tensor &p : d->net->parameters())
            n += p.numel();
    return n;
}
const SharedSpaceConfig &Trainer::config() const { return d->config; }

// Copies parameters and buffers (batch-norm statistics) between two nets of one architecture.
static void copyWeights(const detail::SharedSpaceNet &from, detail::SharedSpaceNet &to)
{
    torch::NoGradGuard noGrad;
    auto params = from->named_parameters();
    for (auto &p : to->named_parameters())
        p.value().copy_(params[p.key()]);
    auto buffers = from->named_buffers();
    for (auto &b : to->named_buffers())
        b.value().copy_(buffers[b.key()]);
}

static CaptionFile readPairs(const QString &source)
{
    const QFileInfo info(source);
    if (info.isDir())
        return openDataset(source).captions;
    if (info.isFile())
        return readCaptionFile(source);
    fail(u"%1: no such dataset folder or captions file"_qs.arg(source));
}

void Trainer::Private::loadPairs()
{
    QList<CaptionRow> rows;
    QHash<QString, QString> keyOf;   // image path -> split key
    for (const QString &source : QStringList{options.data} + options.extraData) {
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
        fail(u"%1: no usable image-caption pairs"_qs.arg(options.data));
}

void Trainer::Private::decodeImages(JobControl *job)
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
            const cv::Mat rgb = detail::readRgb(imagePaths[i], &error, 2 * config.image.size);
            if (!rgb.empty())
                images[std::size_t(i)] = detail::limitShortSide(rgb, keep);
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

void Trainer::Private::split()
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
        fail(u"%1: fewer than 2 training pairs after the split"_qs.arg(options.data));
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

void Trainer::Private::buildModel()
{
    torch::manual_seed(int64_t(config.train.seed));
    net = detail::SharedSpaceNet(config, tokenizer.vocabSize());
    // AdamW without weight decay on biases, norm gains and the logit scale/bias (anything 1-D).
    std::vector<torch::Tensor> decay, noDecay;
    for (const auto &p : net->named_parameters()) {
        if (!p.value().requires_grad())
            continue;
        (p.value().dim() < 2 ? noDecay : decay).push_back(p.value());
    }
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                   torch::optim::AdamWOptions(config.train.lr).weight_decay(config.train.weightDecay)));
    groups.emplace_back(noDecay, std::make_unique<torch::optim::AdamWOptions>(
                                     torch::optim::AdamWOptions(config.train.lr).weight_decay(0)));
    optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups),
                                                      torch::optim::AdamWOptions(config.train.lr));
}

double Trainer::Private::learningRate(qint64 step) const
{
    // Linear warm-up, then cosine decay to zero at the last step.
    const double total = double(stepsPerEpoch()) * config.train.epochs;
    const double warmup = std::min<double>(config.train.warmupSteps, total / 2);
    if (step < warmup)
        return config.train.lr * double(step + 1) / warmup;
    const double progress = std::clamp((double(step) - warmup) / std::max(1.0, total - warmup), 0.0, 1.0);
    return config.train.lr * 0.5 * (1 + std::cos(M_PI * progress));
}

Batch Trainer::Private::makeBatch(int epoch, int batchIndex, const std::vector<int> &order) const
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
        detail::toChw(view, batch.images.data() + std::size_t(i) * 3 * s * s, detail::kOwnModelMean,
                      detail::kOwnModelStd);
        std::copy_n(tokens.begin() + std::ptrdiff_t(caption) * context, context,
                    batch.tokens.begin() + std::ptrdiff_t(i) * context);
        batch.imageIds.push_back(image);
        batch.captionIds.push_back(captionTextId[std::size_t(caption)]);
    }
    return batch;
}

torch::Tensor Trainer::Private::imagesTensor(const std::vector<int> &imageIndices) const
{
    const int s = config.image.size;
    torch::Tensor t = torch::empty({qsizetype(imageIndices.size()), 3, s, s});
    float *out = t.data_ptr<float>();
    for (std::size_t i = 0; i < imageIndices.size(); ++i) {
        const cv::Mat square = detail::resizeShortestCenterCrop(images[std::size_t(imageIndices[i])], s);
        detail::toChw(square, out + i * 3 * s * s, detail::kOwnModelMean, detail::kOwnModelStd);
    }
    return t;
}

torch::Tensor Trainer::Private::tokensTensor(const std::vector<int> &captionIndices) const
{
    const int context = config.text.context;
    torch::Tensor t = torch::empty({qsizetype(captionIndices.size()), context}, torch::kInt64);
    int64_t *out = t.data_ptr<int64_t>();
    for (std::size_t i = 0; i < captionIndices.size(); ++i)
        std::copy_n(tokens.begin() + std::ptrdiff_t(captionIndices[i]) * context, context, out + i * context);
    return t;
}

torch::Tensor Trainer::Private::lossOf(const Batch &b)
{
    const int s = config.image.size;
    const torch::Tensor images = torch::from_blob(const_cast<float *>(b.images.data()), {b.size, 3, s, s});
    const torch::Tensor tokenIds = torch::from_blob(const_cast<int64_t *>(b.tokens.data()),
                                                    {b.size, config.text.context}, torch::kInt64);
    const torch::Tensor imageIds = torch::from_blob(const_cast<int64_t *>(b.imageIds.data()), {b.size}, torch::kInt64);
    const torch::Tensor captionIds = torch::from_blob(const_cast<int64_t *>(b.captionIds.data()), {b.size},
                                                      torch::kInt64);
    return detail::contrastiveLoss(config.loss, net->image->forward(images), net->text->forward(tokenIds),
                                   imageIds, captionIds, net->logitScale, net->logitBias, config.train.margin);
}

EpochReport Trainer::Private::evaluate(int epoch, double trainLoss, double seconds)
{
    torch::NoGradGuard noGrad;
    net->eval();
    const int chunk = 256;
    // Embeddings of every validation image and caption.
    std::vector<torch::Tensor> imageParts, textParts;
    for (std::size_t i = 0; i < valImageList.size(); i += chunk) {
        const std::vector<int> part(valImageList.begin() + std::ptrdiff_t(i),
                                    valImageList.begin() + std::ptrdiff_t(std::min(valImageList.size(), i + chunk)));
        imageParts.push_back(net->image->forward(imagesTensor(part)));
    }
    for (std::size_t i = 0; i < valCaptions.size(); i += chunk) {
        const std::vector<int> part(valCaptions.begin() + std::ptrdiff_t(i),
                                    valCaptions.begin() + std::ptrdiff_t(std::min(valCaptions.size(), i + chunk)));
        textParts.push_back(net->text->forward(tokensTensor(part)));
    }
    const torch::Tensor img = torch::cat(imageParts), txt = torch::cat(textParts);
    std::vector<int> local(std::size_t(imagePaths.size()), -1);
    for (std::size_t i = 0; i < valImageList.size(); ++i)
        local[std::size_t(valImageList[i])] = int(i);
    std::vector<int> owner, text;
    for (int c : valCaptions) {
        owner.push_back(local[std::size_t(captionImage[std::size_t(c)])]);
        text.push_back(int(captionTextId[std::size_t(c)]));
    }

    EpochReport r;
    r.epoch = epoch;
    r.epochs = config.train.epochs;
    r.globalStep = state.step;
    r.trainLoss = trainLoss;
    r.seconds = seconds;
    r.lr = learningRate(std::max<qint64>(0, state.step - 1));
    r.val = computeRetrievalMetrics(detail::toMatrix(img), detail::toMatrix(txt), owner, text);
    if (config.loss != LossKind::Triplet)
        r.temperature = 1.0 / net->logitScale.exp().item<double>();

    // Validation loss over the validation pairs in fixed batches of the training size.
    double lossSum = 0;
    int lossBatches = 0;
    const int b = config.train.batchSize;
    for (std::size_t start = 0; start + 2 <= valCaptions.size(); start += std::size_t(b)) {
        const std::size_t end = std::min(valCaptions.size(), start + std::size_t(b));
        std::vector<int64_t> imageIds, captionIds;
        std::vector<int64_t> rows;
        for (std::size_t i = start; i < end; ++i) {
            imageIds.push_back(captionImage[std::size_t(valCaptions[i])]);
            captionIds.push_back(captionTextId[std::size_t(valCaptions[i])]);
            rows.push_back(local[std::size_t(captionImage[std::size_t(valCaptions[i])])]);
        }
        const torch::Tensor rowIndex = torch::tensor(rows, torch::kInt64);
        const torch::Tensor l = detail::contrastiveLoss(
            config.loss, img.index_select(0, rowIndex), txt.slice(0, int64_t(start), int64_t(end)),
            torch::tensor(imageIds, torch::kInt64), torch::tensor(captionIds, torch::kInt64), net->logitScale,
            net->logitBias, config.train.margin);
        lossSum += l.item<double>();
        ++lossBatches;
    }
    r.valLoss = lossBatches ? lossSum / lossBatches : 0;
    net->train();
    return r;
}

void Trainer::Private::saveProbe(int epoch)
{
    if (probeCaptions.empty())
        return;
    torch::NoGradGuard noGrad;
    net->eval();
    std::vector<int> probeImages;
    for (int c : probeCaptions)
        probeImages.push_back(captionImage[std::size_t(c)]);
    const torch::Tensor both = torch::cat({net->image->forward(imagesTensor(probeImages)),
                                           net->text->forward(tokensTensor(probeCaptions))});
    net->train();
    QDir().mkpath(runPath(u"probe"_qs));
    writeNpy(runPath(u"probe/epoch-%1.npy"_qs.arg(epoch, 3, 10, QLatin1Char('0'))), detail::toMatrix(both));
}

void Trainer::Private::save(const QString &name, bool withOptimizer)
{
    state.config = config;
    state.tokenizer = tokenizer;
    state.extra.insert(u"data"_qs, QFileInfo(options.data).absoluteFilePath());
    if (!options.initFrom.isEmpty())
        state.extra.insert(u"init"_qs, QFileInfo(options.initFrom).absoluteFilePath());
    detail::saveCheckpoint(runPath(name), net, withOptimizer ? optimizer.get() : nullptr, state);
}

void Trainer::prepare(JobControl *job)
{
    QDir().mkpath(d->options.runDir);
    const QString last = d->runPath(u"last.ckpt"_qs);
    if (d->options.resume) {
        if (!QFileInfo::exists(last))
            fail(u"%1: nothing to resume (no last.ckpt)"_qs.arg(d->options.runDir));
        d->net = detail::loadCheckpoint(last, &d->state);
        d->config = d->state.config;
        d->tokenizer = d->state.tokenizer;
    }
    detail::SharedSpaceNet initial{nullptr};
    if (!d->options.resume && !d->options.initFrom.isEmpty()) {
        detail::CheckpointState init;
        initial = detail::loadCheckpoint(d->options.initFrom, &init);
        d->config.image = init.config.image;
        d->config.text = init.config.text;
        d->config.embedDim = init.config.embedDim;
        d->tokenizer = init.tokenizer;
    }
    if (d->options.epochs > 0)
        d->config.train.epochs = d->options.epochs;
    d->config.validate();
    d->loadPairs();
    d->decodeImages(job);
    d->split();
    if (!d->options.resume && initial.is_empty()) {
        QStringList corpus;
        for (int c : d->trainCaptions)
            corpus << d->captions[c];
        d->tokenizer = TextTokenizer::train(corpus, d->config.text.vocabSize, d->config.text.tokenizer);
    }
    const int context = d->config.text.context;
    d->tokens.resize(std::size_t(d->captions.size()) * context);
    for (int c = 0; c < d->captions.size(); ++c) {
        const std::vector<int> ids = d->tokenizer.encodePadded(d->captions[c], context);
        std::copy(ids.begin(), ids.end(), d->tokens.begin() + std::ptrdiff_t(c) * context);
    }
    if (d->options.resume) {
        // Build the network and optimizer as a fresh run would, copy the saved weights in,
        // then restore the optimizer state over those parameters.
        const detail::SharedSpaceNet restored = d->net;
        d->buildModel();
        copyWeights(restored, d->net);
        detail::loadOptimizerState(last, *d->optimizer);
        truncateLog(d->runPath(u"metrics.jsonl"_qs), u"epoch"_qs, d->state.epoch);
        truncateLog(d->runPath(u"steps.jsonl"_qs), u"step"_qs, d->state.step);
    } else {
        d->buildModel();
        if (!initial.is_empty())
            copyWeights(initial, d->net);
        QFile::remove(d->runPath(u"metrics.jsonl"_qs));
        QFile::remove(d->runPath(u"steps.jsonl"_qs));
    }
    QSaveFile config(d->runPath(u"config.json"_qs));
    if (config.open(QIODevice::WriteOnly)) {
        config.write(QJsonDocument(d->config.toJson()).toJson());
        config.commit();
    }
    QDir().mkpath(d->runPath(u"probe"_qs));
    QSaveFile pairs(d->runPath(u"probe/pairs.tsv"_qs));
    if (pairs.open(QIODevice::WriteOnly)) {
        pairs.write("image\tcaption\n");
        for (int c : d->probeCaptions)
            pairs.write(d->imagePaths[d->captionImage[std::size_t(c)]].toUtf8() + '\t' + d->captions[c].toUtf8() + '\n');
        pairs.commit();
    }
    d->prepared = true;
}

bool Trainer::run(JobControl &job)
{
    if (!d->prepared)
        prepare(&job);
    initWorkerThread();
    Private &p = *d;
    const int steps = p.stepsPerEpoch();
    const int epochs = p.config.train.epochs;
    job.setTotal(qint64(steps) * epochs);
    job.advance(qint64(p.state.epoch) * steps + p.state.stepInEpoch - job.snapshot().done);
    p.net->train();

    for (int epoch = p.state.epoch; epoch < epochs; ++epoch) {
        job.setStage(u"epoch %1/%2"_qs.arg(epoch + 1).arg(epochs));
        // This epoch's order: a seeded permutation of the training pairs.
        std::vector<int> order = p.trainCaptions;
        std::mt19937_64 shuffle(mix(p.config.train.seed, quint64(epoch), 0xABCDEFull));
        for (std::size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[std::size_t(shuffle() % i)]);

        const int first = p.state.stepInEpoch;
        double lossSum = p.state.extra.value(u"partial_loss_sum"_qs).toDouble(0);
        if (first == 0)
            lossSum = 0;

        // Worker threads prepare batches [first, steps) ahead of the optimizer, at most
        // kBatchQueueDepth ahead, each batch by exactly one worker.
        std::mutex mutex;
        std::condition_variable cv;
        std::map<int, Batch> ready;
        int consumed = first;
        std::atomic<int> nextBatch{first};
        std::atomic<bool> stop{false};
        std::vector<std::thread> workers;
        for (int w = 0; w < std::max(1, p.config.train.workers); ++w) {
            workers.emplace_back([&] {
                for (int bi = nextBatch++; bi < steps && !stop; bi = nextBatch++) {
                    {
                        std::unique_lock lock(mutex);
                        cv.wait(lock, [&] { return stop || bi < consumed + kBatchQueueDepth; });
                        if (stop)
                            return;
                    }
                    Batch batch = p.makeBatch(epoch, bi, order);
                    std::lock_guard lock(mutex);
                    ready.emplace(bi, std::move(batch));
                    cv.notify_all();
                }
            });
        }
        auto stopWorkers = [&] {
            {
                std::lock_guard lock(mutex);
                stop = true;
            }
            cv.notify_all();
            for (std::thread &t : workers)
                t.join();
        };

        QElapsedTimer timer;
        timer.start();
        int samples = 0;
        for (int step = first; step < steps; ++step) {
            if (job.cancelled()) {
                stopWorkers();
                p.state.stepInEpoch = step;
                p.state.extra.insert(u"partial_loss_sum"_qs, lossSum);
                p.save(u"last.ckpt"_qs, true);
                return false;
            }
            Batch batch;
            {
                std::unique_lock lock(mutex);
                cv.wait(lock, [&] { return ready.count(step) > 0; });
                batch = std::move(ready[step]);
                ready.erase(step);
                consumed = step + 1;
            }
            cv.notify_all();

            const double lr = p.learningRate(p.state.step);
            for (auto &group : p.optimizer->param_groups())
                static_cast<torch::optim::AdamWOptions &>(group.options()).lr(lr);
            const torch::Tensor loss = p.lossOf(batch);
            p.optimizer->zero_grad();
            loss.backward();
            if (p.config.train.gradClip > 0)
                torch::nn::utils::clip_grad_norm_(p.net->parameters(), p.config.train.gradClip);
            p.optimizer->step();
            if (p.config.loss == LossKind::InfoNce) {
                torch::NoGradGuard noGrad;
                p.net->logitScale.clamp_max_(kMaxLogitScale);
            }
            const double lossValue = loss.item<double>();
            lossSum += lossValue;
            ++p.state.step;
            samples += batch.size;
            job.advance();
            StepReport report{epoch + 1, epochs, step + 1, steps, p.state.step, lossValue, lr,
                              samples / std::max(1e-9, timer.nsecsElapsed() / 1e9)};
            if (p.state.step % kStepLogInterval == 0)
                appendLine(p.runPath(u"steps.jsonl"_qs),
                           {{u"step"_qs, p.state.step}, {u"epoch"_qs, epoch + 1}, {u"loss"_qs, lossValue},
                            {u"lr"_qs, lr},
                            {u"temperature"_qs, 1.0 / p.net->logitScale.exp().item<double>()}});
            if (onStep)
                onStep(report);
        }
        stopWorkers();

        EpochReport report = p.evaluate(epoch + 1, lossSum / std::max(1, steps), timer.nsecsElapsed() / 1e9);
        p.state.epoch = epoch + 1;
        p.state.stepInEpoch = 0;
        p.state.extra.remove(u"partial_loss_sum"_qs);
        report.best = report.val.rsum > p.state.bestRsum;
        if (report.best)
            p.state.bestRsum = report.val.rsum;
        // Order matters for a kill at any moment: everything this epoch produced is written before
        // last.ckpt moves on to it, so a resume from the older last.ckpt redoes the epoch and
        // rewrites the same files (metrics.jsonl is cut back to the checkpoint's epoch).
        p.saveProbe(epoch + 1);
        appendLine(p.runPath(u"metrics.jsonl"_qs), report.toJson());
        if (report.best)
            p.save(u"best.ckpt"_qs, false);   // weights only: a third the size, what gets shipped
        p.save(u"last.ckpt"_qs, true);
        if (onEpoch)
            onEpoch(report);
    }
    p.save(u"final.ckpt"_qs, false);   // the last epoch's weights alone (fine-tuned models ship this)
    job.finish();
    return true;
}

}  // namespace cospace
