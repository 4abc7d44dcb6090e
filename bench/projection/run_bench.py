#!/usr/bin/python3
"""Side-by-side projection benchmark: cospace-cli project vs the reference peers (umap-learn, sklearn t-SNE).

Usage: run_bench.py --cli BUILD/app/cospace-cli [--sizes 5000,20000] [--methods pca,umap,tsne] [--threads 2]
                    [--work /tmp/cospace-projbench] [--skip-peers] [--peer-max 20000] [--dim 256] [--sample N]
For each N it generates (once) a synthetic clustered set with make_vectors.py (real embeddings are not
available yet), runs `cospace-cli --threads T project` per method and scores the layout with
projection_reference.py --layout (trustworthiness@15, cosine, the same 5000-row subsample the peers use),
then runs the peers with the same --threads and prints wall times and ratios. Peers run only up to
--peer-max rows (they are slow). Timings are wall-clock seconds of the whole command, import and file
I/O included, on whatever else the machine is doing: compare ratios from one sitting, not absolutes.
"""
import argparse, os, re, resource, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = "/work/shared/bench/projection_reference.py"
PY = "/usr/bin/python3"

def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def run(cmd):
    """Runs cmd; returns (wall seconds, stdout) and prints the CPU seconds it used (user + system),
    the fairer figure when other work shares the machine."""
    t0, c0 = time.perf_counter(), cpu_children()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    wall, cpu = time.perf_counter() - t0, cpu_children() - c0
    print(f"  [{os.path.basename(cmd[1] if cmd[0] == PY else cmd[0])}: wall {wall:.2f} s, cpu {cpu:.2f} s, "
          f"load {os.getloadavg()[0]:.1f}]", flush=True)
    return wall, out.stdout

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True); ap.add_argument("--sizes", default="5000,20000")
    ap.add_argument("--methods", default="pca,umap,tsne"); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", default="/tmp/cospace-projbench"); ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--skip-peers", action="store_true"); ap.add_argument("--peer-max", type=int, default=20000)
    ap.add_argument("--sample", type=int, help="rows in the trustworthiness subsample (the reference's default "
                                               "when not given; issue 21 asks for 10000)")
    ap.add_argument("--vectors", help="an N x D float32 .npy of real embeddings (make_real_vectors.sh) "
                                      "instead of the synthetic sets; --sizes is then ignored")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    sample = ["--sample", str(a.sample)] if a.sample else []
    rows = []
    sets = []
    if a.vectors:
        import numpy as np
        sets.append((np.load(a.vectors, mmap_mode="r").shape[0], os.path.abspath(a.vectors)))
    else:
        for n in map(int, a.sizes.split(",")):
            x = os.path.join(a.work, f"x{n}_{a.dim}.npy")
            if not os.path.exists(x):
                run([PY, os.path.join(HERE, "make_vectors.py"), x, str(n), "--dim", str(a.dim)])
            sets.append((n, x))
    for n, x in sets:
        ours = {}
        for m in a.methods.split(","):
            y = os.path.join(a.work, f"y{n}_{m}.npy")
            secs, out = run([a.cli, "--threads", str(a.threads), "project", "--vectors", x, "--method", m, "--out", y])
            trust = None
            if n <= 200000:
                _, s = run([PY, REFERENCE, "--vectors", x, "--layout", y, "--threads", str(a.threads)] + sample)
                trust = float(re.search(r"trustworthiness@15 ([0-9.]+)", s).group(1))
            ours[m] = (secs, trust)
            print(f"N={n} cospace {m}: {secs:.2f} s, trustworthiness@15 {trust}   [{out.strip()}]", flush=True)
        peers = {}
        if not a.skip_peers and n <= a.peer_max:
            flags = [] if "umap" in a.methods else ["--skip-umap"]
            flags += [] if "tsne" in a.methods else ["--skip-tsne"]
            _, s = run([PY, REFERENCE, "--vectors", x, "--threads", str(a.threads)] + flags + sample)
            for name, key in (("umap-learn", "umap"), ("sklearn TSNE", "tsne")):
                mm = re.search(name + r": .* in ([0-9.]+) s, trustworthiness@15 ([0-9.]+)", s)
                if mm:
                    peers[key] = (float(mm.group(1)), float(mm.group(2)))
                    print(f"N={n} {name}: {mm.group(1)} s, trustworthiness@15 {mm.group(2)}", flush=True)
        for m, (secs, trust) in ours.items():
            if m in peers:
                ps, pt = peers[m]
                rows.append(f"| {n} | {m} | {a.threads} | {secs:.2f} | {trust:.4f} | {ps:.2f} | {pt:.4f} | {ps / secs:.1f}x |")
            else:
                rows.append(f"| {n} | {m} | {a.threads} | {secs:.2f} | {trust if trust is None else f'{trust:.4f}'} | - | - | - |")
    print("\n| N | method | threads | cospace s | cospace trust@15 | peer s | peer trust@15 | peer/cospace time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))

if __name__ == "__main__":
    main()
