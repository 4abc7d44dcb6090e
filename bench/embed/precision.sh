#!/bin/sh
# Issue 21 target 5: CPU embedding of 12-MP JPEGs with a ViT-B/32-sized CLIP, the image tower's
# arithmetic in float32 and in bf16, side by side with ../shared/bench/embed_reference.py (PIL,
# DataLoader workers, the TorchScript bundle of the same weights) in one sitting; then what bf16 costs
# in fidelity: the cosine of each image's bf16 embedding to its float32 one (the photos and the emoji
# demo) and recall@10 of the emoji demo's caption->image rankings against the float32 rankings.
#   precision.sh BUILD_DIR [WORK_DIR] [N_PHOTOS]
# RUNS rounds (default 3; 0 measures fidelity only), each: Cospace fp32, Cospace bf16, reference; medians and ratios at the end.
# images/s is each side's own embedding rate (model loading excluded on both sides), as in run_bench.sh.
set -e
BUILD=$(cd "${1:?usage: precision.sh BUILD_DIR [WORK_DIR] [N_PHOTOS]}" && pwd)
WORK=${2:-/tmp/cospace-precisionbench}
N=${3:-48}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$HERE/../../../shared/bench}
CLI="$BUILD/app/cospace-cli"
MODEL=ckpt/vitb32.safetensors
mkdir -p "$WORK"
cd "$WORK"
[ "$(ls photos 2>/dev/null | wc -l)" -ge "$N" ] || /usr/bin/python3 "$PEERS/make_photos.py" photos "$N"
[ -f ckpt/bundle/model.pt ] || /usr/bin/python3 "$HERE/../checkpoints/make_checkpoints.py" ckpt
[ -f emoji/captions.tsv ] || "$CLI" demo emoji emoji
bf16=no; grep -qw avx512_bf16 /proc/cpuinfo && bf16="AVX-512 BF16"; grep -qw amx_bf16 /proc/cpuinfo && bf16="AMX-BF16"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, bf16 in hardware: $bf16;" \
     "load average: $(cut -d' ' -f1-3 /proc/loadavg); $N photos, $THREADS threads"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { sed -n 's/.*(\([0-9.]*\) items\/s).*/\1/p'; }
if [ "$RUNS" -gt 0 ]; then
: > fp32.rates; : > bf16.rates; : > ref.rates
for i in $(seq "$RUNS"); do
  for p in fp32 bf16; do
    rm -f "photos_$p.db" "photos_$p.db-wal" "photos_$p.db-shm"
    out=$("$CLI" --threads "$THREADS" --precision $p embed photos --model "$MODEL" --store "photos_$p.db" \
          --decode-threads "$THREADS" 2>&1 | grep -v '^skipped')
    r=$(echo "$out" | rate); echo "$r" >> $p.rates
    echo "round $i cospace $p: $r images/s; $(echo "$out" | sed -n 's/^time: //p'); load $(cut -d' ' -f1 /proc/loadavg)"
  done
  out=$(/usr/bin/python3 "$PEERS/embed_reference.py" --bundle ckpt/bundle --images photos --threads "$THREADS" --workers "$THREADS")
  r=$(echo "$out" | sed -n 's/.* = \([0-9.]*\) images\/s.*/\1/p'); echo "$r" >> ref.rates
  echo "round $i reference: $out"
done
f=$(median < fp32.rates); b=$(median < bf16.rates); r=$(median < ref.rates)
echo "medians: cospace fp32 $f images/s, cospace bf16 $b images/s, reference $r images/s"
echo "ratios: fp32/reference $(echo "$f $r" | awk '{printf "%.2f", $1/$2}')x, bf16/reference $(echo "$b $r" | awk '{printf "%.2f", $1/$2}')x," \
     "bf16/fp32 $(echo "$b $f" | awk '{printf "%.2f", $1/$2}')x"
fi

# Fidelity. Captions are embedded by the text tower, which is float32 under both settings: the
# float32 store's captions rank both stores' images.
# The emoji stores are kept between runs (embedding 3,786 emoji takes minutes); delete them to redo.
for p in fp32 bf16; do
  rm -rf "export_emoji_$p" "export_photos_$p"
  captions=; [ $p = fp32 ] && captions="--captions emoji/captions.tsv"
  "$CLI" --threads "$THREADS" --precision $p embed emoji $captions --model "$MODEL" --store "emoji_$p.db" 2>&1 | grep -E '^embedded'
  "$CLI" export --store "emoji_$p.db" --model "$MODEL" --format npy "export_emoji_$p" > /dev/null
  [ ! -f "photos_$p.db" ] || "$CLI" export --store "photos_$p.db" --model "$MODEL" --format npy "export_photos_$p" > /dev/null
done
[ ! -d export_photos_bf16 ] || /usr/bin/python3 "$HERE/compare_precision.py" export_photos_fp32 export_photos_bf16 photos
/usr/bin/python3 "$HERE/compare_precision.py" export_emoji_fp32 export_emoji_bf16 emoji
