#!/usr/bin/env bash
# Pictures at first sight (issue 20): time to the first full screen of thumbnails when a folder of
# N 12-MP JPEGs is reopened, with a cold thumbnail cache (every visible photo decoded, its
# freedesktop.org thumbnail written) and then warm (the thumbnails read back). Uses
# `cospace --bench-thumbnails DIR` (ui/map/thumbnailbench.h) on the offscreen platform.
#
#   bench/thumbnails/run.sh [BUILD=build] [N=20000] [UNIQUE=100]
#
# The photos come from ../shared/bench/make_photos.py (4000x3000, quality 90) and go under /tmp,
# never into the repository. Writing 20,000 of them takes hours on 2 cores, so UNIQUE distinct
# photos are written and hard-linked to N names: the folder has N files with N URIs (N separate
# thumbnails) while the page cache holds the UNIQUE originals, so "cold" here means a cold
# thumbnail cache with warm file reads — decoding, not the disk, is what it measures.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
n=${2:-20000}
unique=${3:-100}
work=${COSPACE_BENCH_DIR:-/tmp/cospace-thumbbench}
python=${COSPACE_PYTHON:-/usr/bin/python3}
photos=$work/photos-$n

if [ ! -f "$photos/.complete" ]; then
  mkdir -p "$work/unique" "$photos"
  have=$(find "$work/unique" -name 'photo_*.jpg' | wc -l)
  if [ "$have" -lt "$unique" ]; then
    echo "writing $unique 12-MP photos to $work/unique (make_photos.py; slow)"
    "$python" "$root/../shared/bench/make_photos.py" "$work/unique" "$unique" --size 4000x3000 --seed 0
  fi
  for ((i = 0; i < n; i++)); do
    ln -f "$work/unique/photo_$(printf %05d $((i % unique))).jpg" "$photos/photo_$(printf %05d $i).jpg"
  done
  touch "$photos/.complete"
fi

export QT_QPA_PLATFORM=offscreen
cache=$work/xdg-cache
rm -rf "$cache"
echo "== cold: empty thumbnail cache ($cache)"
XDG_CACHE_HOME=$cache "$build/app/cospace" --bench-thumbnails "$photos"
echo "   thumbnails written: $(find "$cache/thumbnails" -name '*.png' | wc -l)"
echo "== warm: the same folder reopened"
XDG_CACHE_HOME=$cache "$build/app/cospace" --bench-thumbnails "$photos"
echo "(load average now: $(cut -d' ' -f1-3 /proc/loadavg); other builds on the machine slow both runs)"
