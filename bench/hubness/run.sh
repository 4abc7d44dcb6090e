#!/bin/sh
# Hubness re-ranking measured (README "Hubness: see it, correct it"): Recall@1 of `cospace-cli eval`
# without and with CSLS and QB-Norm on
#   1. the emoji demo pairs with the default model (the query bank: the evaluated queries themselves);
#   2. a training-style hold-out: a tiny model trained on one shapes set, evaluated on another, with the
#      query bank taken from the *training* pairs (no test query seen) and, for contrast, transductive.
# Usage: bench/hubness/run.sh BUILD_DIR [WORK_DIR]     (2 cores: about 25 minutes, most of it embedding)
set -eu
BUILD=$(cd "$1" && pwd)
WORK=${2:-/tmp/cospace-hubness}
CLI="$BUILD/app/cospace-cli --threads 2"
mkdir -p "$WORK"
cd "$WORK"

r1() {   # eval --json -> "i2t R@1  t2i R@1  RSUM"
  python3 -c 'import json,sys; m=json.load(sys.stdin); print("%.3f  %.3f  %.1f" % (m["i2t"]["R@1"], m["t2i"]["R@1"], m["rsum"]))'
}

[ -f emoji/captions.tsv ] || $CLI demo emoji emoji
for method in none csls qbnorm; do
  printf 'emoji demo, default model, %-6s  ' "$method"
  $CLI eval --model default --pairs emoji/captions.tsv --rerank $method --json 2>/dev/null | r1
done

[ -f shapes-train/captions.tsv ] || $CLI demo shapes shapes-train --count 2000 --seed 1
[ -f shapes-heldout/captions.tsv ] || $CLI demo shapes shapes-heldout --count 1000 --seed 2
[ -f tiny/final.ckpt ] || $CLI train --data shapes-train --preset tiny --out tiny > /dev/null
for method in none csls qbnorm; do
  printf 'shapes hold-out, tiny, %-6s bank=train      ' "$method"
  $CLI eval --model tiny/final.ckpt --pairs shapes-heldout/captions.tsv --rerank $method \
      --bank shapes-train/captions.tsv --json 2>/dev/null | r1
done
for method in csls qbnorm; do
  printf 'shapes hold-out, tiny, %-6s bank=held-out   ' "$method"
  $CLI eval --model tiny/final.ckpt --pairs shapes-heldout/captions.tsv --rerank $method --json 2>/dev/null | r1
done
