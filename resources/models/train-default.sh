#!/bin/sh
# Reproduces resources/models/default.ckpt: one run on the Noto and OpenMoji styles of the emoji demo
# (Twemoji held out as the unseen style), then five short fine-tunes (--init) with less and less
# augmentation and larger batches, which fit the training styles; the last one also trains on the
# 2% of concepts held out for validation before. About 95 minutes on 2 idle cores.
#   sh resources/models/train-default.sh [BUILD_DIR] [RUNS_DIR]
set -e
BUILD=${1:-build}
RUNS=${2:-runs/default}
CLI="$BUILD/app/cospace-cli"
M=resources/models
[ -f data/demo/emoji/captions.tsv ] || "$CLI" demo emoji data/demo/emoji
[ -f data/demo/openmoji/captions.tsv ] || "$CLI" demo openmoji data/demo/openmoji
set -- --data data/demo/emoji --data data/demo/openmoji
"$CLI" train "$@" --config $M/default-config.json --out "$RUNS/stage0"
for stage in 1 2 3 4 5; do
  "$CLI" train "$@" --init "$RUNS/stage$((stage - 1))/last.ckpt" --config "$M/default-finetune$stage.json" \
    --out "$RUNS/stage$stage"
done
cp "$RUNS/stage5/final.ckpt" $M/default.ckpt
echo "default model: $M/default.ckpt"
