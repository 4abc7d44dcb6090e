#include "core/train/trainer.h"

#include "core/model/checkpoint_p.h"
#include "core/data/dataset.h"
#include "core/data/imageops_p.h"
#include "core/train/augment_p.h"
#include "core/train/batchprefetcher_p.h"
#include "core/train/losses_p.h"
#include "core/train/runlog.h"
#include "core/train/trainingdata_p.h"
#include "core/base/runtime.h"
#include "core/base/torchmatrix_p.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>

namespace cospace {

namespace {

constexpr double kMaxLogitScale = 4.605170185988092;   // log(100): CLIP clamps the scale at 100
constexpr int kStepLogInterval = 10;
constexpr int kBatchQueueDepth = 4;
constexpr int kCompositionExamples = 500;   // trials kept per epoch in probe/composition-NNN.json

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

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
    if (!composition.empty())
        o.insert(u"composition"_qs, composition.accuracies());
    return o;
}

struct Trainer::Private : detail::TrainingData {
    TrainerOptions options;
    SharedSpaceConfig config;
    TextTokenizer tokenizer;

    detail::SharedSpaceNet net{nullptr};
    std::unique_ptr<torch::optim::AdamW> optimizer;
    detail::CheckpointState state;
    bool prepared = false;
    RunLogWriter log;
    SwapPlan valSwaps;                   // the compositional probe's swaps of the validation captions
    std::vector<int64_t> valSwapTokens;  // valSwaps.text, tokenized (context ids each)

    QString runPath(const QString &name) const { return log.path(name); }
    int stepsPerEpoch() const
    {
        return std::max(1, int(trainCaptions.size()) / config.train.batchSize);
    }

    void buildModel();
    double learningRate(qint64 step) const;
    torch::Tensor imagesTensor(const std::vector<int> &imageIndices) const;
    torch::Tensor tokensTensor(const std::vector<int> &captionIndices) const;
    torch::Tensor lossOf(const detail::Batch &b);
    void prepareComposition();
    torch::Tensor encodeTokens(const std::vector<int64_t> &tokens, int64_t count);
    EpochReport evaluate(int epoch, double trainLoss, double seconds);
    void saveProbe(int epoch);
    void save(const QString &name, bool withOptimizer);
};

Trainer::Trainer(TrainerOptions options) : d(std::make_unique<Private>())
{
    d->options = std::move(options);
    d->config = d->options.config;
    d->log = RunLogWriter(d->options.runDir);
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

torch::Tensor Trainer::Private::imagesTensor(const std::vector<int> &imageIndices) const
{
    const int s = config.image.size;
    torch::Tensor t = torch::empty({qsizetype(imageIndices.size()), 3, s, s});
    float *out = t.data_ptr<float>();
    for (std::size_t i = 0; i < imageIndices.size(); ++i) {
        const cv::Mat square = detail::resizeShortestCenterCrop(images[std::size_t(imageIndices[i])], s);
        detail::toChw(square, out + i * 3 * s * s, kOwnModelMean, kOwnModelStd);
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

torch::Tensor Trainer::Private::lossOf(const detail::Batch &b)
{
    const int s = config.image.size;
    const torch::Tensor images = torch::from_blob(const_cast<float *>(b.images.data()), {b.size, 3, s, s});
    const torch::Tensor tokenIds = torch::from_blob(const_cast<int64_t *>(b.tokens.data()),
                                                    {b.size, config.text.context}, torch::kInt64);
    const torch::Tensor imageIds = torch::from_blob(const_cast<int64_t *>(b.imageIds.data()), {b.size}, torch::kInt64);
    const torch::Tensor captionIds = torch::from_blob(const_cast<int64_t *>(b.captionIds.data()), {b.size},
                                                      torch::kInt64);
    if (b.swapTokens.empty())
        return detail::contrastiveLoss(config.loss, net->image->forward(images), net->text->forward(tokenIds),
                                       imageIds, captionIds, net->logitScale, net->logitBias, config.train.margin);
    // Swapped captions as hard negatives: one text-tower pass over captions and swaps together.
    const torch::Tensor swapIds = torch::from_blob(const_cast<int64_t *>(b.swapTokens.data()),
                                                   {b.size, config.text.context}, torch::kInt64);
    const torch::Tensor valid = torch::from_blob(const_cast<char *>(b.swapValid.data()), {b.size, b.size},
                                                 torch::kInt8).to(torch::kBool);
    const torch::Tensor texts = net->text->forward(torch::cat({tokenIds, swapIds}));
    return detail::contrastiveLoss(config.loss, net->image->forward(images), texts.slice(0, 0, b.size), imageIds,
                                   captionIds, net->logitScale, net->logitBias, config.train.margin,
                                   texts.slice(0, b.size), valid);
}

void Trainer::Private::prepareComposition()
{
    valSwaps = {};
    valSwapTokens.clear();
    if (!config.train.compositionProbe)
        return;
    QStringList texts;
    for (int c : valCaptions)
        texts << captions[c];
    valSwaps = planSwaps(texts);
    const int context = config.text.context;
    valSwapTokens.reserve(std::size_t(valSwaps.text.size()) * context);
    for (const QString &text : valSwaps.text) {
        std::vector<int> ids = tokenizer.encodePadded(text, context);
        ids.resize(std::size_t(context), 0);
        valSwapTokens.insert(valSwapTokens.end(), ids.begin(), ids.end());
    }
}

// The text tower on `count` tokenized captions laid end to end, in chunks (no grad, eval mode: the caller's).
torch::Tensor Trainer::Private::encodeTokens(const std::vector<int64_t> &tokens, int64_t count)
{
    const int64_t context = config.text.context, chunk = 256;
    std::vector<torch::Tensor> parts;
    for (int64_t start = 0; start < count; start += chunk) {
        const int64_t n = std::min(chunk, count - start);
        parts.push_back(net->text->forward(
            torch::from_blob(const_cast<int64_t *>(tokens.data()) + start * context, {n, context}, torch::kInt64)));
    }
    return torch::cat(parts);
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
    if (!valSwaps.empty()) {
        QStringList names;
        for (int image : valImageList)
            names << imagePaths[image];
        r.composition = scoreComposition(valSwaps, detail::toMatrix(img), detail::toMatrix(txt),
                                         detail::toMatrix(encodeTokens(valSwapTokens, valSwaps.text.size())), owner,
                                         names);
    }

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
    log.writeProbe(epoch, detail::toMatrix(both));
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
    d->loadPairs(QStringList{d->options.data} + d->options.extraData);
    d->decodeImages(d->config, job);
    d->split(d->config, d->options.data);
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
    if (d->config.train.swapNegatives)
        d->prepareSwaps([&](const QString &text) { return d->tokenizer.encodePadded(text, context); }, context);
    d->prepareComposition();
    if (d->options.resume) {
        // Build the network and optimizer as a fresh run would, copy the saved weights in,
        // then restore the optimizer state over those parameters.
        const detail::SharedSpaceNet restored = d->net;
        d->buildModel();
        copyWeights(restored, d->net);
        detail::loadOptimizerState(last, *d->optimizer);
        d->log.startResumed(d->state.epoch, d->state.step);
    } else {
        d->buildModel();
        if (!initial.is_empty())
            copyWeights(initial, d->net);
        d->log.startFresh();
    }
    d->log.writeConfig(d->config.toJson());
    QStringList data;
    for (const QString &source : QStringList{d->options.data} + d->options.extraData)
        data << QFileInfo(source).absoluteFilePath();
    d->log.writeDataSources(data, d->options.initFrom.isEmpty() ? QString()
                                                                : QFileInfo(d->options.initFrom).absoluteFilePath());
    QList<ProbePair> pairs;
    for (int c : d->probeCaptions) {
        ProbePair pair;
        pair.image = d->imagePaths[d->captionImage[std::size_t(c)]];
        pair.caption = d->captions[c];
        pairs.append(pair);
    }
    d->log.writeProbePairs(pairs);
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
        std::mt19937_64 shuffle(detail::mix(p.config.train.seed, quint64(epoch), 0xABCDEFull));
        for (std::size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[std::size_t(shuffle() % i)]);

        const int first = p.state.stepInEpoch;
        double lossSum = p.state.extra.value(u"partial_loss_sum"_qs).toDouble(0);
        if (first == 0)
            lossSum = 0;

        // Worker threads prepare batches [first, steps) ahead of the optimizer.
        detail::BatchPrefetcher<detail::Batch> prefetch(first, steps, p.config.train.workers, kBatchQueueDepth,
                                                [&](int bi) { return p.makeBatch(p.config, epoch, bi, order); });
        QElapsedTimer timer;
        timer.start();
        int samples = 0;
        for (int step = first; step < steps; ++step) {
            if (job.cancelled()) {
                prefetch.stop();
                p.state.stepInEpoch = step;
                p.state.extra.insert(u"partial_loss_sum"_qs, lossSum);
                p.save(u"last.ckpt"_qs, true);
                return false;
            }
            const detail::Batch batch = prefetch.take(step);

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
                p.log.appendStep({{u"step"_qs, p.state.step}, {u"epoch"_qs, epoch + 1}, {u"loss"_qs, lossValue},
                            {u"lr"_qs, lr},
                            {u"temperature"_qs, 1.0 / p.net->logitScale.exp().item<double>()}});
            if (onStep)
                onStep(report);
        }
        prefetch.stop();

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
        if (!report.composition.empty())
            p.log.writeComposition(epoch + 1, report.composition.toJson(kCompositionExamples));
        p.log.appendEpoch(report.toJson());
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
