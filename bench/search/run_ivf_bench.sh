#!/bin/sh
# IVF search benchmark at N clustered 512-d vectors (issue 21 target 3), side by side with FAISS.
#   run_ivf_bench.sh BUILD_DIR [WORK_DIR] [N]        (default /tmp/cospace-ivfbench, 10000000)
# Needs ~2.6 x N x 2 KB of disk (store, snapshot; at 10M ~50 GB) and an idle machine. Steps:
#  0. prepare_clustered_store.sh: N rows of make_clustered.py imported shard by shard (skipped when done);
#  1. `search --index int8 --timing` on 100 of the sample queries: the first run writes the mapped
#     snapshot (timed), then the int8 scan of every code, with recall@10 against exact;
#  2. `cospace-cli index`: a whole IVF build (any previous .ivf is deleted first; wall, peak RSS, lists,
#     calibrated probes);
#  3. `search --index ivf --timing --timing-queries queries.npy`: 1,000 sample queries (stored rows plus
#     noise), p50/p95 and recall@10 against one batched exact scan, at the calibrated probes and at
#     each --probes in $PROBES;
#  4. the peer, faiss_ivf_peer.py: FAISS IVF (HNSW-assigned centroids) + SQ8 over the same float rows
#     (read from the snapshot file), the same queries, nprobe doubled from 8 until recall@10 >= 0.95 or
#     past --max-nprobe (64).
set -e
BUILD=$(cd "${1:?usage: run_ivf_bench.sh BUILD_DIR [WORK_DIR] [N]}" && pwd)
WORK=${2:-/tmp/cospace-ivfbench}
N=${3:-10000000}
THREADS=${THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
CLI="$BUILD/app/cospace-cli"
"$HERE/prepare_clustered_store.sh" "$BUILD" "$WORK" "$N"
cd "$WORK"
MODEL=${MODEL:-$WORK/ckpt/vitb32.safetensors}
DB="c$N.db"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 -c "
import numpy as np
q = np.load('c$N/queries.npy'); np.save('c$N/queries100.npy', q[:100])"
/usr/bin/time -f "search --index int8 (run 1 writes the snapshot when stale): wall %e s, peak RSS %M KB" \
  "$CLI" --threads "$THREADS" search --store "$DB" --model "$MODEL" --text "a red car" --index int8 \
  --timing --timing-queries "c$N/queries100.npy" 2>&1 >/dev/null | grep -v '^snapshot'
ls -l "$DB-m1-image.vec" | awk '{printf "snapshot file: %.0f MB\n", $5 / 1e6}'
rm -f "$DB-m1-image.ivf"   # measure a whole build
/usr/bin/time -f "index: wall %e s, peak RSS %M KB" "$CLI" --threads "$THREADS" index --store "$DB" --model "$MODEL" ${LISTS:+--lists $LISTS} 2>&1 | grep -v '^index'
ls -l "$DB-m1-image.ivf" | awk '{printf "IVF file: %.0f MB\n", $5 / 1e6}'
for probes in "" $PROBES; do
  /usr/bin/time -f "search --index ivf ${probes:+--probes $probes}: wall %e s, peak RSS %M KB" \
    "$CLI" --threads "$THREADS" search --store "$DB" --model "$MODEL" --text "a red car" --index ivf ${probes:+--probes $probes} \
    --timing --timing-queries "c$N/queries.npy" 2>&1 >/dev/null
done
/usr/bin/python3 -c "import faiss" 2>/dev/null \
  && /usr/bin/python3 "$HERE/faiss_ivf_peer.py" --snapshot "$DB-m1-image.vec" --queries "c$N/queries.npy" --threads "$THREADS" \
  || echo "faiss_ivf_peer.py: python3-faiss does not import here; skipped"
