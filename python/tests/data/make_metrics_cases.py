"""Writes metrics_cases.json: small embedding sets with their retrieval metrics, for parity tests of
the Python writer (cospace_runlog.retrieval_metrics) and the C++ core (computeRetrievalMetrics).

Ranks and recalls are the hand-worked values of tests/tst_metrics.cpp (the comments below repeat the
reasoning); geometry is the float64 evaluation of the definitions in core/metrics.h, written out
here independently of either implementation. Float32 implementations agree with it to ~1e-6.

Run: /usr/bin/python3 python/tests/data/make_metrics_cases.py
"""

import json
import math
import os

H = math.sqrt(0.5)


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def geometry(images, captions, owner):
    matched = [dot(captions[c], images[owner[c]]) for c in range(len(captions))]
    unmatched = [dot(captions[c], images[i]) for c in range(len(captions)) for i in range(len(images))
                 if i != owner[c]]

    def uniformity(m):
        vals = [math.exp(-2 * max(0.0, 2 - 2 * dot(a, b))) for i, a in enumerate(m) for j, b in enumerate(m) if i != j]
        return math.log(sum(vals) / len(vals))

    mi = [sum(v[k] for v in images) / len(images) for k in range(len(images[0]))]
    mc = [sum(v[k] for v in captions) / len(captions) for k in range(len(captions[0]))]
    return {
        "alignment": sum(max(0.0, 2 - 2 * m) for m in matched) / len(matched),
        "uniformity": 0.5 * (uniformity(images) + uniformity(captions)),
        "modality_gap": math.sqrt(sum((a - b) ** 2 for a, b in zip(mi, mc))),
        "cos_matched": sum(matched) / len(matched),
        "cos_random": sum(unmatched) / len(unmatched) if unmatched else 0.0,
    }


def summary(ranks):
    r = sorted(ranks)
    n = len(r)
    median = r[n // 2] if n % 2 else 0.5 * (r[n // 2 - 1] + r[n // 2])
    return {"R@1": sum(x <= 1 for x in r) / n, "R@5": sum(x <= 5 for x in r) / n,
            "R@10": sum(x <= 10 for x in r) / n, "median_rank": median, "mean_rank": sum(r) / n}


def case(name, why, images, captions, owner, text, i2t, t2i):
    out = {"name": name, "why": why, "images": images, "captions": captions, "image_ids": owner,
           "caption_ids": text, "i2t_ranks": i2t, "t2i_ranks": t2i}
    expected = {"n_images": len(images), "n_captions": len(captions), "i2t": summary(i2t), "t2i": summary(t2i)}
    expected["rsum"] = 100 * sum(expected[d][k] for d in ("i2t", "t2i") for k in ("R@1", "R@5", "R@10"))
    expected.update(geometry(images, captions, owner))
    out["expected"] = expected
    return out


IMAGES = [[1, 0], [0, 1], [0.6, 0.8]]
CAPTIONS = [[1, 0], [0.8, 0.6], [0, 1], [0, 1], [0.8, 0.6], [H, H]]
OWNER = [0, 0, 1, 2, 1, 0]

CASES = [
    case("ties", "t2i: c0 -> I0 first; c1: I2 (.96) beats I0 (.8); c2 -> I1 first; c3: I1 (1) beats I2 (.8); "
         "c4: I0 (.8) and I2 (.96) beat I1 (.6); c5: I1 ties I0 (counted ahead) and I2 (.99) beats it. "
         "i2t: I0's best own caption c0 scores 1, unbeaten; I1's best (c2 = 1) ties c3 -> 2; I2's only caption "
         "c3 scores .8: c1, c4 (.96), c5 (.99) beat it and c2 (.8) ties -> 5.",
         IMAGES, CAPTIONS, OWNER, None, [1, 2, 5], [1, 2, 1, 2, 3, 3]),
    case("shared_texts", "c2 and c3 are one text written for I1 and I2: correct for both. t2i: c2, c3 find I1 "
         "(1) first. i2t: I1's correct captions c2, c3, c4 -> 1; I2's c2, c3 (.8): c1, c4 (.96), c5 (.99) beat "
         "them -> 4 (the tie with c2 no longer counts against it).",
         IMAGES, CAPTIONS, OWNER, [0, 1, 2, 2, 4, 5], [1, 1, 4], [1, 2, 1, 1, 3, 3]),
    case("all_tied", "every vector equal: each impostor ties the right answer and counts ahead.",
         [[1, 0], [1, 0], [1, 0]], [[1, 0], [1, 0], [1, 0]], [0, 1, 2], None, [3, 3, 3], [3, 3, 3]),
    case("image_without_caption", "I2 has no caption: no i2t query for it, but it competes in t2i. "
         "c0 scores 1 / 0 / -1 with I0 / I1 / I2, c1 = [.6, .8] scores .6 / .8 / -.6: every rank 1.",
         [[1, 0], [0, 1], [-1, 0]], [[1, 0], [0.6, 0.8]], [0, 1], None, [1, 1], [1, 1]),
    case("perfect", "orthogonal images, each caption equal to its image: every rank 1, no gap.",
         [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 1, 2], None,
         [1, 1, 1], [1, 1, 1]),
]

if __name__ == "__main__":
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_cases.json")
    with open(path, "w") as f:
        json.dump({"about": "Embedding sets with their retrieval metrics (ranks worked out by hand, geometry "
                            "in float64) for parity tests of cospace_runlog.retrieval_metrics and "
                            "core/metrics.cpp; made by make_metrics_cases.py", "cases": CASES}, f, indent=1)
        f.write("\n")
    print(path)
