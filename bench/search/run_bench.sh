#!/bin/sh
# Search and store-open benchmark over N random 512-d unit vectors, side by side with the peer.
#   run_bench.sh BUILD_DIR [WORK_DIR] [N]
# Writes vectors.npy (numpy, seed 0), imports it into a fresh store under the ViT-B/32-sized bench bundle
# (bench/embed/make_bundles.py; only its fingerprint and text tower are used), then runs
# `cospace-cli search --timing` with each index in $INDEXES (default: flat and int8; add hnsw for small
# N, its build takes tens of minutes at 1M) printing store open+load, index build, p50/p95 over random
# queries and recall@10 against exact, and the peers: search_reference.py (FAISS from Python, needs
# python3-faiss) and numpy_peer.py on the same vectors.
set -e
BUILD=${1:?usage: run_bench.sh BUILD_DIR [WORK_DIR] [N]}
WORK=${2:-/tmp/cospace-searchbench}
N=${3:-1000000}
THREADS=${THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$HERE/../../../shared/bench}
CLI="$BUILD/app/cospace-cli"
mkdir -p "$WORK/vec$N"
cd "$WORK"
[ -f bundles/vitb32/model.pt ] || /usr/bin/python3 "$HERE/../embed/make_bundles.py" bundles
[ -f "vec$N/vectors.npy" ] || /usr/bin/python3 -c "
import numpy as np
x = np.random.default_rng(0).standard_normal(($N, 512), dtype=np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
np.save('vec$N/vectors.npy', x)"
rm -f "s$N.db" "s$N.db-wal" "s$N.db-shm"
/usr/bin/time -f "import: wall %e s, peak RSS %M KB" "$CLI" import --store "s$N.db" --model bundles/vitb32 --format npy "vec$N"
for index in ${INDEXES:-flat int8}; do
  /usr/bin/time -f "search --index $index: wall %e s, peak RSS %M KB" "$CLI" --threads "$THREADS" search \
    --store "s$N.db" --model bundles/vitb32 --text "a red car" --index $index --timing 2>&1 >/dev/null
done
/usr/bin/python3 -c "import faiss" 2>/dev/null && /usr/bin/python3 "$PEERS/search_reference.py" --n "$N" --dim 512 --threads "$THREADS" \
  || echo "search_reference.py: python3-faiss does not import here; skipped"
/usr/bin/python3 "$HERE/numpy_peer.py" --vectors "vec$N/vectors.npy" --threads "$THREADS"
