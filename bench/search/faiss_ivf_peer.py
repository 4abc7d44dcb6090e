#!/usr/bin/python3
"""The FAISS peer of the IVF search benchmark (run_ivf_bench.sh): an inverted file over the same float rows.

FAISS IndexIVFScalarQuantizer (8-bit codes, inner product) with ~sqrt(N) lists, as Cospace's index, and an
HNSW coarse quantizer (FAISS's usual choice for thousands of lists: assigning ten million rows to flat
centroids would take an hour here). The rows are read from Cospace's snapshot file (float32 after a 4096-byte
header), so both sides index the same vectors. One query at a time, like a search box; nprobe is doubled
from 8 until recall@10 against exact search reaches --target or nprobe passes --max-nprobe. Exact search: numpy matrix products over chunks.

Usage: faiss_ivf_peer.py --snapshot STORE-m1-image.vec --queries queries.npy [--threads 2] [--target 0.95]
"""
import argparse
import resource
import struct
import time

import faiss
import numpy as np


def exact_top(x, q, k, chunk=200000):
    best_s = np.full((len(q), k), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(q), k), dtype=np.int64)
    for start in range(0, len(x), chunk):
        s = q @ np.asarray(x[start:start + chunk]).T
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, top, axis=1)], axis=1)
        cand_i = np.concatenate([best_i, top + start], axis=1)
        order = np.argsort(-cand_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(cand_s, order, axis=1), np.take_along_axis(cand_i, order, axis=1)
    return best_i


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--snapshot", required=True); ap.add_argument("--queries", required=True)
    ap.add_argument("--threads", type=int, default=2); ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--max-nprobe", type=int, default=64, help="stop the sweep here (SQ8 without re-ranking may never reach --target)")
    a = ap.parse_args()
    faiss.omp_set_num_threads(a.threads)
    with open(a.snapshot, "rb") as f:
        header = f.read(152)
    assert header[:8] == b"CSVSNAP1", "not a Cospace snapshot"
    dim, rows = struct.unpack_from("<i", header, 28)[0], struct.unpack_from("<q", header, 32)[0]
    x = np.memmap(a.snapshot, dtype=np.float32, mode="r", offset=4096, shape=(rows, dim))
    q = np.ascontiguousarray(np.load(a.queries), dtype=np.float32)
    k = a.k
    nlist = int(round(np.sqrt(rows)))
    t = time.time()
    quantizer = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                          faiss.METRIC_INNER_PRODUCT)
    sample = np.sort(np.random.default_rng(0).choice(rows, size=min(rows, 40 * nlist), replace=False))
    index.train(np.ascontiguousarray(x[sample]))
    train_s = time.time() - t
    for start in range(0, rows, 200000):
        index.add(np.ascontiguousarray(x[start:start + 200000]))
    build_s = time.time() - t
    print(f"faiss IVF{nlist}_HNSW32,SQ8: {rows} x {dim}, build {build_s:.1f} s (train {train_s:.1f} s), "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} KB", flush=True)
    t = time.time()
    truth = exact_top(x, q, k)
    print(f"exact (numpy, {len(q)} queries in chunks): {time.time() - t:.1f} s", flush=True)
    nprobe = 8
    while nprobe <= min(nlist, a.max_nprobe):
        index.nprobe = nprobe
        ms, found = [], 0
        for i in range(len(q)):
            s = time.perf_counter()
            _, ids = index.search(q[i:i + 1], k)
            ms.append((time.perf_counter() - s) * 1e3)
            found += len(set(ids[0].tolist()) & set(truth[i].tolist()))
        ms.sort()
        recall = found / (len(q) * k)
        print(f"faiss IVF-SQ8 nprobe {nprobe}: search p50 {ms[len(ms) // 2]:.2f} ms p95 {ms[len(ms) * 95 // 100]:.2f} ms, "
              f"recall@{k} {recall:.4f} ({len(q)} queries)", flush=True)
        if recall >= a.target:
            break
        nprobe *= 2


if __name__ == "__main__":
    main()
