"""SIGKILL at random moments: whatever the moment, the run folder is one the inspector opens, and a
writer resumed on it carries on. Checked as strictly as core/runfolder.cpp and core/npy.cpp read."""

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import support

from cospace_runlog import _files

CHILD = os.path.join(support.HERE, "crash_child.py")
P = 256


def check_folder(test, run_dir, rows=P, dim=128):
    """Every line complete JSON, every .npy complete (2 x rows, dim), each epoch's .npy written
    before its line; returns the number of epochs the inspector shows."""
    names = os.listdir(run_dir) if os.path.isdir(run_dir) else []
    if "config.json" in names:
        test.assertIsInstance(support.read_json(os.path.join(run_dir, "config.json")), dict)
    metrics = support.read_jsonl_strict(os.path.join(run_dir, "metrics.jsonl"))
    support.read_jsonl_strict(os.path.join(run_dir, "steps.jsonl"))
    pairs_path = os.path.join(run_dir, "probe", "pairs.tsv")
    if os.path.exists(pairs_path):
        test.assertEqual(len(support.read_pairs(pairs_path)), rows)
    probe = os.path.join(run_dir, "probe")
    for name in os.listdir(probe) if os.path.isdir(probe) else []:
        if name.startswith("epoch-") and name.endswith(".npy"):
            test.assertEqual(support.read_npy_strict(os.path.join(probe, name)).shape, (2 * rows, dim), name)
    merged = _files.merge_epochs([(m, b"") for m in metrics])
    test.assertEqual([m["epoch"] for m, _ in merged], list(range(1, len(merged) + 1)))
    for m, _ in merged:
        test.assertTrue(os.path.exists(os.path.join(probe, f"epoch-{m['epoch']:03d}.npy")), m["epoch"])
    return len(merged)


class KilledMidWrite(unittest.TestCase):
    def test_sigkill_at_random_moments(self):
        rng = random.Random(2024)
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = os.path.join(tmp, "run")
            epochs_seen = 0
            for trial in range(24):
                child = subprocess.Popen([sys.executable, CHILD, run_dir, str(trial)], stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE)
                try:
                    if trial % 3 == 0:
                        time.sleep(rng.uniform(0.0, 0.4))      # anywhere, start-up and construction too
                    else:
                        ready = child.stdout.readline()
                        if ready != b"ready\n":
                            child.kill()
                            self.fail(child.stderr.read().decode(errors="replace")[-2000:])
                        time.sleep(rng.uniform(0.0, 0.15))     # in the middle of the logging
                finally:
                    child.send_signal(signal.SIGKILL)
                    child.wait()
                    child.stdout.close()
                    err = child.stderr.read()
                    child.stderr.close()
                self.assertEqual(child.returncode, -signal.SIGKILL, err.decode(errors="replace")[-2000:])
                with self.subTest(trial=trial):
                    epochs_seen = max(epochs_seen, check_folder(self, run_dir))
            self.assertGreater(epochs_seen, 5)   # the kills did land while epochs were being written
            # A clean finish after all that: resumed, two more epochs, closed.
            done = subprocess.run([sys.executable, "-c", (
                "import sys, numpy as np; sys.path.insert(0, sys.argv[2]);"
                "from cospace_runlog import RunWriter\n"
                "with RunWriter(sys.argv[1], resume=True) as run:\n"
                "    e = run.last_epoch\n"
                "    for k in (1, 2): run.log_epoch(e + k, np.eye(256, 128), np.eye(256, 128))\n"),
                run_dir, os.path.dirname(support.HERE)], capture_output=True, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr.decode()[-2000:])
            check_folder(self, run_dir)
            leftovers = [n for d in (run_dir, os.path.join(run_dir, "probe")) for n in os.listdir(d)
                         if n.endswith(_files.TEMP_SUFFIX)]
            self.assertEqual(leftovers, [])


if __name__ == "__main__":
    unittest.main()
