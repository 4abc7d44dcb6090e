"""A training loop that logs as fast as it can, to be killed with SIGKILL by test_crash.py.

Usage: crash_child.py RUN SEED. Resumes whatever RUN holds (sometimes from an earlier epoch, as a
loop restarted from an older checkpoint would), prints "ready", then logs steps and epochs with
256 x 128 probe embeddings (256 KiB per .npy) until it is killed; past epoch 60 it starts again at
epoch 1, as a loop restarted from scratch would (so the folder stays small).
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from cospace_runlog import RunWriter  # noqa: E402

P, D = 256, 128


def main():
    run_dir, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    pairs = [(f"/nowhere/{i}.png", f"caption {i % 200}") for i in range(P)]
    last = 0
    if os.path.exists(os.path.join(run_dir, "metrics.jsonl")):
        with open(os.path.join(run_dir, "metrics.jsonl"), "rb") as f:
            last = sum(1 for line in f if line.endswith(b"\n"))
    resume = True if rng.random() < 0.5 else max(0, last - rng.randrange(3))
    run = RunWriter(run_dir, config={"epochs": 60, "seed": seed}, probe_pairs=pairs, resume=resume,
                    thumbnails=False)
    print("ready", flush=True)
    data = np.random.default_rng(seed)
    epoch, step = run.last_epoch + 1, run.last_step + 1
    if rng.random() < 0.3 and epoch > 1:
        epoch -= 1                      # restarted from an older checkpoint without saying so
    while True:
        if epoch > 60:
            epoch, step = 1, 1
        for _ in range(5):
            run.log_step(step, epoch=epoch, loss=1.0 / step, lr=0.001, temperature=0.07, extra=step % 7)
            step += 1
        run.log_epoch(epoch, data.standard_normal((P, D)), data.standard_normal((P, D)), val_loss=0.5,
                      note="x" * rng.randrange(4000))    # lines of many lengths, some across pages
        epoch += 1


if __name__ == "__main__":
    main()
