#!/usr/bin/python3
"""Export an OpenAI CLIP or OpenCLIP model to a Cospace model bundle.

Run it once where PyTorch, the model's package and the internet are available, then copy the folder:

    python3 export_clip.py openai ViT-B/32 OUT_DIR                      # pip install git+https://github.com/openai/CLIP
    python3 export_clip.py open_clip ViT-B-32 OUT_DIR --pretrained laion2b_s34b_b79k   # pip install open_clip_torch

Use torch 1.13.x for the export: Cospace links LibTorch 1.13, which cannot read archives that use newer
operators or a newer file format.

The bundle (the contract with Cospace):
    model.pt               TorchScript; encode_image(float32 [B,3,S,S], normalised) -> [B,D],
                           encode_text(int64 [B,77]) -> [B,D]
    cospace-model.json     {"format": 1, "name", "embed_dim", "image": {...}, "text": {...}, "logit_scale"}
    bpe_simple_vocab_16e6.txt.gz

export_bundle() is the one code path: the test fixture (tests/fixtures/make_tiny_clip.py) calls it too.
"""
import argparse
import json
import os
import shutil
import sys

import torch

BUNDLE_FORMAT = 1
VOCAB_NAME = "bpe_simple_vocab_16e6.txt.gz"
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)   # clip/clip.py _transform()
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clip_simple_tokenizer import SimpleTokenizer  # noqa: E402


class Towers(torch.nn.Module):
    """The two methods Cospace calls, and nothing else, in float32 on the CPU."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def encode_image(self, image):
        return self.model.encode_image(image).float()

    def encode_text(self, text):
        return self.model.encode_text(text).float()


def _example_inputs(image_size, vocab, context_length):
    gen = torch.Generator().manual_seed(0)
    images = torch.randn(2, 3, image_size, image_size, generator=gen)
    tok = SimpleTokenizer(vocab)
    texts = torch.tensor(tok.tokenize(["a photo of a cat", "a diagram of a bridge at night"], context_length),
                         dtype=torch.long)
    return images, texts


def export_bundle(model, out_dir, *, name, image_size, mean, std, vocab, context_length=77, logit_scale=100.0,
                  atol=1e-4):
    """Traces model.encode_image / encode_text, writes the bundle to out_dir and checks the reloaded archive
    against the eager model. Returns the metadata written to cospace-model.json."""
    model = model.float().eval().to("cpu")
    towers = Towers(model).eval()
    images, texts = _example_inputs(image_size, vocab, context_length)
    with torch.no_grad():
        eager_image = towers.encode_image(images)
        eager_text = towers.encode_text(texts)
        traced = torch.jit.trace_module(towers, {"encode_image": (images,), "encode_text": (texts,)})
    embed_dim = int(eager_image.shape[1])
    if int(eager_text.shape[1]) != embed_dim:
        raise SystemExit(f"image and text towers disagree on the embedding size ({embed_dim} vs {eager_text.shape[1]})")
    meta = {
        "format": BUNDLE_FORMAT,
        "name": name,
        "embed_dim": embed_dim,
        "image": {"size": int(image_size), "resize": "shortest", "crop": "center", "interpolation": "bicubic",
                  "mean": [float(v) for v in mean], "std": [float(v) for v in std]},
        "text": {"tokenizer": "clip-bpe", "vocab": VOCAB_NAME, "context_length": int(context_length),
                 "truncate": True},
        "logit_scale": float(logit_scale),
        "exported_with": {"torch": torch.__version__},
    }
    os.makedirs(out_dir, exist_ok=True)
    torch.jit.save(traced, os.path.join(out_dir, "model.pt"))
    shutil.copyfile(vocab, os.path.join(out_dir, VOCAB_NAME))
    with open(os.path.join(out_dir, "cospace-model.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    # Self-check: the archive as Cospace will load it, on a batch size the trace did not see.
    reloaded = torch.jit.load(os.path.join(out_dir, "model.pt"), map_location="cpu")
    with torch.no_grad():
        for b in (1, 3):
            gen = torch.Generator().manual_seed(b)
            im = torch.randn(b, 3, image_size, image_size, generator=gen)
            tx = texts[:1].repeat(b, 1)
            for what, got, want in (("image", reloaded.encode_image(im), towers.encode_image(im)),
                                    ("text", reloaded.encode_text(tx), towers.encode_text(tx))):
                err = (got - want).abs().max().item()
                if err > atol * max(1.0, want.abs().max().item()):
                    raise SystemExit(f"exported {what} tower differs from the eager model by {err:.3g} (batch {b})")
    return meta


def _load_openai(name):
    import clip  # https://github.com/openai/CLIP
    model, _ = clip.load(name, device="cpu", jit=False)   # jit=False: the eager model, not the CUDA-tied archive
    vocab = os.path.join(os.path.dirname(clip.__file__), VOCAB_NAME)
    scale = float(model.logit_scale.exp().item())
    return model, model.visual.input_resolution, OPENAI_MEAN, OPENAI_STD, vocab, scale


def _load_open_clip(name, pretrained):
    import open_clip
    model, _, _ = open_clip.create_model_and_transforms(name, pretrained=pretrained, device="cpu")
    size = model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    mean = getattr(model.visual, "image_mean", None) or OPENAI_MEAN
    std = getattr(model.visual, "image_std", None) or OPENAI_STD
    vocab = os.path.join(os.path.dirname(open_clip.__file__), VOCAB_NAME)
    if not os.path.exists(vocab):
        raise SystemExit(f"{name}: this model does not use the CLIP BPE vocabulary; Cospace only reads clip-bpe")
    scale = float(model.logit_scale.exp().item())
    return model, size, mean, std, vocab, scale


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", choices=["openai", "open_clip"])
    ap.add_argument("model", help="e.g. ViT-B/32 (openai) or ViT-B-32 (open_clip)")
    ap.add_argument("out", help="bundle folder to write")
    ap.add_argument("--pretrained", default="openai", help="open_clip pretrained tag")
    a = ap.parse_args()
    if not torch.__version__.startswith("1.13"):
        print(f"warning: torch {torch.__version__}; Cospace's LibTorch 1.13 may not read this archive. "
              "Use torch 1.13.x.", file=sys.stderr)
    if a.source == "openai":
        model, size, mean, std, vocab, scale = _load_openai(a.model)
        name = f"OpenAI CLIP {a.model}"
    else:
        model, size, mean, std, vocab, scale = _load_open_clip(a.model, a.pretrained)
        name = f"OpenCLIP {a.model} ({a.pretrained})"
    meta = export_bundle(model, a.out, name=name, image_size=size, mean=mean, std=std, vocab=vocab,
                         logit_scale=scale)
    print(f"wrote {a.out}: {meta['name']}, {meta['embed_dim']}-d, {size}px input; matches the eager model")


if __name__ == "__main__":
    main()
