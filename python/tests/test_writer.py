"""RunWriter: the files it writes are the ones core/runfolder.cpp reads, with the fields the inspector
charts; resumed runs cut their logs back like trainer.cpp; only rank 0 writes."""

import json
import math
import os
import tempfile
import unittest
import warnings
from unittest import mock

import support
import numpy as np

from cospace_runlog import RunWriter, retrieval_metrics
from cospace_runlog import _files

# The keys of a metrics.jsonl line of Cospace's own trainer (EpochReport::toJson + RetrievalMetrics).
CPP_EPOCH_KEYS = {"epoch", "epochs", "step", "train_loss", "val_loss", "lr", "temperature", "seconds", "best",
                  "n_images", "n_captions", "i2t", "t2i", "rsum", "alignment", "uniformity", "modality_gap",
                  "cos_matched", "cos_random"}
RANK_KEYS = {"R@1", "R@5", "R@10", "median_rank", "mean_rank"}


def probe(rng, p=6, d=8):
    return rng.standard_normal((p, d)).astype(np.float32), rng.standard_normal((p, d)).astype(np.float32)


def unit(a):
    a = a.astype(np.float64)
    return (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)


class WriterTestCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name
        self.run_dir = os.path.join(self.tmp, "run")
        self.rng = np.random.default_rng(7)

    def tearDown(self):
        self._tmp.cleanup()

    def file(self, name):
        return os.path.join(self.run_dir, name)

    def image_files(self, n):
        """n small PNGs (Pillow), or paths that do not exist without it."""
        paths = []
        for i in range(n):
            path = os.path.join(self.tmp, f"img{i}.png")
            if support.HAVE_PIL:
                support.Image.new("RGB", (100, 50), (i * 40 % 256, 80, 160)).save(path)
            paths.append(path)
        return paths

    def metrics(self):
        return support.read_jsonl_strict(self.file("metrics.jsonl"))

    def steps(self):
        return support.read_jsonl_strict(self.file("steps.jsonl"))


class Layout(WriterTestCase):
    def test_a_complete_run(self):
        paths = self.image_files(6)
        captions = ["a red circle", "a blue square", "a red circle", "two\ttabs", "a line\nbreak", "x"]
        img1, txt1 = probe(self.rng)
        img2, txt2 = probe(self.rng)
        with RunWriter(self.run_dir, config={"lr": 0.1, "epochs": 2, "out": self.run_dir},
                       probe_pairs=list(zip(paths, captions))) as run:
            for step in range(1, 11):
                run.log_step(step, loss=3.0 - 0.1 * step, lr=0.01, temperature=0.07, grad_norm=1.5)
            first = run.log_epoch(1, img1, txt1, val_loss=2.5, accuracy=np.float32(0.25))
            for step in range(11, 21):
                run.log_step(step, loss=1.0, lr=0.005, temperature=0.06)
            run.log_epoch(2, img2, txt2, val_loss=float("nan"))

        config = support.read_json(self.file("config.json"))
        self.assertEqual(config["lr"], 0.1)
        self.assertEqual(config["cospace_runlog"]["epochs"], 2)

        pairs = support.read_pairs(self.file("probe/pairs.tsv"))
        self.assertEqual(support.read_bytes(self.file("probe/pairs.tsv")).decode().split("\n")[0] + "\n", "image\tcaption\n")
        self.assertEqual([p[0] for p in pairs], [os.path.abspath(p) for p in paths])
        self.assertEqual([p[1] for p in pairs][3:5], ["two tabs", "a line break"])

        steps = self.steps()
        self.assertEqual(len(steps), 20)
        self.assertEqual(steps[0], {"step": 1, "epoch": 1, "loss": 2.9, "lr": 0.01, "temperature": 0.07,
                                    "grad_norm": 1.5})
        self.assertEqual(steps[10]["epoch"], 2)

        lines = self.metrics()
        self.assertEqual([m["epoch"] for m in lines], [1, 2])
        self.assertEqual(lines[0], first)
        self.assertTrue(CPP_EPOCH_KEYS <= set(lines[0]), CPP_EPOCH_KEYS - set(lines[0]))
        self.assertEqual(set(lines[0]["i2t"]), RANK_KEYS)
        self.assertEqual(set(lines[0]["t2i"]), RANK_KEYS)
        self.assertEqual(lines[0]["metrics_on"], "probe")
        self.assertEqual(lines[0]["accuracy"], 0.25)
        self.assertEqual((lines[0]["epochs"], lines[0]["step"], lines[1]["step"]), (2, 10, 20))
        self.assertAlmostEqual(lines[0]["train_loss"], np.mean([3.0 - 0.1 * s for s in range(1, 11)]))
        self.assertEqual((lines[0]["lr"], lines[0]["temperature"]), (0.01, 0.07))
        self.assertEqual((lines[1]["lr"], lines[1]["temperature"], lines[1]["train_loss"]), (0.005, 0.06, 1.0))
        self.assertIsNone(lines[1]["val_loss"])          # NaN is not JSON: null, which the reader skips
        self.assertTrue(lines[0]["best"])
        self.assertGreaterEqual(lines[0]["seconds"], 0)
        # The numbers are retrieval_metrics of the rows written, with identical captions sharing an id.
        for epoch, (img, txt) in ((1, (img1, txt1)), (2, (img2, txt2))):
            m = support.read_npy_strict(self.file(f"probe/epoch-{epoch:03d}.npy"))
            self.assertEqual((m.shape, m.dtype.str), ((12, 8), "<f4"))
            np.testing.assert_allclose(m[:6], unit(img), atol=1e-7)
            np.testing.assert_allclose(m[6:], unit(txt), atol=1e-7)
            want = retrieval_metrics(m[:6], m[6:], caption_ids=[p[1] for p in pairs])
            for key, value in want.items():
                self.assertEqual(lines[epoch - 1][key], value, key)
        self.assertEqual(lines[1]["best"], lines[1]["rsum"] > lines[0]["rsum"])
        self.assertEqual(sorted(n for n in os.listdir(self.file("probe")) if n.startswith(".")), [])

    @unittest.skipUnless(support.HAVE_PIL, "Pillow is not importable")
    def test_thumbnails(self):
        paths = self.image_files(3)
        arr = np.zeros((20, 30, 3), np.uint8)
        pil = support.Image.new("RGBA", (300, 300), (0, 0, 0, 0))
        missing = os.path.join(self.tmp, "missing.png")
        pairs = [(paths[0], "a"), (arr, "b"), (pil, "c"), (missing, "d")]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            RunWriter(self.run_dir, probe_pairs=pairs).close()
        self.assertTrue(any("missing.png" in str(w.message) for w in caught))
        listed = support.read_pairs(self.file("probe/pairs.tsv"))
        # In-memory images: pairs.tsv names the thumbnail, relative to the run folder.
        self.assertEqual([p[0] for p in listed], [os.path.abspath(paths[0]), "probe/thumbs/0001.png",
                                                  "probe/thumbs/0002.png", missing])
        thumbs = sorted(os.listdir(self.file("probe/thumbs")))
        self.assertEqual(thumbs, ["0000.png", "0001.png", "0002.png"])
        info = [support.image_info(self.file("probe/thumbs/" + t)) for t in thumbs]
        self.assertEqual(info, [((64, 32), "RGB"), ((30, 20), "RGB"), ((64, 64), "RGBA")])
        # A second run with fewer images leaves no stale thumbnail behind.
        RunWriter(self.run_dir, probe_pairs=[(paths[1], "a")]).close()
        self.assertEqual(os.listdir(self.file("probe/thumbs")), ["0000.png"])

    def test_thumbnails_can_be_skipped(self):
        paths = self.image_files(2)
        RunWriter(self.run_dir, probe_pairs=[(p, "x") for p in paths], thumbnails=False).close()
        thumbs = self.file("probe/thumbs")
        self.assertEqual(os.listdir(thumbs) if os.path.isdir(thumbs) else [], [])

    def test_without_pillow(self):
        import sys
        paths = self.image_files(2)
        with mock.patch.dict(sys.modules, {"PIL": None, "PIL.Image": None}):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                RunWriter(self.run_dir, probe_pairs=[(p, "x") for p in paths]).close()
            self.assertTrue(any("Pillow" in str(w.message) for w in caught))
            with self.assertRaisesRegex(ImportError, "need Pillow"):
                RunWriter(self.run_dir, probe_pairs=[(np.zeros((4, 4, 3), np.uint8), "y")])
        self.assertEqual(len(support.read_pairs(self.file("probe/pairs.tsv"))), 2)
        thumbs = self.file("probe/thumbs")
        self.assertEqual(os.listdir(thumbs) if os.path.isdir(thumbs) else [], [])

    def test_no_probe_pairs(self):
        img, txt = probe(self.rng, p=4)
        with RunWriter(self.run_dir, epochs=3) as run:
            line = run.log_epoch(1, img, txt)
            bare = run.log_epoch(2, val_loss=1.0, train_loss=2.0)
        self.assertFalse(os.path.exists(self.file("probe/pairs.tsv")))
        self.assertEqual(line["n_images"], 4)
        self.assertEqual(line["step"], 1)                # no steps logged: the epoch stands in
        self.assertNotIn("rsum", bare)
        self.assertFalse(bare["best"])
        self.assertFalse(os.path.exists(self.file("probe/epoch-002.npy")))
        self.assertEqual(support.read_json(self.file("config.json"))["cospace_runlog"]["epochs"], 3)

    def test_caller_metrics(self):
        img, txt = probe(self.rng, p=5)
        val = retrieval_metrics(unit(img), unit(txt))
        with RunWriter(self.run_dir) as run:
            line = run.log_epoch(1, metrics=val)
        self.assertEqual(line["metrics_on"], "validation")
        self.assertEqual(line["rsum"], val["rsum"])

    def test_config_of_any_kind(self):
        import argparse
        ns = argparse.Namespace(data=__import__("pathlib").Path("/x"), sizes=(1, 2), nan=float("nan"),
                                dtype=np.float32, epochs=4)
        RunWriter(self.run_dir, config=ns).close()
        config = support.read_json(self.file("config.json"))
        self.assertEqual((config["data"], config["sizes"], config["nan"], config["epochs"]), ("/x", [1, 2], None, 4))
        self.assertIsInstance(config["dtype"], str)


class Validation(WriterTestCase):
    def test_bad_calls_raise_clear_errors(self):
        img, txt = probe(self.rng, p=3)
        with RunWriter(self.run_dir, probe_pairs=[("a.png", "x"), ("b.png", "y"), ("c.png", "z")],
                       thumbnails=False) as run:
            with self.assertRaisesRegex(ValueError, "1-based"):
                run.log_epoch(0, img, txt)
            with self.assertRaisesRegex(ValueError, "1-based"):
                run.log_step(0, loss=1)
            with self.assertRaisesRegex(ValueError, "in order"):
                run.log_epoch(2, img, txt)
            with self.assertRaisesRegex(ValueError, "pairs.tsv lists 3"):
                run.log_epoch(1, img[:2], txt[:2])
            with self.assertRaisesRegex(ValueError, "same P x D"):
                run.log_epoch(1, img, txt[:, :4])
            with self.assertRaisesRegex(ValueError, "both"):
                run.log_epoch(1, img)
            with self.assertRaisesRegex(ValueError, "fills"):
                run.log_epoch(1, img, txt, rsum=3)
            with self.assertRaisesRegex(ValueError, "fills"):
                run.log_epoch(1, img, txt, best=True)
            with self.assertRaisesRegex(ValueError, "'/'"):
                run.log_step(1, **{"train/loss": 1.0})
            with self.assertRaisesRegex(TypeError, "not a number"):
                run.log_step(1, note=[1, 2])
            self.assertEqual(self.metrics(), [])
        with RunWriter(self.run_dir, probe_pairs=[("a.png", "x")] * 3, thumbnails=False) as ok:
            ok.log_epoch(1, img, txt)
        with self.assertRaisesRegex(TypeError, "probe image 1"):
            RunWriter(self.run_dir, probe_pairs=[("a.png", "x"), (np.zeros((4, 4, 3)), "y")])
        with self.assertRaisesRegex(ValueError, "at most 512"):
            RunWriter(self.run_dir, probe_pairs=[("a.png", "x")] * 513, thumbnails=False)
        self.assertEqual(len(self.metrics()), 1)   # refused before anything was touched
        with self.assertRaisesRegex(RuntimeError, "closed"):
            run.log_step(1)


class Resume(WriterTestCase):
    def three_epochs(self, **kw):
        run = RunWriter(self.run_dir, epochs=5, **kw)
        for epoch in (1, 2, 3):
            for step in range(epoch * 10 - 9, epoch * 10 + 1):
                run.log_step(step, loss=1.0 / step, lr=0.1, temperature=0.05)
            run.log_epoch(epoch, *probe(self.rng))
        return run

    def test_resume_from_a_checkpoint_epoch_cuts_the_logs(self):
        self.three_epochs().close()
        rsum1 = self.metrics()[0]["rsum"]
        with RunWriter(self.run_dir, resume=1) as run:   # the checkpoint was taken after epoch 1
            self.assertEqual([m["epoch"] for m in self.metrics()], [1])
            self.assertEqual([s["step"] for s in self.steps()], list(range(1, 11)))
            run.log_step(11, loss=0.5)
            line = run.log_epoch(2, *probe(self.rng))
        self.assertEqual(line["best"], line["rsum"] > rsum1)
        self.assertEqual(line["step"], 11)
        self.assertEqual([m["epoch"] for m in self.metrics()], [1, 2])
        self.assertEqual([s["step"] for s in self.steps()], list(range(1, 12)))

    def test_resume_zero_is_a_fresh_start(self):
        self.three_epochs().close()
        RunWriter(self.run_dir, resume=0).close()
        self.assertEqual((self.metrics(), self.steps()), ([], []))

    def test_a_new_run_removes_the_old_logs(self):
        self.three_epochs().close()
        RunWriter(self.run_dir).close()
        self.assertFalse(os.path.exists(self.file("metrics.jsonl")))
        self.assertFalse(os.path.exists(self.file("steps.jsonl")))

    def test_a_repeated_epoch_replaces_the_later_ones(self):
        run = self.three_epochs()
        run.log_step(11, loss=9.0)
        line = run.log_epoch(2, *probe(self.rng), val_loss=0.5)
        # Appended while the run goes on: a following inspector reads epochs 1-3, then 2 again, and
        # (RunFolder::mergeEpochs) keeps 1 and the new 2; the file is never rewritten under it.
        raw = self.metrics()
        self.assertEqual([m["epoch"] for m in raw], [1, 2, 3, 2])
        merged = _files.merge_epochs(_files.read_log(self.file("metrics.jsonl"))[0])
        self.assertEqual([m[0].get("val_loss") for m in merged], [None, 0.5])
        self.assertEqual(line["step"], 11)
        run.close()   # ... and cut back to what it shows when the run ends
        self.assertEqual([m["epoch"] for m in self.metrics()], [1, 2])
        self.assertEqual([s["step"] for s in self.steps()], list(range(1, 12)))

    def test_resume_true_keeps_the_logs_and_drops_torn_lines(self):
        self.three_epochs().close()
        with open(self.file("metrics.jsonl"), "ab") as f:
            f.write(b'{"epoch":4,"rsu')                       # a kill mid-line
        with RunWriter(self.run_dir, resume=True) as run:
            self.assertEqual([m["epoch"] for m in self.metrics()], [1, 2, 3])
            run.log_epoch(4, *probe(self.rng))
        self.assertEqual([m["epoch"] for m in self.metrics()], [1, 2, 3, 4])

    def test_a_torn_line_is_ended_before_the_next(self):
        path = self.file("x.jsonl")
        os.makedirs(self.run_dir)
        for pread in (True, False):                    # also the path for systems without os.pread
            with self.subTest(pread=pread), mock.patch.dict(os.__dict__):
                if not pread:
                    del os.__dict__["pread"]
                with open(path, "wb") as f:
                    f.write(b'{"step":1}\n{"step":2,"lo')
                _files.append_line(path, {"step": 3})
                _files.append_line(path, {"step": 4})
                self.assertEqual(support.read_bytes(path), b'{"step":1}\n{"step":2,"lo\n{"step":3}\n{"step":4}\n')

    def test_pairs_are_kept_on_resume(self):
        img, txt = probe(self.rng, p=2)
        with RunWriter(self.run_dir, probe_pairs=[("a.png", "same"), ("b.png", "same")], thumbnails=False) as run:
            run.log_epoch(1, img, txt)
        with RunWriter(self.run_dir, resume=True) as run:
            self.assertEqual(run.probe_size, 2)
            line = run.log_epoch(2, img, txt)
        # Shared caption text: either image is correct for either caption.
        self.assertEqual(line["t2i"]["R@1"], 1.0)


class Tail:
    """core/runfolder.cpp JsonLinesTail + RunFolder::mergeEpochs, ported: reads what was appended since
    the last poll; a file shorter than the offset is re-read from the top."""

    def __init__(self, path):
        self.path, self.offset, self.epochs = path, 0, []

    def poll(self):
        try:
            data = support.read_bytes(self.path)
        except FileNotFoundError:
            return self.epochs
        if len(data) < self.offset:
            self.offset, self.epochs = 0, []
        chunk = data[self.offset:]
        end = chunk.rfind(b"\n")
        if end >= 0:
            for line in chunk[:end].split(b"\n"):
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                if o["epoch"] <= len(self.epochs):
                    del self.epochs[o["epoch"] - 1:]
                self.epochs.append(o)
            self.offset += end + 1
        return self.epochs


class FollowMode(WriterTestCase):
    def test_a_follower_always_sees_the_epochs_of_the_run(self):
        # Polled after every call: what a following inspector shows must equal the run's epochs,
        # also when an epoch is logged again and when close() cuts the file back.
        tail = Tail(self.file("metrics.jsonl"))
        run = RunWriter(self.run_dir, epochs=4)
        shown = lambda: [(m["epoch"], m["val_loss"]) for m in tail.poll()]   # noqa: E731
        expected = []
        for epoch, loss in ((1, 1.0), (2, 2.0), (3, 3.0), (2, 2.5), (3, 3.5), (4, 4.0), (4, 4.5)):
            run.log_epoch(epoch, *probe(self.rng), val_loss=loss)
            expected = expected[:epoch - 1] + [(epoch, loss)]
            self.assertEqual(shown(), expected)
        run.close()
        self.assertEqual(shown(), expected)
        self.assertEqual(len(self.metrics()), 4)
        # A resume from a checkpoint after epoch 1 shrinks the file: the follower starts again.
        run = RunWriter(self.run_dir, resume=1)
        self.assertEqual(shown(), expected[:1])
        run.log_epoch(2, *probe(self.rng), val_loss=9.0)
        self.assertEqual(shown(), [(1, 1.0), (2, 9.0)])
        run.close()


class Ranks(WriterTestCase):
    def test_other_ranks_write_nothing(self):
        img, txt = probe(self.rng)
        for kwargs, env in (({"rank": 1}, {}), ({}, {"RANK": "3"}), ({}, {"SLURM_PROCID": "1"})):
            with self.subTest(kwargs=kwargs, env=env), mock.patch.dict(os.environ, env):
                run = RunWriter(self.run_dir, config={"a": 1}, probe_pairs=[("a.png", "x")] * 6, **kwargs)
                self.assertFalse(run.active)
                run.log_step(1, loss=1.0)
                self.assertIsNone(run.log_epoch(1, img, txt))
                run.close()
                self.assertFalse(os.path.exists(self.run_dir))

    def test_rank_zero_writes(self):
        with mock.patch.dict(os.environ, {"RANK": "0"}):
            with RunWriter(self.run_dir) as run:
                self.assertTrue(run.active)
        self.assertTrue(os.path.exists(self.file("config.json")))


@unittest.skipUnless(support.HAVE_TORCH, "torch is not importable")
class TorchTensors(WriterTestCase):
    def test_tensors_of_any_dtype(self):
        import torch
        img, txt = probe(self.rng)
        with RunWriter(self.run_dir) as run:
            run.log_step(1, loss=torch.tensor(2.5), lr=torch.tensor([0.1]), temperature=np.float64(0.07))
            line = run.log_epoch(1, torch.from_numpy(img).requires_grad_(), torch.from_numpy(txt).bfloat16(),
                                 val_loss=torch.tensor(1.25, dtype=torch.float16))
        step = self.steps()[0]
        self.assertEqual(step["loss"], 2.5)
        self.assertAlmostEqual(step["lr"], 0.1, places=6)
        self.assertEqual(line["val_loss"], 1.25)
        m = support.read_npy_strict(self.file("probe/epoch-001.npy"))
        np.testing.assert_allclose(m[:6], unit(img), atol=1e-7)
        bf16 = unit(torch.from_numpy(txt).bfloat16().float().numpy())
        np.testing.assert_allclose(m[6:], bf16, atol=1e-7)
        self.assertTrue(math.isfinite(line["uniformity"]))

    def test_initialised_process_group_decides(self):
        import torch.distributed as dist
        with mock.patch.object(dist, "is_initialized", return_value=True), \
                mock.patch.object(dist, "get_rank", return_value=2), mock.patch.dict(os.environ, {"RANK": "0"}):
            run = RunWriter(self.run_dir)
            self.assertFalse(run.active)
        self.assertFalse(os.path.exists(self.run_dir))


if __name__ == "__main__":
    unittest.main()
