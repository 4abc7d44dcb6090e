#!/usr/bin/python3
"""Synthetic, embedding-like vectors for the projection benchmarks (real embeddings are not available yet).

A clustered set on the unit sphere, shaped like CLIP-style embeddings: a shared mean direction (the
anisotropy real encoders show), 60 topics with Zipf-distributed sizes, 4 sub-topics each, isotropic noise,
rows L2-normalised. Usage: make_vectors.py OUT.npy N [--dim 256] [--seed 0]
"""
import argparse
import numpy as np

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out"); ap.add_argument("n", type=int)
    ap.add_argument("--dim", type=int, default=256); ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    d, topics, subs = a.dim, 60, 4
    unit = lambda m: m / np.linalg.norm(m, axis=-1, keepdims=True)
    common = unit(rng.normal(size=d))
    centres = unit(rng.normal(size=(topics, d)))
    subcentres = unit(rng.normal(size=(topics, subs, d)))
    sizes = 1.0 / np.arange(1, topics + 1) ** 0.8          # Zipf-like topic sizes
    topic = rng.choice(topics, size=a.n, p=sizes / sizes.sum())
    sub = rng.integers(0, subs, size=a.n)
    out = np.empty((a.n, d), dtype=np.float32)
    for start in range(0, a.n, 100000):                    # chunks keep 1M x 512 within memory
        t, s = topic[start:start + 100000], sub[start:start + 100000]
        x = 0.8 * common + centres[t] + 0.6 * subcentres[t, s] + 0.9 * rng.normal(size=(len(t), d)) / np.sqrt(d) * 1.0
        out[start:start + len(t)] = unit(x)
    np.save(a.out, out)
    print(f"{a.out}: {a.n} x {d} float32, {topics} topics x {subs} sub-topics (synthetic)")

if __name__ == "__main__":
    main()
