#!/bin/sh
# Start-up and throughput of native CLIP checkpoints (issue 17), side by side with their peers.
#   run_bench.sh BUILD_DIR [WORK_DIR] [RUNS] [N_PHOTOS]
# 1. Whole-process `cospace-cli encode --model CKPT --text ...` against twin.py (torch.load + OpenAI's
#    build_model + one encode_text), RUNS times each, alternating, each with its default threads (Cospace
#    encodes one caption on one thread, torch uses all cores); prints every time and the medians.
# 2. Embedding N 12-MP JPEGs (../shared/bench/make_photos.py) with `cospace-cli embed`: the native
#    safetensors checkpoint against the TorchScript bundle of the same weights, same threads.
set -e
BUILD=$(cd "${1:?usage: run_bench.sh BUILD_DIR [WORK_DIR] [RUNS] [N_PHOTOS]}" && pwd)
WORK=${2:-/tmp/cospace-ckptbench}
RUNS=${3:-7}
N=${4:-32}
THREADS=${THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$HERE/../../../shared/bench}
CLI="$BUILD/app/cospace-cli"
TEXT="a photo of a cat sleeping on a red mat"
mkdir -p "$WORK"
cd "$WORK"
[ -f ckpt/bundle/model.pt ] || /usr/bin/python3 "$HERE/make_checkpoints.py" ckpt
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall() { /usr/bin/time -f %e -o "$WORK/t" "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; cat "$WORK/t"; }

for ckpt in ckpt/vitb32_fp16.pt ckpt/vitb32.safetensors; do
  cat "$ckpt" > /dev/null   # both sides read the file from the page cache
  : > cospace.times; : > twin.times
  for i in $(seq "$RUNS"); do
    wall "$CLI" encode --model "$ckpt" --text "$TEXT" >> cospace.times
    wall /usr/bin/python3 "$HERE/twin.py" "$ckpt" "$TEXT" >> twin.times
  done
  c=$(median < cospace.times); t=$(median < twin.times)
  echo "encode --text, $ckpt: cospace-cli $(tr '\n' ' ' < cospace.times)s (median $c s); python twin $(tr '\n' ' ' < twin.times)s (median $t s); ratio $(echo "$t $c" | awk '{printf "%.1fx", $1/$2}')"
done
"$CLI" encode --model ckpt/vitb32.safetensors --text "$TEXT" | cut -d' ' -f1-4 | sed 's/^/  cospace: /'
/usr/bin/python3 "$HERE/twin.py" ckpt/vitb32.safetensors "$TEXT" | cut -d' ' -f1-4 | sed 's/^/  twin:    /'

[ "$(ls photos 2>/dev/null | wc -l)" -ge "$N" ] || /usr/bin/python3 "$PEERS/make_photos.py" photos "$N"
for model in ckpt/vitb32.safetensors ckpt/bundle; do
  rm -f embed.db embed.db-wal embed.db-shm
  /usr/bin/time -f "  wall %e s, peak RSS %M KB" "$CLI" --threads "$THREADS" embed photos --model "$model" \
    --store embed.db --decode-threads "$THREADS" 2>&1 | grep -v '^skipped' | sed "s|^|$model: |"
done
