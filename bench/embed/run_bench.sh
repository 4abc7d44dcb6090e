#!/bin/sh
# Embedding throughput, side by side with ../shared/bench/embed_reference.py, same threads, same photos.
#   run_bench.sh BUILD_DIR [WORK_DIR] [N_PHOTOS]
# Makes N 12-MP JPEGs (make_photos.py) and two random bundles (make_bundles.py: ViT-B/32-sized and tiny)
# once, then for each bundle runs `cospace-cli embed` into a fresh store and the reference, printing
# images/s, the decode/model split, wall time and peak RSS (GNU time) of both.
set -e
BUILD=$(cd "${1:?usage: run_bench.sh BUILD_DIR [WORK_DIR] [N]}" && pwd)
WORK=${2:-/tmp/cospace-embedbench}
N=${3:-64}
THREADS=${THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$HERE/../../../shared/bench}
mkdir -p "$WORK"
cd "$WORK"
[ "$(ls photos 2>/dev/null | wc -l)" -ge "$N" ] || /usr/bin/python3 "$PEERS/make_photos.py" photos "$N"
[ -f bundles/vitb32/model.pt ] || /usr/bin/python3 "$HERE/make_bundles.py" bundles
for b in tiny vitb32; do
  rm -f "embed_$b.db" "embed_$b.db-wal" "embed_$b.db-shm"
  /usr/bin/time -f "cospace $b: wall %e s, peak RSS %M KB" "$BUILD/app/cospace-cli" --threads "$THREADS" \
    embed photos --model "bundles/$b" --store "embed_$b.db" --decode-threads "$THREADS" 2>&1 | grep -v '^skipped'
  /usr/bin/time -f "reference $b: wall %e s, peak RSS %M KB" /usr/bin/python3 "$PEERS/embed_reference.py" \
    --bundle "bundles/$b" --images photos --threads "$THREADS" --workers "$THREADS"
done
