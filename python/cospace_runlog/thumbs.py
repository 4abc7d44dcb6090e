"""Probe thumbnails: RUN/probe/thumbs/NNNN.png, so a run opens without the original images.

NNNN is the 0-based row of the pair in probe/pairs.tsv (and of its image in the probe .npy files),
zero-padded to 4 digits; the longer side is at most ``size`` pixels, the aspect ratio kept; RGB, or
RGBA when the image has transparency. Pillow is optional: imported here only.
"""

from __future__ import annotations

import os
import re
import warnings
from typing import Any, List, Sequence

from . import _files

_THUMB_NAME = re.compile(r"^\d{4,}\.png$")


def thumbnail_name(index: int) -> str:
    return f"{index:04d}.png"


def is_file_image(image: Any) -> bool:
    return isinstance(image, (str, os.PathLike))


def check_image(image: Any, index: int) -> None:
    """Raises TypeError for a probe image that is neither a file path, a PIL image nor a uint8 array,
    and ImportError for an in-memory image without Pillow: before anything is written."""
    if is_file_image(image):
        return
    import numpy as np
    is_array = isinstance(image, np.ndarray)
    if is_array and not (image.dtype == np.uint8 and (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4)))):
        raise TypeError(f"probe image {index}: an array must be H x W (x 3|4) uint8, got {image.dtype} {image.shape}")
    if not is_array and not (hasattr(image, "convert") and hasattr(image, "mode")):
        raise TypeError(f"probe image {index}: expected a file path, a PIL image or an H x W x 3 uint8 array, "
                        f"got {type(image).__name__}")
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise ImportError("probe images given as PIL images or arrays need Pillow (pip install pillow)") from None


def _open(image: Any, Image: Any, size: int) -> Any:
    if is_file_image(image):
        with Image.open(os.fspath(image)) as im:
            im.draft(None, (2 * size, 2 * size))   # JPEG: decode at a reduced scale (a 12 MP photo in ms)
            im.load()
            return im.copy()
    if isinstance(image, Image.Image):
        return image.copy()
    return Image.fromarray(image)   # a uint8 array, as check_image() made sure


def _small(im: Any, size: int, Image: Any) -> Any:
    alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    im = im.convert("RGBA" if alpha else "RGB")
    resample = getattr(Image, "Resampling", Image).LANCZOS   # Pillow >= 9.1 moved the constants
    im.thumbnail((size, size), resample)
    return im


def write_thumbnails(images: Sequence[Any], folder: str, size: int, from_files: bool = True) -> None:
    """Writes folder/NNNN.png for images[NNNN]: always for in-memory images (PIL or arrays; they
    need Pillow, and their thumbnail is the only copy), for file paths only when ``from_files``
    and Pillow is importable. Thumbnails of an earlier run in the folder are removed first, so a
    stale one never stands in for a new image. An unreadable file gets no thumbnail and one
    warning lists them all."""
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if _THUMB_NAME.match(name):
                os.unlink(os.path.join(folder, name))
    in_memory = [i for i, im in enumerate(images) if not is_file_image(im)]
    wanted = [i for i in range(len(images)) if from_files or not is_file_image(images[i])]
    if not wanted:
        return
    try:
        from PIL import Image
    except ImportError:
        if in_memory:
            raise ImportError("probe images given as PIL images or arrays need Pillow (pip install pillow)") from None
        warnings.warn("Pillow is not installed: no probe thumbnails; the inspector will need the original "
                      "image files", RuntimeWarning, stacklevel=3)
        return
    os.makedirs(folder, exist_ok=True)
    failed: List[str] = []
    for i in wanted:
        try:
            im = _small(_open(images[i], Image, size), size, Image)
        except Exception as e:   # any file Pillow refuses (unreadable, unknown format, decompression bomb)
            if not is_file_image(images[i]):
                raise ValueError(f"probe image {i}: {e}") from e
            failed.append(f"{os.fspath(images[i])} ({e})")
            continue
        _files.write_atomic(os.path.join(folder, thumbnail_name(i)), lambda f, im=im: im.save(f, format="PNG"))
    if failed:
        warnings.warn(f"no thumbnail for {len(failed)} probe image(s): " + "; ".join(failed[:5])
                      + ("; ..." if len(failed) > 5 else ""), RuntimeWarning, stacklevel=3)
