#!/usr/bin/python3
"""Clustered, embedding-like vectors for the search benchmark at millions of rows (issue 21 target 3).

Uniform random vectors have no neighbourhoods for an inverted-file index to exploit (every row is about
equally far from every query); real embeddings do. This writes N rows shaped like
bench/projection/make_vectors.py's — a shared mean direction, TOPICS topics with Zipf-distributed sizes,
SUBS sub-topics each, isotropic noise, rows L2-normalised — in shards of at most SHARD rows, each a folder
`shardK/` holding vectors.npy and a metadata.tsv of unique paths, ready for `cospace-cli import --format npy`
(one import per shard keeps the importer's memory at one shard), plus queries.npy: QUERIES sample queries,
each a stored row plus noise of norm --query-noise, renormalised (a "more like this one" query).

Usage: make_clustered.py OUT_DIR N [--dim 512] [--topics 1000] [--subs 8] [--shard 1000000] [--queries 1000]
"""
import argparse
import os
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out"); ap.add_argument("n", type=int)
    ap.add_argument("--dim", type=int, default=512); ap.add_argument("--topics", type=int, default=1000)
    ap.add_argument("--subs", type=int, default=8); ap.add_argument("--shard", type=int, default=1000000)
    ap.add_argument("--queries", type=int, default=1000); ap.add_argument("--query-noise", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    d = a.dim
    unit = lambda m: m / np.linalg.norm(m, axis=-1, keepdims=True)
    common = unit(rng.normal(size=d))
    centres = unit(rng.normal(size=(a.topics, d)))
    subcentres = unit(rng.normal(size=(a.topics, a.subs, d)))
    sizes = 1.0 / np.arange(1, a.topics + 1) ** 0.8
    p = sizes / sizes.sum()
    os.makedirs(a.out, exist_ok=True)
    query_rows = np.sort(rng.choice(a.n, size=min(a.queries, a.n), replace=False))
    queries = np.empty((len(query_rows), d), dtype=np.float32)
    for s, start in enumerate(range(0, a.n, a.shard)):
        rows = min(a.shard, a.n - start)
        folder = os.path.join(a.out, f"shard{s}")
        os.makedirs(folder, exist_ok=True)
        out = np.lib.format.open_memmap(os.path.join(folder, "vectors.npy"), mode="w+", dtype=np.float32, shape=(rows, d))
        for b in range(0, rows, 100000):
            m = min(100000, rows - b)
            t = rng.choice(a.topics, size=m, p=p)
            u = rng.integers(0, a.subs, size=m)
            x = 0.8 * common + centres[t] + 0.6 * subcentres[t, u] + 0.9 * rng.normal(size=(m, d)) / np.sqrt(d)
            out[b:b + m] = unit(x)
        sel = query_rows[(query_rows >= start) & (query_rows < start + rows)]
        for i, r in zip(np.searchsorted(query_rows, sel), sel):
            queries[i] = out[r - start]
        out.flush(); del out
        with open(os.path.join(folder, "metadata.tsv"), "w") as f:
            f.writelines(f"c{start + i}\n" for i in range(rows))
        print(f"{folder}: rows {start}..{start + rows - 1}", flush=True)
    noise = rng.normal(size=queries.shape) / np.sqrt(d)
    noise *= a.query_noise / np.linalg.norm(noise, axis=1, keepdims=True)
    np.save(os.path.join(a.out, "queries.npy"), unit(queries + noise).astype(np.float32))
    print(f"{a.out}: {a.n} x {d} float32 in {s + 1} shards, {a.topics} topics x {a.subs} sub-topics; "
          f"{len(queries)} queries (stored rows + noise {a.query_noise})")


if __name__ == "__main__":
    main()
