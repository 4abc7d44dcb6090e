#!/usr/bin/python3
"""A random tiny CLIP bundle with a 224 px input (ViT-B/32's size) for preprocessing and throughput benchmarks:
the test fixture's architecture (tests/fixtures/make_tiny_clip.py) at another input size, same export path.

    make_bench_bundle.py OUT_DIR [--size 224]
"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "fixtures"))
import make_tiny_clip as tc  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=224)
    a = ap.parse_args()
    tc.IMAGE_SIZE = a.size
    tc.PATCH = 32
    torch.manual_seed(0)
    tc.export_bundle(tc.TinyClip().eval(), a.out, name=f"Tiny CLIP {a.size}px (random, benchmark)", image_size=a.size,
                     mean=tc.OPENAI_MEAN, std=tc.OPENAI_STD, vocab=tc.VOCAB)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
