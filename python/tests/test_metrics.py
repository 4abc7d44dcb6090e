"""retrieval_metrics against hand-worked ranks (the vectors of tests/tst_metrics.cpp, shared with the C++
side through data/metrics_cases.json), an independent brute-force reference, and torch inputs."""

import json
import math
import os
import random
import unittest

import support
import numpy as np

from cospace_runlog import image_to_text_ranks, retrieval_metrics, text_ids, text_to_image_ranks
from cospace_runlog.metrics import _torch_linspace_indices

with open(os.path.join(support.HERE, "data", "metrics_cases.json")) as f:
    CASES = json.load(f)["cases"]


def brute_force(img, cap, owner, text):
    """The definitions of core/metrics.h, one query at a time, in float64 over float32 inputs."""
    img64, cap64 = img.astype(np.float64), cap.astype(np.float64)
    correct_images = [sorted({owner[d] for d in range(len(cap)) if text[d] == text[c]}) for c in range(len(cap))]
    t2i = []
    for c in range(len(cap)):
        s = img64 @ cap64[c]
        best = max(s[i] for i in correct_images[c])
        t2i.append(1 + sum(1 for i in range(len(img)) if i not in correct_images[c] and s[i] >= best))
    i2t = []
    for i in range(len(img)):
        mine = [c for c in range(len(cap)) if i in correct_images[c]]
        if not mine:
            continue
        s = cap64 @ img64[i]
        best = max(s[c] for c in mine)
        i2t.append(1 + sum(1 for c in range(len(cap)) if c not in mine and s[c] >= best))
    return i2t, t2i


def unit_rows(rng, n, d):
    x = rng.standard_normal((n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


class HandWorkedCases(unittest.TestCase):
    def test_shared_cases(self):
        for case in CASES:
            with self.subTest(case["name"]):
                args = (np.array(case["images"], np.float32), np.array(case["captions"], np.float32),
                        case["image_ids"], case["caption_ids"])
                self.assertEqual(image_to_text_ranks(*args), case["i2t_ranks"])
                self.assertEqual(text_to_image_ranks(*args), case["t2i_ranks"])
                got, want = retrieval_metrics(*args), case["expected"]
                self.assertEqual(set(got), set(want))
                for key in ("n_images", "n_captions", "i2t", "t2i"):
                    self.assertEqual(got[key], want[key], key)   # recalls and ranks: exact
                self.assertAlmostEqual(got["rsum"], want["rsum"], places=9)
                for key in ("alignment", "uniformity", "modality_gap", "cos_matched", "cos_random"):
                    self.assertAlmostEqual(got[key], want[key], delta=2e-6, msg=key)

    def test_summary_by_hand(self):
        # The numbers tst_metrics.cpp summaryByHand checks.
        case = CASES[0]
        m = retrieval_metrics(case["images"], case["captions"], case["image_ids"])
        self.assertAlmostEqual(m["t2i"]["R@1"], 2 / 6)
        self.assertEqual(m["t2i"]["median_rank"], 2.0)
        self.assertEqual(m["t2i"]["mean_rank"], 2.0)
        self.assertAlmostEqual(m["i2t"]["R@1"], 1 / 3)
        self.assertAlmostEqual(m["i2t"]["mean_rank"], 8 / 3)
        self.assertAlmostEqual(m["rsum"], 100 * (1 / 3 + 1 + 1 + 2 / 6 + 1 + 1))

    def test_caption_strings_as_text_ids(self):
        case = CASES[1]
        words = ["a", "b", "same", "same", "c", "d"]
        self.assertEqual(text_ids(words), [0, 1, 2, 2, 3, 4])
        self.assertEqual(retrieval_metrics(case["images"], case["captions"], case["image_ids"], words),
                         retrieval_metrics(case["images"], case["captions"], case["image_ids"], case["caption_ids"]))

    def test_uniformity_by_hand(self):
        # Two orthogonal unit vectors: ||x - y||^2 = 2, so log mean exp(-4) = -4 in each modality.
        eye = np.eye(2, dtype=np.float32)
        self.assertAlmostEqual(retrieval_metrics(eye, eye)["uniformity"], -4.0, places=5)

    def test_rejects_bad_shapes(self):
        case = CASES[0]
        with self.assertRaises(ValueError):
            retrieval_metrics(case["images"], case["captions"], [0, 1])
        with self.assertRaises(ValueError):
            retrieval_metrics(case["images"], case["captions"], [0, 0, 1, 2, 1, 9])
        with self.assertRaises(ValueError):
            retrieval_metrics([[1, 0, 0]], case["captions"], case["image_ids"])
        with self.assertRaises(ValueError):
            retrieval_metrics(case["images"], case["captions"])                # 3 images, 6 captions
        with self.assertRaises(ValueError):
            retrieval_metrics(case["images"], case["captions"], case["image_ids"], [0, 1])


class AgainstBruteForce(unittest.TestCase):
    def test_random_spaces_with_duplicates_and_blocks(self):
        # 1100 captions cross the 1024-row query block; quantised vectors make exact ties common.
        rng = np.random.default_rng(3)
        for n_images, per_image, dim, quantise in ((40, 3, 4, True), (367, 3, 8, False), (25, 2, 3, True)):
            with self.subTest(n_images=n_images):
                img = unit_rows(rng, n_images, dim)
                if quantise:
                    img = np.round(img * 2) / 2
                owner = [i for i in range(n_images) for _ in range(per_image)][: n_images * per_image - 1]
                cap = img[owner] + rng.standard_normal((len(owner), dim)).astype(np.float32) * 0.3
                if quantise:
                    cap = np.round(cap * 2) / 2
                cap = cap.astype(np.float32)
                words = [random.Random(c).choice("abcdefghijklmnopqrstuvwxyz") if quantise else str(c)
                         for c in range(len(owner))]
                text = text_ids(words)
                want_i2t, want_t2i = brute_force(img, cap, owner, text)
                self.assertEqual(image_to_text_ranks(img, cap, owner, words), want_i2t)
                self.assertEqual(text_to_image_ranks(img, cap, owner, words), want_t2i)


@unittest.skipUnless(support.HAVE_TORCH, "torch is not importable")
class TorchInputs(unittest.TestCase):
    def test_tensors_of_any_float_dtype(self):
        import torch
        rng = np.random.default_rng(5)
        img, cap = unit_rows(rng, 20, 8), unit_rows(rng, 20, 8)
        want = retrieval_metrics(img, cap)
        got = retrieval_metrics(torch.from_numpy(img).requires_grad_(), torch.from_numpy(cap).double())
        self.assertEqual(got, want)
        half = retrieval_metrics(torch.from_numpy(img).bfloat16(), torch.from_numpy(cap).half())
        self.assertEqual(half["n_images"], 20)
        self.assertTrue(math.isfinite(half["uniformity"]))

    def test_same_numbers_as_a_torch_transcription_of_metrics_cpp(self):
        # core/metrics.cpp line by line in PyTorch (LibTorch's float32 kernels): ranks must agree
        # exactly, geometry to float32 rounding.
        import torch

        def ranks_against(queries, targets, correct):
            sim = queries @ targets.t()
            mine = torch.zeros(sim.shape, dtype=torch.bool)
            for q, cs in enumerate(correct):
                mine[q, cs] = True
            best = sim.masked_fill(mine.logical_not(), -1e30).amax(1, True)
            ahead = (sim.ge(best) & mine.logical_not()).sum(1)
            return [int(a) + 1 if cs else 0 for a, cs in zip(ahead.tolist(), correct)]

        def uniformity(x):
            n = x.shape[0]
            if n > 4096:
                x = x.index_select(0, torch.linspace(0, n - 1, 4096).to(torch.int64))
                n = 4096
            total = 0.0
            for start in range(0, n, 1024):
                sq = (2 - 2 * x[start:start + 1024].matmul(x.t())).clamp_min(0)
                total += torch.exp(-2 * sq).sum().item()
            return math.log((total - n) / (n * (n - 1)))

        rng = np.random.default_rng(11)
        for n_images, quantise in ((300, False), (60, True)):
            with self.subTest(n_images=n_images):
                img = unit_rows(rng, n_images, 16)
                owner = [i % n_images for i in range(int(n_images * 1.5))]
                cap = unit_rows(rng, len(owner), 16) * 0.5 + img[owner]
                cap = (cap / np.linalg.norm(cap, axis=1, keepdims=True)).astype(np.float32)
                if quantise:
                    img, cap = np.round(img * 2) / 2, np.round(cap * 2) / 2
                img, cap = img.astype(np.float32), cap.astype(np.float32)
                ti, tc = torch.from_numpy(img), torch.from_numpy(cap)
                correct_images = [[o] for o in owner]
                correct_captions = [[] for _ in range(n_images)]
                for c, o in enumerate(owner):
                    correct_captions[o].append(c)
                self.assertEqual(text_to_image_ranks(img, cap, owner), ranks_against(tc, ti, correct_images))
                self.assertEqual(image_to_text_ranks(img, cap, owner),
                                 [r for r in ranks_against(ti, tc, correct_captions) if r > 0])
                got = retrieval_metrics(img, cap, owner)
                matched = (tc * ti.index_select(0, torch.tensor(owner))).sum(1)
                self.assertAlmostEqual(got["cos_matched"], matched.mean().item(), delta=1e-6)
                self.assertAlmostEqual(got["alignment"], (2 - 2 * matched).clamp_min(0).mean().item(), delta=1e-6)
                self.assertAlmostEqual(got["modality_gap"], (ti.mean(0) - tc.mean(0)).norm().item(), delta=1e-6)
                self.assertAlmostEqual(got["uniformity"], 0.5 * (uniformity(ti) + uniformity(tc)), delta=1e-6)
        # Past 4096 rows uniformity works on a sample: the same rows as LibTorch's.
        big = unit_rows(rng, 4500, 16)
        self.assertAlmostEqual(retrieval_metrics(big, big)["uniformity"], uniformity(torch.from_numpy(big)),
                               delta=1e-6)

    def test_uniformity_sample_matches_torch_linspace(self):
        # The C++ side samples 4096 rows with torch::linspace(...).to(kInt64); so must we.
        import torch
        for n in (4097, 4319, 4726, 5000, 6280, 8191, 10000, 12345, 100001):
            with self.subTest(n=n):
                want = torch.linspace(0, n - 1, 4096).to(torch.int64).numpy()
                self.assertTrue(np.array_equal(_torch_linspace_indices(n, 4096), want))


if __name__ == "__main__":
    unittest.main()
