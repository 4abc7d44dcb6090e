#pragma once
// Test support: a tiny shared-space checkpoint trained in seconds on a generated shapes set, for
// tests that need a real model (store, search, explorer). Returns the checkpoint path, or an empty
// string if training failed (the caller QVERIFYs it).

#include "core/data/shapesdemo.h"
#include "core/train/trainer.h"

#include <QDir>

namespace cospace::testing {

inline QString trainTinyModel(const QString &dataDir, const QString &runDir, const ShapesOptions &shapes,
                              int epochs = 1, double valFraction = 0.1)
{
    if (!QFileInfo::exists(dataDir + u"/captions.tsv"_qs))
        generateShapesDataset(dataDir, shapes);
    TrainerOptions o;
    o.data = dataDir;
    o.config = SharedSpaceConfig::preset(u"tiny"_qs);
    o.config.train.epochs = epochs;
    o.config.train.batchSize = 32;
    o.config.train.probeSize = 8;
    o.config.train.valFraction = valFraction;
    o.runDir = runDir;
    Trainer trainer(o);
    JobControl job;
    return trainer.run(job) ? runDir + u"/last.ckpt"_qs : QString();
}

}  // namespace cospace::testing
