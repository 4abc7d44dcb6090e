#!/usr/bin/python3
"""How far Cospace's CLIP preprocessing is from PIL + torchvision's, on real-ish images.

    compare_pil.py --cli BUILD/app/cospace-cli --bundle BUNDLE IMAGE...

For each image: Cospace's input tensor (cospace-cli encode --save-input), once with full-size decoding and once
with the JPEG DCT-domain reduction the embedding pipeline uses, against CLIP's PIL transform (Resize(S, BICUBIC),
CenterCrop(S), ToTensor, Normalize; written with PIL alone because torchvision is not packaged with python3-torch).
Differences are printed in normalised units and in 8-bit levels (1 level = 1/255 before normalisation).
Images that PIL and OpenCV orient differently (EXIF) or composite differently (alpha: CLIP's convert("RGB") drops
alpha, Cospace composites on white) are real differences and show up here.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image


def pil_input(path, size, mean, std, on_white=False):
    img = Image.open(path)
    if on_white and img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img)
    img = img.convert("RGB")
    w, h = img.size
    short, long = min(w, h), max(w, h)
    if short != size:
        new_long = int(size * long / short)
        img = img.resize((size, new_long) if w <= h else (new_long, size), Image.BICUBIC)
    w, h = img.size
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    a = np.asarray(img.crop((left, top, left + size, top + size)), dtype=np.float32) / 255.0
    a = (a - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    return a.transpose(2, 0, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("images", nargs="+")
    a = ap.parse_args()
    meta = json.load(open(os.path.join(a.bundle, "cospace-model.json")))
    size, mean, std = meta["image"]["size"], meta["image"]["mean"], meta["image"]["std"]
    level = 1.0 / (255.0 * min(std))
    rows = {"full": [], "reduced": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "x.f32")
        for path in a.images:
            # Alpha: compare with PIL composited on white too, so resampling is measured apart from the
            # alpha policy (CLIP's convert("RGB") drops alpha; Cospace composites on white).
            with Image.open(path) as probe:
                has_alpha = probe.mode in ("RGBA", "LA") or (probe.mode == "P" and "transparency" in probe.info)
            ref = pil_input(path, size, mean, std, on_white=has_alpha)
            if has_alpha:
                raw = pil_input(path, size, mean, std)
            for mode, extra in (("full", ["--full-decode"]), ("reduced", [])):
                subprocess.run([a.cli, "encode", "--model", a.bundle, "--image", path, "--save-input", out] + extra,
                               check=True, capture_output=True)
                got = np.fromfile(out, dtype="<f4").reshape(3, size, size)
                d = np.abs(got - ref)
                rows[mode].append((d.max(), d.mean()))
                if has_alpha and mode == "full":
                    da = np.abs(got - raw)
                    print(f"{os.path.basename(path):28s} alpha    vs convert('RGB') without compositing: max {da.max():.3f}"
                          f" ({da.max() / level:.0f} levels), mean {da.mean():.4f}")
                print(f"{os.path.basename(path):28s} {mode:8s} max |diff| {d.max():.4f} ({d.max() / level:5.2f} levels)"
                      f"  mean {d.mean():.5f} ({d.mean() / level:.3f} levels)")
    for mode, r in rows.items():
        m = np.array(r)
        print(f"ALL {mode:8s}: max {m[:, 0].max():.4f} ({m[:, 0].max() / level:.2f} levels), "
              f"mean {m[:, 1].mean():.5f} ({m[:, 1].mean() / level:.3f} levels) over {len(r)} images")


if __name__ == "__main__":
    sys.exit(main())
