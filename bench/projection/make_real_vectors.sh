#!/usr/bin/env bash
# Real embeddings for the projection benchmark: the emoji demos (Noto, OpenMoji, Twemoji images and
# the OpenMoji captions) and a shapes demo, embedded by the default model, written as one N x D
# float32 .npy (images and captions together, as the explorer's map shows them).
#   bench/projection/make_real_vectors.sh OUT.npy [ROWS]   (default 20000: a seeded random subset of the
#   ~32,000 embedded images and captions, rows kept in store order)
# Needs build/app/cospace-cli and the demos in data/demo (make demo; cospace-cli demo openmoji|twemoji).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${CLI:-$root/build/app/cospace-cli}
out=$1
rows=${2:-20000}
shapes_count=2800
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
demo=$root/data/demo
for style in emoji openmoji twemoji; do
  [[ -f $demo/$style/captions.tsv ]] || "$cli" demo "$style" "$demo/$style" >/dev/null
done
"$cli" demo shapes "$work/shapes" --count "$shapes_count" --seed 3 >/dev/null
db=$work/store.db
"$cli" embed "$demo/emoji/images" "$demo/openmoji/images" "$demo/twemoji/images" --model default --store "$db" \
  --captions "$demo/emoji/captions.tsv" >/dev/null
"$cli" embed "$work/shapes/images" --model default --store "$db" --captions "$work/shapes/captions.tsv" >/dev/null
"$cli" export "$work/export" --model default --store "$db" --format npy >/dev/null
/usr/bin/python3 - "$work/export/vectors.npy" "$out" "$rows" <<'PY'
import sys
import numpy as np
x = np.load(sys.argv[1])
n = min(int(sys.argv[3]), len(x))
keep = np.sort(np.random.default_rng(0).choice(len(x), n, replace=False))
np.save(sys.argv[2], np.ascontiguousarray(x[keep], dtype=np.float32))
print(sys.argv[2], (n, x.shape[1]), "of", x.shape[0], "embedded rows")
PY
