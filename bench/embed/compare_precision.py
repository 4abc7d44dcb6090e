#!/usr/bin/python3
"""Fidelity of one embedding run to another over the same items (bench/embed/precision.sh).

    compare_precision.py REFERENCE_EXPORT OTHER_EXPORT NAME

Each argument is a `cospace-cli export --format npy` folder (vectors.npy + metadata.tsv). Images are
matched by (modality, path, caption); the reference's captions rank both sets of images. Prints the cosine of each image's vector to the reference's
(min, 1st percentile, median) and, when there are captions, recall@10 of every caption's image
ranking against the reference's ranking (|top10 & top10_ref| / 10, averaged) and how often the top-1
image is the same.
"""
import sys

import numpy as np


def load(folder):
    vectors = np.load(f"{folder}/vectors.npy")
    with open(f"{folder}/metadata.tsv", encoding="utf-8") as f:
        rows = [tuple(line.rstrip("\n").split("\t")) for line in f][1:]
    assert len(rows) == len(vectors), f"{folder}: {len(rows)} rows for {len(vectors)} vectors"
    return dict(zip(rows, vectors))


def main():
    ref, other, name = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
    images = sorted(k for k in ref if k[0] == "image" and k in other)
    missing = sum(1 for k in ref if k[0] == "image") - len(images)
    captions = sorted(k for k in ref if k[0] != "image")   # the reference's captions rank both
    a = np.stack([ref[k] for k in images]).astype(np.float64)
    b = np.stack([other[k] for k in images]).astype(np.float64)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    print(f"{name}: {len(images)} images, cosine to the reference: min {cos.min():.5f}, "
          f"1st percentile {np.percentile(cos, 1):.5f}, median {np.median(cos):.5f}"
          + (f" ({missing} images not in both)" if missing else ""))
    if not captions:
        return
    t = np.stack([ref[k] for k in captions]).astype(np.float64)
    k = min(10, len(images))
    top_ref = np.argsort(-(t @ a.T), axis=1)[:, :k]
    top = np.argsort(-(t @ b.T), axis=1)[:, :k]
    overlap = np.mean([len(set(x) & set(y)) / k for x, y in zip(top_ref, top)])
    same1 = np.mean(top_ref[:, 0] == top[:, 0])
    print(f"{name}: {len(captions)} captions, caption->image recall@{k} against the reference ranking "
          f"{overlap:.4f}, same top-1 {same1:.4f}")


if __name__ == "__main__":
    main()
