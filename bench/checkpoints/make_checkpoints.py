#!/usr/bin/python3
"""ViT-B/32-shaped CLIP checkpoints with random weights (speed only) for bench/checkpoints/run_bench.sh.

    make_checkpoints.py OUT_DIR

OUT_DIR/vitb32_fp16.pt          torch.save of the state dict in fp16, OpenAI's names (as OpenAI's weights are)
OUT_DIR/vitb32.safetensors      the same tensors in fp32 (as OpenCLIP's open_clip_model.safetensors)
OUT_DIR/bundle/                 the same weights as a Cospace TorchScript bundle (packaging/export/export_clip.py)
Sizes are OpenAI's ViT-B/32: 224 px, patch 32, width 768, 12 layers; text width 512, 8 heads, 12 layers; 512-d.
The model code is tests/fixtures/clip_reference.py (OpenAI's clip/model.py restated).
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
sys.path.insert(0, os.path.join(ROOT, "packaging", "export"))
import clip_reference as cr  # noqa: E402
from export_clip import export_bundle  # noqa: E402

VITB32 = dict(embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768, vision_patch_size=32,
              context_length=77, vocab_size=49408, transformer_width=512, transformer_heads=8, transformer_layers=12)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    model = cr.random_clip(0, **VITB32)
    sd = model.state_dict()
    torch.save({k: v.half() for k, v in sd.items()}, os.path.join(out, "vitb32_fp16.pt"))
    cr.save_safetensors(sd, os.path.join(out, "vitb32.safetensors"))
    export_bundle(model, os.path.join(out, "bundle"), name="ViT-B/32-shaped CLIP (random, benchmark)", image_size=224,
                  mean=cr.OPENAI_MEAN, std=cr.OPENAI_STD,
                  vocab=os.path.join(ROOT, "tests", "data", "clip", "bpe_simple_vocab_16e6.txt.gz"), atol=1e-3)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
