#!/bin/sh
# Search and store-open benchmark over N random 512-d unit vectors, side by side with the peers.
#   run_bench.sh BUILD_DIR [WORK_DIR] [N]
# Writes vectors.npy (numpy, seed 0) and imports it into a fresh store under a ViT-B/32-sized native
# checkpoint (MODEL; default: bench/checkpoints/make_checkpoints.py's vitb32.safetensors — only its
# fingerprint and text tower are used), then:
#  1. whole-process `cospace-cli search --text` RUNS times: the first run writes the store's mapped
#     snapshot (store/vectorsnapshot.h), the others map it; against the whole-process numpy peer
#     (numpy_peer.py --queries 1: import numpy, np.load the .npy, one exact query);
#  2. `cospace-cli search --timing` with each index in $INDEXES (default: flat and int8; add hnsw for
#     small N, its build takes tens of minutes at 1M): store open+load, index build, p50/p95 over random
#     queries, recall@10 against exact; then the peers: search_reference.py (FAISS from Python, needs
#     python3-faiss) and numpy_peer.py on the same vectors (50 queries).
set -e
BUILD=$(cd "${1:?usage: run_bench.sh BUILD_DIR [WORK_DIR] [N]}" && pwd)
WORK=${2:-/tmp/cospace-searchbench}
N=${3:-1000000}
THREADS=${THREADS:-2}
RUNS=${RUNS:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$HERE/../../../shared/bench}
CLI="$BUILD/app/cospace-cli"
mkdir -p "$WORK/vec$N"
cd "$WORK"
if [ -z "$MODEL" ]; then
  MODEL=$WORK/ckpt/vitb32.safetensors
  [ -f "$MODEL" ] || /usr/bin/python3 "$HERE/../checkpoints/make_checkpoints.py" ckpt
fi
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg); model $MODEL"
[ -f "vec$N/vectors.npy" ] || /usr/bin/python3 -c "
import numpy as np
x = np.random.default_rng(0).standard_normal(($N, 512), dtype=np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
np.save('vec$N/vectors.npy', x)"
rm -f "s$N.db" "s$N.db-wal" "s$N.db-shm" "s$N.db-m"*.vec
/usr/bin/time -f "import: wall %e s, peak RSS %M KB" "$CLI" import --store "s$N.db" --model "$MODEL" --format npy "vec$N"
ls -l "s$N.db" | awk '{printf "store file: %.0f MB\n", $5 / 1e6}'

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cat "vec$N/vectors.npy" > /dev/null   # both sides read from the page cache
: > cospace.times; : > numpy.times
for i in $(seq "$RUNS"); do
  /usr/bin/time -f "%e %M" -o t "$CLI" search --store "s$N.db" --model "$MODEL" --text "a red car" -k 10 > /dev/null
  read -r wall rss < t
  [ "$i" = 1 ] && echo "whole-process search, run 1 (writes the snapshot): $wall s, peak RSS $rss KB" || echo "$wall" >> cospace.times
  /usr/bin/time -f "%e" -o t /usr/bin/python3 "$HERE/numpy_peer.py" --vectors "vec$N/vectors.npy" --queries 1 --threads "$THREADS" > /dev/null
  cat t >> numpy.times
done
ls -l "s$N.db-m1-image.vec" | awk '{printf "snapshot file: %.0f MB\n", $5 / 1e6}'
c=$(median < cospace.times); p=$(median < numpy.times)
echo "whole-process search, mapped (median of $((RUNS - 1))): cospace-cli $c s (peak RSS $rss KB); numpy peer (np.load + 1 query, median of $RUNS) $p s; numpy/cospace $(echo "$p $c" | awk '{printf "%.1fx", $1/$2}')"

for index in ${INDEXES:-flat int8}; do
  /usr/bin/time -f "search --index $index: wall %e s, peak RSS %M KB" "$CLI" --threads "$THREADS" search \
    --store "s$N.db" --model "$MODEL" --text "a red car" --index $index --timing 2>&1 >/dev/null
done
/usr/bin/python3 -c "import faiss" 2>/dev/null && /usr/bin/python3 "$PEERS/search_reference.py" --n "$N" --dim 512 --threads "$THREADS" \
  || echo "search_reference.py: python3-faiss does not import here; skipped"
/usr/bin/python3 "$HERE/numpy_peer.py" --vectors "vec$N/vectors.npy" --threads "$THREADS"
