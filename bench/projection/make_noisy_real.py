#!/usr/bin/python3
"""Real-looking vectors at any size (issue 21 target 1): real embeddings repeated with small noise.

    make_noisy_real.py REAL.npy OUT.npy ROWS [--noise 0.2] [--seed 0]

REAL.npy comes from make_real_vectors.sh (the demos embedded by the default model). Row i of OUT is
row i mod len(REAL) of REAL (normalised) plus isotropic Gaussian noise of standard deviation
--noise / sqrt(D) per dimension (so --noise is about the norm of the added vector), renormalised; OUT keeps
the real set's cluster structure and anisotropy while no two rows are equal. The default 0.2 puts a
row's copies ~0.28 apart, about where its 5th-10th real neighbours are on the 32,062 demo rows
(median nearest-neighbour cosine distance 0.014, 15th 0.16): each row's 14 neighbours mix its own
copies with its real neighbours' copies. Much less noise makes every row's neighbours its own copies
only, and the kNN graph falls apart into one clique per real row.
"""
import argparse

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("real"); ap.add_argument("out"); ap.add_argument("rows", type=int)
    ap.add_argument("--noise", type=float, default=0.2); ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    real = np.load(a.real).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    rng = np.random.default_rng(a.seed)
    out = np.lib.format.open_memmap(a.out, mode="w+", dtype=np.float32, shape=(a.rows, real.shape[1]))
    scale = a.noise / np.sqrt(real.shape[1])
    for start in range(0, a.rows, 100000):
        idx = np.arange(start, min(start + 100000, a.rows)) % len(real)
        block = real[idx] + rng.normal(0, scale, (len(idx), real.shape[1])).astype(np.float32)
        out[start:start + len(idx)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    out.flush()
    print(a.out, out.shape, f"from {len(real)} real rows, noise {a.noise}")


if __name__ == "__main__":
    main()
