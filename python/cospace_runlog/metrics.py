"""Retrieval and geometry metrics of a shared image-text space: the Python twin of core/metrics.cpp.

Same definitions, same keys as ``cospace-cli eval --json`` and the metrics.jsonl lines of a run:

- Ranks are 1-based and pessimistic about ties: an impostor scoring exactly as high as the correct
  answer counts as ranked above it.
- image -> text: one query per image that has a caption; its rank is that of the best-ranked of its
  own captions among all captions (its other captions are not competitors).
- text -> image: one query per caption; the rank of its image among all images.
- Identical caption texts (equal ``caption_ids``) make a caption correct for every image it was
  written for; without ids every caption is distinct.
- R@K = fraction of queries with rank <= K; RSUM = the six recalls in percent, summed (0..600).
- alignment = mean ||t - i||^2 over matched pairs; uniformity = mean over both modalities of
  log mean_{x != y} exp(-2 ||x - y||^2) on at most 4096 evenly spaced rows per modality;
  modality_gap = ||mean(images) - mean(captions)||; cos_matched = mean cosine of matched pairs;
  cos_random = mean cosine of all unmatched image-caption pairs.

The C++ side computes in float32 with LibTorch; so does this module (NumPy float32, the same block
sizes and the same order of operations), so ranks agree exactly and the geometry to float32
rounding (about 1e-6). Inputs are expected to be L2-normalised rows, as the C++ code expects.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Hashable, List, Optional, Sequence

import numpy as np

K_BLOCK = 1024                 # query rows per similarity block (core/metrics.cpp kBlock)
K_UNIFORMITY_SAMPLE = 4096     # rows per modality for uniformity (kUniformitySample)


def as_float32_matrix(x: Any, name: str = "embeddings") -> np.ndarray:
    """A 2-D C-order float32 NumPy copy of ``x``: a NumPy array, a nested list, or a torch tensor on
    any device and of any floating dtype (bfloat16 included). Never imports torch."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):          # a torch.Tensor, duck-typed
        x = x.detach()
        if x.is_floating_point():
            x = x.float()                                    # bf16/fp16 -> fp32 first: numpy has no bf16
        x = x.cpu().numpy()
    a = np.array(x, dtype=np.float32, order="C", copy=True)
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (rows x dimensions), got shape {a.shape}")
    return a


def text_ids(texts: Sequence[Hashable]) -> List[int]:
    """Equal values get equal ids, numbered in order of first appearance (core textIds())."""
    ids: Dict[Hashable, int] = {}
    return [ids.setdefault(t, len(ids)) for t in texts]


def _correctness(n_images: int, caption_image: Sequence[int], caption_text: Sequence[int]):
    """Per caption the sorted images it is correct for; per image the sorted captions correct for it."""
    groups: Dict[int, List[int]] = {}
    for c, t in enumerate(caption_text):
        groups.setdefault(t, []).append(c)
    images_of_caption: List[List[int]] = [[] for _ in caption_image]
    captions_of_image: List[set] = [set() for _ in range(n_images)]
    for group in groups.values():
        imgs = sorted({caption_image[c] for c in group})
        for c in group:
            images_of_caption[c] = imgs
        for i in imgs:
            captions_of_image[i].update(group)
    return images_of_caption, [sorted(s) for s in captions_of_image]


def _ranks_against(queries: np.ndarray, targets: np.ndarray, correct: List[List[int]]) -> List[int]:
    """1 + the number of wrong targets scoring at least as high as the best correct one; 0 for a query
    with no correct target."""
    nq, nt = queries.shape[0], targets.shape[0]
    ranks = [0] * nq
    for start in range(0, nq, K_BLOCK):
        end = min(nq, start + K_BLOCK)
        sim = queries[start:end] @ targets.T                 # float32, like the C++ matmul
        mine = np.zeros((end - start, nt), dtype=bool)
        for q in range(start, end):
            mine[q - start, correct[q]] = True
        best = np.where(mine, sim, np.float32(-1e30)).max(axis=1, keepdims=True) if nt else None
        ahead = ((sim >= best) & ~mine).sum(axis=1) if nt else np.zeros(end - start, dtype=np.int64)
        for q in range(start, end):
            ranks[q] = int(ahead[q - start]) + 1 if correct[q] else 0
    return ranks


def summarise_ranks(ranks: Sequence[int]) -> Dict[str, float]:
    """{"R@1", "R@5", "R@10", "median_rank", "mean_rank"}; all 0 for no ranks (RankSummary)."""
    r = sorted(int(x) for x in ranks)
    if not r:
        return {"R@1": 0.0, "R@5": 0.0, "R@10": 0.0, "median_rank": 0.0, "mean_rank": 0.0}
    n = float(len(r))
    mid = len(r) // 2
    median = float(r[mid]) if len(r) % 2 else 0.5 * (r[mid - 1] + r[mid])
    return {
        "R@1": sum(x <= 1 for x in r) / n,
        "R@5": sum(x <= 5 for x in r) / n,
        "R@10": sum(x <= 10 for x in r) / n,
        "median_rank": median,
        "mean_rank": sum(r) / n,
    }


def _torch_linspace_indices(n: int, steps: int) -> np.ndarray:
    """torch.linspace(0, n - 1, steps).to(int64) as LibTorch 1.13 computes it on x86-64 CPUs.

    Not numpy.linspace: the C++ uniformity sample is taken with torch's float32 linspace, whose
    vectorised kernel (8 floats per AVX2 vector) starts each vector at a fused multiply-add from the
    nearer end (start + step * idx below halfway, end - step * (steps - idx - 1) from it) and adds
    k * step within the vector; truncation to int64 then picks the rows. Checked against torch in
    tests/test_metrics.py when torch is importable."""
    f32, f64 = np.float32, np.float64
    start, end = f32(0), f32(n - 1)
    step = f32((end - start) / f32(steps - 1))
    half = steps // 2
    out = np.empty(steps, dtype=np.float32)
    width = 8
    for idx in range(0, steps, width):
        if idx < half:
            base = f32(f64(start) + f64(step) * f64(idx))
        else:
            base = f32(f64(end) - f64(step) * f64(steps - idx - 1))
        k = np.arange(min(width, steps - idx), dtype=np.float64)
        out[idx:idx + len(k)] = (f64(base) + k * f64(step)).astype(np.float32)
    return out.astype(np.int64)


def _uniformity_of(m: np.ndarray) -> float:
    if m.shape[0] < 2:
        return 0.0
    x = m
    if m.shape[0] > K_UNIFORMITY_SAMPLE:
        x = m[_torch_linspace_indices(m.shape[0], K_UNIFORMITY_SAMPLE)]
    n = x.shape[0]
    total = 0.0
    two = np.float32(2)
    for start in range(0, n, K_BLOCK):
        block = x[start:start + K_BLOCK]
        sq = np.maximum(two - two * (block @ x.T), np.float32(0))   # ||a - b||^2 of unit vectors
        total += float(np.exp(np.float32(-2) * sq).sum(dtype=np.float32))
    total -= float(n)                                                # the diagonal, exp(0) = 1 each
    ratio = total / float(n * (n - 1))
    if ratio > 0:
        return math.log(ratio)
    return float("-inf") if ratio == 0 else float("nan")             # what std::log gives


def _inputs(img_emb: Any, txt_emb: Any, image_ids: Optional[Sequence[int]],
            caption_ids: Optional[Sequence[Hashable]]):
    """Checked float32 matrices, per-caption image index and text id (core/metrics.cpp check())."""
    img = as_float32_matrix(img_emb, "img_emb")
    cap = as_float32_matrix(txt_emb, "txt_emb")
    if image_ids is None:
        if img.shape[0] != cap.shape[0]:
            raise ValueError(f"{img.shape[0]} images but {cap.shape[0]} captions: pass image_ids "
                             "(per caption, the index of its image)")
        owner = list(range(cap.shape[0]))
    else:
        owner = [int(i) for i in image_ids]
    if img.shape[1] != cap.shape[1]:
        raise ValueError(f"image and caption embeddings differ in dimension ({img.shape[1]} vs {cap.shape[1]})")
    if len(owner) != cap.shape[0]:
        raise ValueError(f"one image index per caption is required ({len(owner)} for {cap.shape[0]} captions)")
    if any(i < 0 or i >= img.shape[0] for i in owner):
        raise ValueError("a caption names an image index out of range")
    if caption_ids is None:
        texts = list(range(cap.shape[0]))
    else:
        if len(caption_ids) != cap.shape[0]:
            raise ValueError(f"one text id per caption is required ({len(caption_ids)} for {cap.shape[0]} captions)")
        texts = text_ids(caption_ids)
    return img, cap, owner, texts


def image_to_text_ranks(img_emb: Any, txt_emb: Any, image_ids: Optional[Sequence[int]] = None,
                        caption_ids: Optional[Sequence[Hashable]] = None) -> List[int]:
    """Per image that has a caption, the rank of its best-ranked correct caption (imageToTextRanks)."""
    img, cap, owner, texts = _inputs(img_emb, txt_emb, image_ids, caption_ids)
    _, captions_of_image = _correctness(img.shape[0], owner, texts)
    return [r for r in _ranks_against(img, cap, captions_of_image) if r > 0]


def text_to_image_ranks(img_emb: Any, txt_emb: Any, image_ids: Optional[Sequence[int]] = None,
                        caption_ids: Optional[Sequence[Hashable]] = None) -> List[int]:
    """Per caption, the rank of its best-ranked correct image (textToImageRanks)."""
    img, cap, owner, texts = _inputs(img_emb, txt_emb, image_ids, caption_ids)
    images_of_caption, _ = _correctness(img.shape[0], owner, texts)
    return _ranks_against(cap, img, images_of_caption)


def retrieval_metrics(img_emb: Any, txt_emb: Any, image_ids: Optional[Sequence[int]] = None,
                      caption_ids: Optional[Sequence[Hashable]] = None) -> Dict[str, Any]:
    """The metrics of ``cospace-cli eval --json`` for L2-normalised embeddings.

    img_emb:     N x D image embeddings (NumPy, list, or torch tensor on any device / float dtype).
    txt_emb:     M x D caption embeddings.
    image_ids:   per caption, the row of ``img_emb`` it was written for; default caption i <-> image i
                 (then M must equal N).
    caption_ids: per caption, its text identity: equal values (ints or the caption strings themselves)
                 mark identical texts, correct for each other's images. Default: all distinct.

    Returns {"n_images", "n_captions", "i2t": {"R@1", "R@5", "R@10", "median_rank", "mean_rank"},
    "t2i": {...}, "rsum", "alignment", "uniformity", "modality_gap", "cos_matched", "cos_random"}.
    Raises ValueError when shapes disagree or a caption names no image.
    """
    img, cap, owner, texts = _inputs(img_emb, txt_emb, image_ids, caption_ids)
    images_of_caption, captions_of_image = _correctness(img.shape[0], owner, texts)
    i2t = [r for r in _ranks_against(img, cap, captions_of_image) if r > 0]   # images without captions
    t2i = _ranks_against(cap, img, images_of_caption)
    out: Dict[str, Any] = {"n_images": int(img.shape[0]), "n_captions": int(cap.shape[0]),
                           "i2t": summarise_ranks(i2t), "t2i": summarise_ranks(t2i)}
    out["rsum"] = 100 * sum(out[d][k] for d in ("i2t", "t2i") for k in ("R@1", "R@5", "R@10"))
    geometry = {"alignment": 0.0, "uniformity": 0.0, "modality_gap": 0.0, "cos_matched": 0.0, "cos_random": 0.0}
    out.update(geometry)
    if img.shape[0] == 0 or cap.shape[0] == 0:
        return out

    matched = (cap * img[owner]).sum(axis=1, dtype=np.float32)          # cosine of each pair
    out["cos_matched"] = float(matched.mean(dtype=np.float32))
    out["alignment"] = float(np.maximum(np.float32(2) - np.float32(2) * matched, np.float32(0)).mean(dtype=np.float32))
    # The sum of all image-caption cosines is (sum of images) . (sum of captions).
    everything = float((img.sum(axis=0, dtype=np.float32) * cap.sum(axis=0, dtype=np.float32)).sum(dtype=np.float32))
    unmatched = float(img.shape[0]) * cap.shape[0] - cap.shape[0]
    out["cos_random"] = (everything - float(matched.sum(dtype=np.float32))) / unmatched if unmatched > 0 else 0.0
    gap = img.mean(axis=0, dtype=np.float32) - cap.mean(axis=0, dtype=np.float32)
    out["modality_gap"] = float(np.sqrt((gap * gap).sum(dtype=np.float32)))
    out["uniformity"] = 0.5 * (_uniformity_of(img) + _uniformity_of(cap))
    return out
