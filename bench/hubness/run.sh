#!/bin/sh
# Hubness re-ranking measured (README "Hubness: see it, correct it"): R@1 and R@10 of `cospace-cli eval`
# without and with CSLS and QB-Norm on
#   1. the emoji demo pairs (Noto, a training style of the default model), the evaluated queries as bank;
#   2. Twemoji (a style the default model never saw), skin tones left out: the evaluated queries as
#      bank, then a bank of Noto pairs (a training style: does a mismatched bank still help?);
#   3. a training-style hold-out: a tiny model trained on one shapes set, evaluated on another, the bank
#      taken from the *training* pairs (no test query seen) and, for contrast, transductive.
# Usage: bench/hubness/run.sh BUILD_DIR [WORK_DIR]     (2 shared cores: about 20 minutes, mostly embedding)
set -eu
BUILD=$(cd "$1" && pwd)
WORK=${2:-/tmp/cospace-hubness}
CLI="$BUILD/app/cospace-cli --threads 2"
mkdir -p "$WORK"
cd "$WORK"

row() {   # LABEL, then eval arguments -> one line: i2t R@1 / R@10, t2i R@1 / R@10, RSUM
  label=$1; shift
  printf '%-44s ' "$label"
  $CLI eval "$@" --json 2>/dev/null | python3 -c 'import json,sys; m=json.load(sys.stdin); print("i2t %.3f / R@10 %.3f   t2i %.3f / R@10 %.3f   rsum %.1f" % (m["i2t"]["R@1"], m["i2t"]["R@10"], m["t2i"]["R@1"], m["t2i"]["R@10"], m["rsum"]))'
}

[ -f emoji/captions.tsv ] || $CLI demo emoji emoji
[ -f twemoji/captions.tsv ] || $CLI demo twemoji twemoji
grep -vE '1f3f[b-f]' emoji/captions.tsv > emoji/base.tsv
grep -vE '1f3f[b-f]' twemoji/captions.tsv > twemoji/base.tsv
for m in none csls qbnorm; do row "emoji (Noto), default, $m" --model default --pairs emoji/captions.tsv --rerank $m; done
for m in none csls qbnorm; do row "twemoji base, default, $m" --model default --pairs twemoji/base.tsv --rerank $m; done
for m in csls qbnorm; do
  row "twemoji base, default, $m, bank=noto" --model default --pairs twemoji/base.tsv --rerank $m --bank emoji/base.tsv
done

[ -f shapes-train/captions.tsv ] || $CLI demo shapes shapes-train --count 2000 --seed 1
[ -f shapes-heldout/captions.tsv ] || $CLI demo shapes shapes-heldout --count 1000 --seed 2
[ -f tiny/final.ckpt ] || $CLI train --data shapes-train --preset tiny --out tiny > /dev/null
for m in none csls qbnorm; do
  row "shapes hold-out, tiny, $m, bank=train" --model tiny/final.ckpt --pairs shapes-heldout/captions.tsv --rerank $m \
      --bank shapes-train/captions.tsv
done
for m in csls qbnorm; do
  row "shapes hold-out, tiny, $m, bank=held-out" --model tiny/final.ckpt --pairs shapes-heldout/captions.tsv --rerank $m
done
