"""Shared test helpers: the package from this source tree, optional torch / Pillow, a tiny shapes
dataset, and a reader that checks a run folder the way core/runfolder.cpp and core/npy.cpp read it."""

import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))     # python/: import cospace_runlog from the source tree

import numpy as np  # noqa: E402

try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

try:
    from PIL import Image, ImageDraw
    HAVE_PIL = True
except ImportError:
    HAVE_PIL = False

COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (230, 210, 40)}
SHAPES = ("circle", "square", "triangle")


def make_shapes_dataset(folder, count, seed=1, size=32):
    """A dataset folder like `cospace-cli demo shapes` writes: images/NNN/NNNNNN.png + captions.tsv,
    one or two coloured shapes per image, captions such as "a small red circle left of a large blue
    square". Needs Pillow."""
    rng = random.Random(seed)
    os.makedirs(os.path.join(folder, "images", "000"), exist_ok=True)
    rows = ["image\tcaption"]
    for i in range(count):
        im = Image.new("RGB", (size, size), "white")
        draw = ImageDraw.Draw(im)
        parts = []
        n = 1 + (i % 2)
        xs = sorted(rng.sample(range(4, size - 4), n))
        for j in range(n):
            colour, shape, large = rng.choice(list(COLOURS)), rng.choice(SHAPES), rng.random() < 0.5
            r = size // 4 if large else size // 8
            cx, cy = xs[j], rng.randrange(r, size - r)
            box = [cx - r, cy - r, cx + r, cy + r]
            if shape == "circle":
                draw.ellipse(box, fill=COLOURS[colour])
            elif shape == "square":
                draw.rectangle(box, fill=COLOURS[colour])
            else:
                draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=COLOURS[colour])
            parts.append(f"{'large' if large else 'small'} {colour} {shape}")
        rel = f"images/000/{i:06d}.png"
        im.save(os.path.join(folder, rel))
        caption = "a " + parts[0] if n == 1 else f"a {parts[0]} left of a {parts[1]}"
        rows.append(f"{rel}\t{caption}")
        if n == 2:
            rows.append(f"{rel}\ta {parts[1]} right of a {parts[0]}")
    with open(os.path.join(folder, "captions.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    return folder


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def image_info(path):
    """(size, mode) of an image file, read with Pillow."""
    with Image.open(path) as im:
        return im.size, im.mode


def read_jsonl_strict(path):
    """Every line of a JSON Lines file must be one complete JSON object ending in a newline."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        raise AssertionError(f"{path}: last line has no newline: {data[-80:]!r}")
    out = []
    for n, line in enumerate(data.split(b"\n")[:-1], 1):
        obj = json.loads(line.decode("utf-8"))     # raises on a torn or non-JSON line
        if not isinstance(obj, dict):
            raise AssertionError(f"{path}:{n}: not an object")
        out.append(obj)
    return out


def read_npy_strict(path):
    """What core/npy.cpp accepts: format 1.0-3.0, '<f4' or '<f8', C order, 2-D."""
    with open(path, "rb") as f:
        magic = f.read(6)
        if magic != b"\x93NUMPY":
            raise AssertionError(f"{path}: bad magic")
        f.seek(0)
        version = np.lib.format.read_magic(f)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        header = read_header[version](f)
        shape, fortran, dtype = header
        if fortran or dtype.str not in ("<f4", "<f8") or len(shape) != 2:
            raise AssertionError(f"{path}: {header}")
    return np.load(path)


def read_pairs(path):
    """probe/pairs.tsv as core/runfolder.cpp reads it: (image, caption) per line with a tab."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    for i, line in enumerate(lines):
        tab = line.find("\t")
        if tab < 0 or (i == 0 and line == "image\tcaption"):
            continue
        out.append((line[:tab], line[tab + 1:]))
    return out
