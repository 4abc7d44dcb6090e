"""examples/pytorch/train_two_tower.py: a real loop, 2 short epochs on a generated shapes dataset,
leaves a run folder the inspector opens (the same checks as the SIGKILL test, plus the content)."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

import support
import numpy as np

from cospace_runlog import retrieval_metrics
from test_crash import check_folder

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(support.HERE)), "examples", "pytorch",
                       "train_two_tower.py")


@unittest.skipUnless(support.HAVE_TORCH and support.HAVE_PIL, "needs torch and Pillow")
class TwoTowerExample(unittest.TestCase):
    def test_two_epochs_on_shapes(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = support.make_shapes_dataset(os.path.join(tmp, "shapes"), 300, seed=3)
            run_dir = os.path.join(tmp, "run")
            start = time.monotonic()
            done = subprocess.run([sys.executable, EXAMPLE, "--data", data, "--out", run_dir, "--epochs", "2",
                                   "--probe-size", "40", "--log-every", "2"],
                                  capture_output=True, text=True, timeout=120)
            seconds = time.monotonic() - start
            self.assertEqual(done.returncode, 0, done.stderr[-3000:])
            self.assertLess(seconds, 60)
            self.assertIn("epoch 2/2", done.stdout)

            pairs = support.read_pairs(os.path.join(run_dir, "probe", "pairs.tsv"))
            p = len(pairs)
            self.assertTrue(3 <= p <= 40, p)
            self.assertEqual(len(os.listdir(os.path.join(run_dir, "probe", "thumbs"))), p)
            metrics = support.read_jsonl_strict(os.path.join(run_dir, "metrics.jsonl"))
            steps = support.read_jsonl_strict(os.path.join(run_dir, "steps.jsonl"))
            self.assertEqual([m["epoch"] for m in metrics], [1, 2])
            self.assertEqual([m["epochs"] for m in metrics], [2, 2])
            self.assertTrue(steps and all(s["step"] % 2 == 0 for s in steps))
            self.assertEqual(steps[-1]["step"], metrics[-1]["step"])
            for m in metrics:
                self.assertEqual(m["metrics_on"], "validation")
                for key in ("train_loss", "val_loss", "lr", "temperature", "rsum", "modality_gap"):
                    self.assertIsInstance(m[key], float, key)
                self.assertTrue(0 <= m["t2i"]["R@1"] <= 1)
            self.assertEqual(check_folder(self, run_dir, rows=p, dim=64), 2)
            # The probe rows are unit vectors (what the probe analysis assumes), and the space learned
            # something: the probe's own text->image recall beats chance (1 / P) after 2 epochs.
            probe = support.read_npy_strict(os.path.join(run_dir, "probe", "epoch-002.npy"))
            self.assertTrue(np.allclose(np.linalg.norm(probe, axis=1), 1, atol=1e-5))
            on_probe = retrieval_metrics(probe[:p], probe[p:], caption_ids=[c for _, c in pairs])
            self.assertGreater(on_probe["t2i"]["R@5"], 5 / p)


if __name__ == "__main__":
    unittest.main()
