#!/bin/sh
# A store of N clustered 512-d vectors for the IVF search benchmark (make_clustered.py), imported shard by
# shard so the importer holds one million rows at a time; each shard's .npy is deleted once imported (at
# 10M the vectors would otherwise take 20 GB twice). Idempotent: a finished store is left as it is.
#   prepare_clustered_store.sh BUILD_DIR WORK_DIR N
set -e
BUILD=$(cd "${1:?usage: prepare_clustered_store.sh BUILD_DIR WORK_DIR N}" && pwd)
WORK=${2:?WORK_DIR}
N=${3:?N}
HERE=$(cd "$(dirname "$0")" && pwd)
CLI="$BUILD/app/cospace-cli"
mkdir -p "$WORK"
cd "$WORK"
MODEL=${MODEL:-$WORK/ckpt/vitb32.safetensors}
[ -f "$MODEL" ] || /usr/bin/python3 "$HERE/../checkpoints/make_checkpoints.py" ckpt
[ -f "c$N.done" ] && { echo "store c$N.db is ready"; exit 0; }
rm -rf "c$N" "c$N.db" "c$N.db-wal" "c$N.db-shm" "c$N.db-m"*
/usr/bin/time -f "generate: wall %e s, peak RSS %M KB" /usr/bin/python3 "$HERE/make_clustered.py" "c$N" "$N"
for shard in "c$N"/shard*; do
  /usr/bin/time -f "import $shard: wall %e s, peak RSS %M KB" "$CLI" import --store "c$N.db" --model "$MODEL" --format npy "$shard"
  rm -f "$shard/vectors.npy"
done
ls -l "c$N.db" | awk '{printf "store file: %.0f MB\n", $5 / 1e6}'
touch "c$N.done"
