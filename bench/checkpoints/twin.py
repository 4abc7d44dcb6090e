#!/usr/bin/python3
"""The Python twin of `cospace-cli encode --model CHECKPOINT --text TEXT`: load a state dict (.pt via torch.load,
.safetensors via clip_reference's reader), build OpenAI's CLIP from it (build_model), tokenize with the CLIP BPE,
encode one caption, print the normalised embedding. Timed as a whole process by run_bench.sh, import included.

    twin.py CHECKPOINT TEXT
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
sys.path.insert(0, os.path.join(ROOT, "packaging", "export"))
import clip_reference as cr  # noqa: E402
from clip_simple_tokenizer import SimpleTokenizer  # noqa: E402


def main():
    path, text = sys.argv[1], sys.argv[2]
    sd = cr.load_safetensors(path) if path.endswith(".safetensors") else torch.load(path, map_location="cpu")
    model = cr.build_model(sd)
    tok = SimpleTokenizer(os.path.join(ROOT, "tests", "data", "clip", "bpe_simple_vocab_16e6.txt.gz"))
    with torch.no_grad():
        e = model.encode_text(torch.tensor(tok.tokenize([text], 77)))
    print(" ".join(f"{v:.6g}" for v in torch.nn.functional.normalize(e, dim=-1)[0].tolist()))


if __name__ == "__main__":
    main()
