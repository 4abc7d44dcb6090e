#!/usr/bin/python3
"""How similar a copy stays to its original, and how similar distinct images are: the measurement
behind the duplicates threshold (core/analysis/duplicates.h, README "Near-duplicates and outliers").

Usage: measure.py CLI IMAGES_DIR WORK_DIR [--model default] [--every 12]
Takes every Nth image of IMAGES_DIR (recursively), writes four copies of each (JPEG quality 75;
resized to half; 10% cropped off (5% per side); all three at once), embeds IMAGES_DIR and the copies
with `cospace-cli embed` into a fresh store, exports the vectors and prints, per transformation, the
cosine of copy and original (min / 1st percentile / median), and for every image of IMAGES_DIR the
cosine with its nearest *other* image there (median / 99th percentile / max, share above 0.90 .. 0.98).
"""
import argparse, csv, os, shutil, subprocess, sys
import numpy as np
from PIL import Image

def flat(img):
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGB", img.size, (255, 255, 255))
        bg.paste(img, mask=img.split()[-1])
        return bg
    return img.convert("RGB")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli"); ap.add_argument("images"); ap.add_argument("work")
    ap.add_argument("--model", default="default"); ap.add_argument("--every", type=int, default=12)
    a = ap.parse_args()
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(a.images) for f in fs
                   if f.lower().endswith((".png", ".jpg", ".jpeg")))[:: a.every]
    shutil.rmtree(a.work, ignore_errors=True)
    copy_dir = os.path.join(a.work, "copies")
    os.makedirs(copy_dir)
    kinds = ["jpeg75", "half", "crop10", "all3"]
    for i, f in enumerate(files):
        img = flat(Image.open(f))
        w, h = img.size
        crop = img.crop((w // 20, h // 20, w - w // 20, h - h // 20))
        half = img.resize((max(1, w // 2), max(1, h // 2)), Image.BICUBIC)
        img.save(os.path.join(copy_dir, f"{i:05d}-jpeg75.jpg"), quality=75)
        half.save(os.path.join(copy_dir, f"{i:05d}-half.png"))
        crop.save(os.path.join(copy_dir, f"{i:05d}-crop10.png"))
        crop.resize((max(1, crop.width // 2), max(1, crop.height // 2)), Image.BICUBIC).save(
            os.path.join(copy_dir, f"{i:05d}-all3.jpg"), quality=75)
    store = os.path.join(a.work, "store.db")
    cli = a.cli.split()
    subprocess.run(cli + ["embed", os.path.abspath(a.images), copy_dir, "--model", a.model, "--store", store], check=True,
                   stdout=subprocess.DEVNULL)
    out = os.path.join(a.work, "export")
    subprocess.run(cli + ["export", "--store", store, "--model", a.model, "--format", "npy", out], check=True,
                   stdout=subprocess.DEVNULL)
    x = np.load(os.path.join(out, "vectors.npy"))
    with open(os.path.join(out, "metadata.tsv")) as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    index = {r["path"]: i for i, r in enumerate(rows) if r["modality"] == "image"}
    copies = os.path.abspath(copy_dir) + "/"
    originals = [i for p, i in index.items() if not p.startswith(copies)]
    print(f"{len(files)} images copied, {len(originals)} in {a.images}, model {a.model}")
    for kind in kinds:
        sims = []
        for n, f in enumerate(files):
            name = copies + f"{n:05d}-{kind}" + (".jpg" if kind in ("jpeg75", "all3") else ".png")
            if name in index and os.path.abspath(f) in index:
                sims.append(float(x[index[name]] @ x[index[os.path.abspath(f)]]))
        s = np.array(sims)
        print(f"copy {kind:7s}: cos with original min {s.min():.4f}  p1 {np.percentile(s, 1):.4f}  median {np.median(s):.4f}")
    O = x[originals]
    nn = np.empty(len(originals))
    for s0 in range(0, len(originals), 1024):
        g = O[s0:s0 + 1024] @ O.T
        for r in range(g.shape[0]):
            g[r, s0 + r] = -2
        nn[s0:s0 + 1024] = g.max(1)
    share = "  ".join(f">={t:.2f}: {np.mean(nn >= t) * 100:.1f}%" for t in (0.90, 0.95, 0.97, 0.98))
    print(f"nearest other original: median {np.median(nn):.4f}  p99 {np.percentile(nn, 99):.4f}  max {nn.max():.4f}  ({share})")

if __name__ == "__main__":
    sys.exit(main())
