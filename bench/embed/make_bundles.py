#!/usr/bin/python3
"""Two random CLIP-architecture bundles for the embedding-throughput benchmark (random weights: speed only).

    make_bundles.py OUT_DIR      ->  OUT_DIR/vitb32 (ViT-B/32-sized image tower: 224 px, patch 32, width 768,
                                     12 layers, 12 heads, 512-d) and OUT_DIR/tiny (the test fixture's 64 px model)
Both go through packaging/export/export_clip.py's export_bundle() via tests/fixtures/make_tiny_clip.py, the
same path as real exported models. The text tower shares the image width (768, not CLIP's 512); it does not
take part in image throughput.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "fixtures"))
import make_tiny_clip as tc  # noqa: E402


def export(out, name, **sizes):
    for k, v in sizes.items():
        setattr(tc, k, v)
    torch.manual_seed(0)
    tc.export_bundle(tc.TinyClip().eval(), out, name=name, image_size=tc.IMAGE_SIZE, mean=tc.OPENAI_MEAN,
                     std=tc.OPENAI_STD, vocab=tc.VOCAB, atol=1e-3)
    print(f"wrote {out}")


def main():
    out = sys.argv[1]
    export(os.path.join(out, "tiny"), "Tiny CLIP 64px (random, benchmark)")
    export(os.path.join(out, "vitb32"), "ViT-B/32-sized CLIP (random, benchmark)",
           IMAGE_SIZE=224, PATCH=32, WIDTH=768, HEADS=12, LAYERS=12, EMBED_DIM=512)


if __name__ == "__main__":
    main()
