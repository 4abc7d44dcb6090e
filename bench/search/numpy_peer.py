#!/usr/bin/python3
"""Stand-in for ../shared/bench/search_reference.py when python3-faiss is not importable (it was not on the
benchmark machine): the same workload — exact cosine top-k over N random unit vectors, single queries — with
numpy (BLAS matrix-vector product + argpartition), the other thing a Python user would write.

Usage: numpy_peer.py [--n 1000000] [--dim 512] [--k 10] [--queries 50] [--threads N] [--vectors X.npy]
"""
import argparse, os, time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000); ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--k", type=int, default=10); ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--threads", type=int, default=os.cpu_count()); ap.add_argument("--vectors")
    a = ap.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    import numpy as np
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    if a.vectors:
        xb = np.load(a.vectors)
    else:
        xb = rng.standard_normal((a.n, a.dim), dtype=np.float32)
        xb /= np.linalg.norm(xb, axis=1, keepdims=True)
    load = time.perf_counter() - t0
    xq = rng.standard_normal((a.queries, xb.shape[1]), dtype=np.float32)
    xq /= np.linalg.norm(xq, axis=1, keepdims=True)
    lat = []
    for q in xq:
        t1 = time.perf_counter()
        s = xb @ q
        top = np.argpartition(-s, a.k)[: a.k]
        top = top[np.argsort(-s[top])]
        lat.append((time.perf_counter() - t1) * 1e3)
    lat.sort()
    print(f"numpy exact n={xb.shape[0]} dim={xb.shape[1]} k={a.k}: load {load:.2f} s, single query p50 "
          f"{lat[len(lat)//2]:.2f} ms p95 {lat[int(len(lat)*0.95)]:.2f} ms (threads={a.threads})")

if __name__ == "__main__":
    main()
