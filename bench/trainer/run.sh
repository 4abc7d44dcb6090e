#!/usr/bin/env bash
# Side-by-side training speed: Cospace's C++ trainer vs its PyTorch twin (twin.py), same data,
# architecture, batch, threads and one epoch each. Prints samples/s of both, the ratio, parameter
# counts (must match) and peak RSS.
#   bench/trainer/run.sh [DATASET_DIR]   (default: data/demo/emoji, else a generated shapes set)
# Needs: /usr/bin/python3 with python3-torch, python3-torchvision, python3-pil; build/app/cospace-cli.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${CLI:-$root/build/app/cospace-cli}
threads=${THREADS:-$(nproc)}
data=${1:-$root/data/demo/emoji}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ ! -f $data/captions.tsv ]]; then
  data=$tmp/shapes
  "$cli" demo shapes "$data" --count 4000 --seed 1 >/dev/null
fi
cfg=$root/bench/trainer/config.json

# Each side runs with its own defaults (OMP_WAIT_POLICY, OPENBLAS_THREAD_TIMEOUT unset: cospace-cli
# sets them for itself, core/runtime.h); the twin runs a second time with those two variables set
# the same way, the like-for-like figure.
env -u OMP_WAIT_POLICY /usr/bin/time -v "$cli" --threads "$threads" train --data "$data" --config "$cfg" \
  --out "$tmp/run" >"$tmp/cpp.out" 2>"$tmp/cpp.time"
params=$(sed -n 's/^model: \([0-9]*\) parameters, vocabulary \([0-9]*\)$/\1/p' "$tmp/cpp.out")
vocab=$(sed -n 's/^model: \([0-9]*\) parameters, vocabulary \([0-9]*\)$/\2/p' "$tmp/cpp.out")
cpp_sps=$(sed -n 's/^throughput: .* = \([0-9.]*\) samples\/s.*/\1/p' "$tmp/cpp.out")
cpp_prep=$(sed -n 's/^throughput: .*data preparation \([0-9.]*\) s/\1/p' "$tmp/cpp.out")
cpp_rss=$(awk '/Maximum resident set size/ {print int($6/1024)}' "$tmp/cpp.time")
# Samples/s counting the one-off decode + cache before the first step as well.
cpp_all=$(sed -n 's/^throughput: \([0-9]*\) samples in \([0-9.]*\) s.*/\1 \2/p' "$tmp/cpp.out" |
  awk -v prep="$cpp_prep" '{printf "%.1f", $1 / ($2 + prep)}')

twin() {   # twin ENV... -> "samples/s params rss"
  env "$@" /usr/bin/time -v /usr/bin/python3 "$root/bench/trainer/twin.py" --data "$data" --config "$cfg" \
    --vocab "$vocab" --threads "$threads" --workers 2 >"$tmp/py.out" 2>"$tmp/py.time"
  echo "$(tail -1 "$tmp/py.out" | /usr/bin/python3 -c 'import json,sys; print("%.1f" % json.load(sys.stdin)["samples_per_second"])')" \
    "$(sed -n 's/^twin: \([0-9]*\) parameters.*/\1/p' "$tmp/py.out")" \
    "$(awk '/Maximum resident set size/ {print int($6/1024)}' "$tmp/py.time")"
}
read -r py_sps py_params py_rss < <(twin -u OMP_WAIT_POLICY)
read -r pyp_sps pyp_params pyp_rss < <(twin OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4)

echo "dataset: $data  threads: $threads  batch: 128  one epoch"
printf '%-36s %10s %12s %13s\n' "" "samples/s" "parameters" "peak RSS MiB"
printf '%-36s %10s %12s %13s\n' "Cospace C++ trainer (steps only)" "$cpp_sps" "$params" "$cpp_rss"
printf '%-36s %10s %12s %13s\n' "Cospace C++ trainer (+ data prep)" "$cpp_all" "" ""
printf '%-36s %10s %12s %13s\n' "PyTorch twin (defaults)" "$py_sps" "$py_params" "$py_rss"
printf '%-36s %10s %12s %13s\n' "PyTorch twin (Cospace's thread env)" "$pyp_sps" "$pyp_params" "$pyp_rss"
echo "C++ data preparation (decode + cache, once): ${cpp_prep} s; the twin decodes inside its loop"
/usr/bin/python3 -c "print('ratio C++ (+ data prep) / twin: %.2fx at each side\'s defaults, %.2fx with the twin given the same thread env' % ($cpp_all / $py_sps, $cpp_all / $pyp_sps))"
[[ $params == "$py_params" && $params == "$pyp_params" ]] || echo "WARNING: parameter counts differ"
