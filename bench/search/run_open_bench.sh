#!/bin/sh
# Reopening a big workspace (issue 21 target 4, GUI half): N clustered 512-d vectors imported as images
# under WORK/images/ (no files there: imported rows are kept), one workspace over that folder, projected
# once (PCA) to fill the layout cache and the store's snapshot; then
#   - `cospace-cli layout --timing` three times: the job the window runs to open a workspace
#     (core/explorer/workspacesession.h), whole process, stage by stage, peak RSS;
#   - `cospace --workspace ... --screenshot` once: the GUI to its first screenshot (it waits up to a
#     minute for the automatic cluster labels, so this is an upper bound on "map shown");
#   - the peer: a whole numpy process loading the same vectors from .npy.
#   run_open_bench.sh BUILD_DIR [WORK_DIR] [N]      (default /tmp/cospace-openbench, 1000000)
set -e
BUILD=$(cd "${1:?usage: run_open_bench.sh BUILD_DIR [WORK_DIR] [N]}" && pwd)
WORK=${2:-/tmp/cospace-openbench}
N=${3:-1000000}
HERE=$(cd "$(dirname "$0")" && pwd)
CLI="$BUILD/app/cospace-cli"
GUI="$BUILD/app/cospace"
PY=/usr/bin/python3
mkdir -p "$WORK/images"
WORK=$(cd "$WORK" && pwd)
cd "$WORK"
MODEL=${MODEL:-$WORK/ckpt/vitb32.safetensors}
[ -f "$MODEL" ] || $PY "$HERE/../checkpoints/make_checkpoints.py" ckpt
if [ ! -f "w$N.done" ]; then
  rm -rf "gen$N" "w$N.db" "w$N.db-"*
  $PY "$HERE/make_clustered.py" "gen$N" "$N" --shard "$N" --queries 10 > /dev/null
  $PY - "$WORK" "$N" <<'EOF'
import sys
work, n = sys.argv[1], int(sys.argv[2])
with open(f"{work}/gen{n}/shard0/metadata.tsv", "w") as f:
    f.write("modality\tpath\tcaption\n")
    f.writelines(f"image\t{work}/images/c{i:08d}.jpg\t\n" for i in range(n))
EOF
  /usr/bin/time -f "import: wall %e s" "$CLI" import --store "w$N.db" --model "$MODEL" --format npy "gen$N/shard0"
  touch "w$N.done"
fi
cat > "w$N.cospace" <<EOF
{"format": 1, "name": "open bench", "folders": ["$WORK/images"], "captionFiles": [], "captions": [],
 "model": "$MODEL", "method": "pca"}
EOF
export XDG_CACHE_HOME="$WORK/cache"   # the layout cache of this benchmark only
echo "== first open: projects (PCA), writes the snapshot and the layout cache"
/usr/bin/time -f "first open: wall %e s, peak RSS %M KB" "$CLI" layout --workspace "w$N.cospace" --store "w$N.db" --out y.npy --timing
for round in 1 2 3; do
  echo "== reopen $round (cospace-cli layout: the window's open job)"
  /usr/bin/time -f "reopen $round: wall %e s, peak RSS %M KB" "$CLI" layout --workspace "w$N.cospace" --store "w$N.db" --out y.npy --timing
done
if [ -x "$GUI" ]; then
  echo "== the window, to its first screenshot (includes up to a minute waiting for cluster labels)"
  QT_QPA_PLATFORM=offscreen /usr/bin/time -f "GUI to screenshot: wall %e s, peak RSS %M KB" \
    "$GUI" --workspace "w$N.cospace" --store "w$N.db" --screenshot "$WORK/open.png" 2>&1 | grep -v propagateSizeHints || true
fi
if [ -f "gen$N/shard0/vectors.npy" ]; then
  echo "== peer: numpy loads the same vectors from .npy (whole process)"
  /usr/bin/time -f "numpy np.load: wall %e s, peak RSS %M KB" $PY -c \
    "import numpy as np, sys; x = np.load(sys.argv[1]); print(f'numpy: {x.shape[0]} x {x.shape[1]} loaded, sum {float(x[:, 0].sum()):.3f}')" \
    "gen$N/shard0/vectors.npy"
fi
