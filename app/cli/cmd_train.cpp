// cospace-cli train --data DATASET [--config CFG.json | --preset tiny|default] --out RUN [--resume] [--epochs N]

#include "clicommon.h"

#include "core/train/trainer.h"

#include <QElapsedTimer>

namespace cospace::cli {

namespace {

QString epochLine(const EpochReport &r)
{
    QString line = u"epoch %1/%2  train %3  val %4  i2t R@1 %5 R@10 %6  t2i R@1 %7 R@10 %8  rsum %9"_qs
                       .arg(r.epoch).arg(r.epochs)
                       .arg(r.trainLoss, 0, 'f', 4).arg(r.valLoss, 0, 'f', 4)
                       .arg(r.val.i2t.r1, 0, 'f', 3).arg(r.val.i2t.r10, 0, 'f', 3)
                       .arg(r.val.t2i.r1, 0, 'f', 3).arg(r.val.t2i.r10, 0, 'f', 3)
                       .arg(r.val.rsum, 0, 'f', 1);
    line += u"  gap %1  T %2  %3 s%4"_qs.arg(r.val.modalityGap, 0, 'f', 3).arg(r.temperature, 0, 'f', 4)
                .arg(r.seconds, 0, 'f', 1).arg(r.best ? u"  *best"_qs : QString());
    return line;
}

}  // namespace

int runTrain(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Train a shared image-text space on paired data. Writes RUN/ with checkpoints (last.ckpt, best.ckpt),\n"
        "metrics.jsonl, steps.jsonl and per-epoch probe embeddings. Ctrl-C saves a checkpoint and stops;\n"
        "--resume continues exactly where it stopped."_qs);
    const QCommandLineOption data(u"data"_qs, u"dataset folder (images/ + captions.tsv) or a captions file; repeat to train on several together"_qs, u"DATASET"_qs);
    const QCommandLineOption config(u"config"_qs, u"model and training config (JSON; see README)"_qs, u"CFG.json"_qs);
    const QCommandLineOption preset(u"preset"_qs, u"built-in config when --config is not given: tiny or default"_qs,
                                    u"NAME"_qs, u"default"_qs);
    const QCommandLineOption outDir(u"out"_qs, u"run folder"_qs, u"RUN"_qs);
    const QCommandLineOption resume(u"resume"_qs, u"continue RUN/last.ckpt"_qs);
    const QCommandLineOption epochs(u"epochs"_qs, u"number of epochs (overrides the config)"_qs, u"N"_qs);
    const QCommandLineOption init(u"init"_qs, u"fine-tune: start from this checkpoint's weights and tokenizer "
                                              "(new optimizer and schedule; the config's training settings)"_qs,
                                  u"CKPT"_qs);
    parser.addOptions({data, config, preset, outDir, resume, epochs, init});
    int code = kOk;
    if (!parseArgs(parser, args, &code))
        return code;
    if (!parser.isSet(data) || !parser.isSet(outDir)) {
        err(u"usage: cospace-cli train --data DATASET [--config CFG.json] --out RUN [--resume] [--epochs N]"_qs);
        return kUsage;
    }
    TrainerOptions options;
    const QStringList sources = parser.values(data);
    options.data = sources.first();
    options.extraData = sources.mid(1);
    options.runDir = parser.value(outDir);
    options.resume = parser.isSet(resume);
    options.initFrom = parser.value(init);
    options.config = parser.isSet(config) ? SharedSpaceConfig::fromFile(parser.value(config))
                                          : SharedSpaceConfig::preset(parser.value(preset));
    if (parser.isSet(epochs)) {
        bool ok = false;
        options.epochs = parser.value(epochs).toInt(&ok);
        if (!ok || options.epochs < 1) {
            err(u"--epochs takes a positive whole number"_qs);
            return kUsage;
        }
    }

    JobControl job(terminalProgress(u"train"_qs));
    CancelOnSignal cancelOnCtrlC(&job);
    Trainer trainer(options);
    QElapsedTimer prepareTimer;
    prepareTimer.start();
    trainer.prepare(&job);
    const double prepareSeconds = prepareTimer.nsecsElapsed() / 1e9;
    endProgressLine();
    for (const ParseIssue &issue : trainer.issues())
        err(u"skipped: "_qs + issue.toString());
    for (const ParseIssue &notice : trainer.notices())
        err(u"note: "_qs + notice.toString());
    out(u"training on %1 pairs (%2 images), validating on %3 images; %4 epochs, batch %5, loss %6"_qs
            .arg(trainer.trainPairs()).arg(trainer.trainImages()).arg(trainer.valImages())
            .arg(trainer.config().train.epochs).arg(trainer.config().train.batchSize)
            .arg(lossKindName(trainer.config().loss)));
    out(u"model: %1 parameters, vocabulary %2"_qs.arg(trainer.parameterCount()).arg(trainer.vocabularySize()));
    QElapsedTimer stageTimer;
    stageTimer.start();
    trainer.onStep = [&](const StepReport &s) {
        if (stageTimer.elapsed() < 250 && s.step != s.stepsPerEpoch)
            return;
        stageTimer.restart();
        job.setStage(u"epoch %1/%2 step %3/%4 loss %5 %6 samples/s"_qs.arg(s.epoch).arg(s.epochs).arg(s.step)
                         .arg(s.stepsPerEpoch).arg(s.loss, 0, 'f', 4).arg(s.samplesPerSecond, 0, 'f', 0));
    };
    double trainSeconds = 0;
    qint64 samples = 0;
    trainer.onEpoch = [&](const EpochReport &r) {
        endProgressLine();
        out(epochLine(r));
        trainSeconds += r.seconds;
        samples += qint64(trainer.trainPairs() / trainer.config().train.batchSize) * trainer.config().train.batchSize;
    };
    const bool finished = trainer.run(job);
    endProgressLine();
    if (!finished) {
        err(u"stopped after %1 complete epochs; checkpoint saved. Continue with: cospace-cli train --data %2 --out %3 --resume"_qs
                .arg(trainer.completedEpochs()).arg(options.data, options.runDir));
        return kCancelled;
    }
    out(u"throughput: %1 samples in %2 s of training steps = %3 samples/s; data preparation %4 s"_qs
            .arg(samples).arg(trainSeconds, 0, 'f', 2).arg(samples / std::max(1e-9, trainSeconds), 0, 'f', 1)
            .arg(prepareSeconds, 0, 'f', 2));
    out(u"done: %1/last.ckpt (best: %1/best.ckpt)"_qs.arg(options.runDir));
    return kOk;
}

}  // namespace cospace::cli
