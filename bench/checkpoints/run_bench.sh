#!/bin/sh
# Start-up and throughput of native CLIP checkpoints (issue 17), side by side with their peers.
#   run_bench.sh BUILD_DIR [WORK_DIR] [RUNS] [N_PHOTOS]
# 1. Whole-process `cospace-cli encode --model CKPT --text ...` against twin.py (torch.load + OpenAI's
#    build_model + one encode_text), RUNS times each, alternating, each with its default threads (Cospace
#    encodes one caption on one thread, torch uses all cores); prints every time with the 1-minute load
#    average just before it, then the medians and the ratio.
# 2. Embedding N 12-MP JPEGs (../shared/bench/make_photos.py) with `cospace-cli embed`: the native
#    safetensors checkpoint against the TorchScript bundle of the same weights, same threads, EMBED_RUNS
#    times each, alternating (a fresh store every run); medians of the embed stage's images/s (model
#    loading excluded: it is part 1's subject) and of the whole command's wall time.
# Other engineers' builds share the machine: look at the loads printed beside each figure.
set -e
BUILD=$(cd "${1:?usage: run_bench.sh BUILD_DIR [WORK_DIR] [RUNS] [N_PHOTOS]}" && pwd)
WORK=${2:-/tmp/cospace-ckptbench}
RUNS=${3:-7}
N=${4:-32}
EMBED_RUNS=${EMBED_RUNS:-3}
THREADS=${THREADS:-2}
PARTS=${PARTS:-"startup embed"}
HERE=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$HERE/../../../shared/bench}
CLI="$BUILD/app/cospace-cli"
TEXT="a photo of a cat sleeping on a red mat"
mkdir -p "$WORK"
cd "$WORK"
[ -f ckpt/bundle/model.pt ] || /usr/bin/python3 "$HERE/make_checkpoints.py" ckpt
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

load() { cut -d' ' -f1 /proc/loadavg; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall() { /usr/bin/time -f %e -o "$WORK/t" "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; cat "$WORK/t"; }

case " $PARTS " in *" startup "*)
for ckpt in ckpt/vitb32_fp16.pt ckpt/vitb32.safetensors; do
  cat "$ckpt" > /dev/null   # both sides read the file from the page cache
  : > cospace.times; : > twin.times; : > loads; line=
  for i in $(seq "$RUNS"); do
    l=$(load); echo "$l" >> loads
    c=$(wall "$CLI" encode --model "$ckpt" --text "$TEXT"); echo "$c" >> cospace.times
    l2=$(load); echo "$l2" >> loads
    t=$(wall /usr/bin/python3 "$HERE/twin.py" "$ckpt" "$TEXT"); echo "$t" >> twin.times
    line="$line ${c}/${t}@${l}"
  done
  c=$(median < cospace.times); t=$(median < twin.times)
  echo "encode --text, $ckpt (cospace/twin s @load):$line"
  echo "  medians: cospace-cli $c s, python twin $t s; twin/cospace $(echo "$t $c" | awk '{printf "%.1fx", $1/$2}');" \
       "load during the runs $(sort -n loads | head -n1)-$(sort -n loads | tail -n1), median $(median < loads)"
done
"$CLI" encode --model ckpt/vitb32.safetensors --text "$TEXT" | cut -d' ' -f1-4 | sed 's/^/  cospace: /'
/usr/bin/python3 "$HERE/twin.py" ckpt/vitb32.safetensors "$TEXT" | cut -d' ' -f1-4 | sed 's/^/  twin:    /'
;; esac

case " $PARTS " in *" embed "*)
[ "$(ls photos 2>/dev/null | wc -l)" -ge "$N" ] || /usr/bin/python3 "$PEERS/make_photos.py" photos "$N"
if [ "$(ls photos | wc -l)" -gt "$N" ]; then   # exactly N: a larger folder from an earlier run is cut down
  mkdir -p "photos$N"; ls photos | head -n "$N" | while read -r f; do ln -sf "$WORK/photos/$f" "photos$N/$f"; done
  DIR="photos$N"
else
  DIR=photos
fi
: > native.rates; : > bundle.rates; : > native.walls; : > bundle.walls; : > loads
for i in $(seq "$EMBED_RUNS"); do
  for name in native bundle; do
    model=ckpt/vitb32.safetensors; [ "$name" = bundle ] && model=ckpt/bundle
    rm -f embed.db embed.db-wal embed.db-shm
    l=$(load); echo "$l" >> loads
    /usr/bin/time -f "%e %M" -o "$WORK/t" "$CLI" --threads "$THREADS" embed "$DIR" --model "$model" \
      --store embed.db --decode-threads "$THREADS" > out.txt 2> err.txt || { cat err.txt >&2; exit 1; }
    rate=$(sed -n 's/.* s (\([0-9.]*\) items\/s).*/\1/p' out.txt)
    split=$(sed -n 's/^time: //p' out.txt)
    w=$(cut -d' ' -f1 "$WORK/t"); rss=$(cut -d' ' -f2 "$WORK/t")
    echo "$rate" >> "$name.rates"; echo "$w" >> "$name.walls"
    echo "embed $N photos, run $i, $name ($model): $rate images/s; $split; wall $w s, peak RSS $rss KB; load $l"
  done
done
nr=$(median < native.rates); br=$(median < bundle.rates)
echo "  medians: native $nr images/s (wall $(median < native.walls) s), bundle $br images/s (wall $(median < bundle.walls) s);" \
     "native/bundle $(echo "$nr $br" | awk '{printf "%.2fx", $1/$2}'); load $(sort -n loads | head -n1)-$(sort -n loads | tail -n1)"
;; esac
