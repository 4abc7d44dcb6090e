#!/usr/bin/python3
"""Tokenizer throughput: cospace-cli tokenize (C++) against the Python reference port of OpenAI's
simple_tokenizer (packaging/export/clip_simple_tokenizer.py), on the same captions, same machine.

    bench_tokenizer.py --cli BUILD/app/cospace-cli --bundle BUILD/tests/tinyclip/tiny [--n 100000] [--captions FILE]

Prints tokens/s of each and the ratio, and checks that both produced identical ids for every caption.
Two C++ figures: the tokenizing time measured inside the process (--stats; what an embedding run pays) and the
wall time of the whole process (start-up, LibTorch loading and the vocabulary included).
Single-threaded on both sides. Not a test: it never fails on speed.
"""
import argparse
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "packaging", "export"))
from clip_simple_tokenizer import SimpleTokenizer  # noqa: E402

WORDS = ("a an the photo picture image of with on in at by near under over two three red blue green yellow "
         "black white small large old young happy dog dogs cat cats man woman child children people car bus "
         "train bicycle street city beach mountain river lake forest tree trees house building kitchen table "
         "plate food pizza sandwich cake coffee phone laptop computer sign stop traffic light sky cloud sunset "
         "night snow rain playing riding sitting standing walking running holding eating looking wearing "
         "shirt hat umbrella ball frisbee skateboard surfboard horse cow sheep bird birds giraffe elephant zebra "
         "don't it's they're we've I'm you'll he'd colour grey théâtre café naïve résumé 東京 タワー 😀 🐶").split()


def make_captions(n, seed=0):
    rng = random.Random(seed)
    caps = []
    for _ in range(n):
        k = rng.randint(5, 16)
        words = [rng.choice(WORDS) for _ in range(k)]
        if rng.random() < 0.3:
            words.insert(rng.randint(0, k), str(rng.randint(1, 2030)))
        if rng.random() < 0.2:   # unseen words exercise BPE itself, not only the cache
            words.insert(rng.randint(0, k), "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 10))))
        cap = " ".join(words)
        caps.append(cap[0].upper() + cap[1:] + rng.choice([".", "", "!", " ."]))
    return caps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--bundle", required=True, help="a model bundle folder (its vocabulary is used)")
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--captions", help="one caption per line instead of generated ones")
    a = ap.parse_args()
    if a.captions:
        with open(a.captions, encoding="utf-8") as f:
            caps = [line.rstrip("\n").replace("\r", "") for line in f][: a.n]
    else:
        caps = make_captions(a.n)
    data = ("\n".join(caps) + "\n").encode("utf-8")

    tok = SimpleTokenizer(os.path.join(a.bundle, "bpe_simple_vocab_16e6.txt.gz"))
    t0 = time.perf_counter()
    py = [tok.encode(c) for c in caps]
    t_py = time.perf_counter() - t0

    t0 = time.perf_counter()
    run = subprocess.run([a.cli, "tokenize", "--model", a.bundle, "--stats"], input=data, capture_output=True,
                         check=True)
    t_cpp = time.perf_counter() - t0
    cpp = [[int(x) for x in line.split()] for line in run.stdout.decode().split("\n")[:-1]]

    n_tokens = sum(len(ids) for ids in py)
    mismatches = sum(1 for p, c in zip(py, cpp) if p != c) + abs(len(py) - len(cpp))
    print(f"captions: {len(caps)}, tokens: {n_tokens}")
    print(f"python reference : {t_py:8.3f} s  {n_tokens / t_py:12.0f} tokens/s")
    print(f"cospace-cli (C++): {t_cpp:8.3f} s  {n_tokens / t_cpp:12.0f} tokens/s  (process wall time)")
    stats = run.stderr.decode().strip().splitlines()[-1]
    t_in = float(stats.split("tokenizing ")[1].split(" s")[0])
    print(f"cospace (C++)    : {t_in:8.3f} s  {n_tokens / t_in:12.0f} tokens/s  (in-process: {stats})")
    print(f"ratio C++ / Python: {t_py / t_in:.1f}x in-process, {t_py / t_cpp:.1f}x including process start-up")
    print(f"identical ids: {'yes' if mismatches == 0 else f'NO, {mismatches} captions differ'}")
    return 0 if mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
