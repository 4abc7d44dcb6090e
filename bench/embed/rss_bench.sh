#!/bin/sh
# Peak memory while embedding many images: does RSS stay bounded as the folder grows?
#   rss_bench.sh BUILD_DIR [WORK_DIR] [N]
# Generates N 64-px images with `cospace-cli demo shapes` (once), then embeds the first N/10 and all N
# with the tiny random bundle (make_bundles.py) into fresh stores, printing wall time and peak RSS (GNU
# time) of each. The goal (issue 5): peak RSS under 1.5 GB plus the vectors (N x D x 4 bytes), and
# about the same at N/10 and N — memory must not grow with the folder.
set -e
BUILD=${1:?usage: rss_bench.sh BUILD_DIR [WORK_DIR] [N]}
WORK=${2:-/tmp/cospace-rssbench}
N=${3:-100000}
THREADS=${THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
CLI="$BUILD/app/cospace-cli"
mkdir -p "$WORK"
cd "$WORK"
[ -f "shapes$N/captions.tsv" ] || "$CLI" demo shapes "shapes$N" --count "$N" >/dev/null
[ -f bundles/tiny/model.pt ] || /usr/bin/python3 "$HERE/make_bundles.py" bundles
TENTH=$((N / 10))
mkdir -p "part$TENTH/images"
# The first N/10 images as symlinks: the same files, a tenth of the folder.
[ "$(ls "part$TENTH/images" | wc -l)" -ge "$TENTH" ] || \
  find "$WORK/shapes$N/images" -name '*.png' | sort | head -n "$TENTH" | xargs -I{} ln -sf {} "part$TENTH/images/"
for set in "part$TENTH" "shapes$N"; do
  rm -f "$set.db" "$set.db-wal" "$set.db-shm"
  /usr/bin/time -f "$set: wall %e s, peak RSS %M KB" "$CLI" --threads "$THREADS" \
    embed "$set/images" --model bundles/tiny --store "$set.db" --json 2>&1 | \
    /usr/bin/python3 -c "
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line.startswith('{'):
        d = json.loads(line); print('embedded', d['embedded'], 'cached', d['cached'], 'skipped', len(d['skipped']))
    elif 'peak RSS' in line:
        print(line)"
done
