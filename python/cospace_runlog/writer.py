"""RunWriter: writes a Cospace training run folder from any Python training loop.

The folder is the one Cospace's own trainer writes and ``cospace --run RUN`` opens, also while it is
being written (docs/run-folder-format.md describes every file):

    RUN/config.json            the loop's config, plus {"cospace_runlog": {"version", "epochs"}}
    RUN/steps.jsonl            {"step", "epoch", "loss", "lr", "temperature", ...} per log_step()
    RUN/metrics.jsonl          one line per epoch: retrieval metrics on the probe pairs, losses, ...
    RUN/probe/pairs.tsv        image<TAB>caption, the fixed probe pairs (<= 512)
    RUN/probe/epoch-NNN.npy    P image rows then P caption rows, float32, L2-normalised
    RUN/probe/thumbs/NNNN.png  a <= 64 px thumbnail of probe image NNNN (0-based row of pairs.tsv)

Crash safety: every log line is one write() of a whole line; every other file is written to a
temporary name and renamed, probe embeddings before their epoch's metrics line. A process killed at
any moment leaves a folder the inspector opens.

Distributed: only rank 0 writes. The rank is torch.distributed's when it is initialised (checked on
every call), else the first of $RANK, $PMI_RANK, $SLURM_PROCID, $OMPI_COMM_WORLD_RANK, else 0; pass
``rank=`` to decide yourself. On other ranks every method returns at once, without touching the
embeddings (no device synchronisation). Embeddings gathered by the caller are taken as they are.

Thread-safety: none; call a RunWriter from one thread.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Dict, Hashable, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _files, thumbs
from .metrics import as_float32_matrix, retrieval_metrics

__all__ = ["RunWriter", "MAX_PROBE_PAIRS"]

VERSION = "0.1.0"
MAX_PROBE_PAIRS = 512          # the inspector's probe limit (config train.probe_size <= 512)
DEFAULT_THUMB_SIZE = 64        # pixels, the longer side

# Keys of a metrics.jsonl line that the writer fills itself; extra scalars may not reuse them.
_EPOCH_KEYS = frozenset({"epoch", "epochs", "step", "train_loss", "val_loss", "lr", "temperature", "seconds",
                         "best", "n_images", "n_captions", "i2t", "t2i", "rsum", "alignment", "uniformity",
                         "modality_gap", "cos_matched", "cos_random", "metrics_on"})
_METRIC_KEYS = frozenset({"n_images", "n_captions", "i2t", "t2i", "rsum", "alignment", "uniformity",
                          "modality_gap", "cos_matched", "cos_random"})
_STEP_KEYS = frozenset({"step", "epoch", "loss", "lr", "temperature"})


def detect_rank() -> int:
    """This process's rank in a distributed job (0 when not distributed). Imports nothing."""
    if "torch" in sys.modules:
        try:
            import torch.distributed as dist   # already loaded with torch: cheap
            if dist.is_available() and dist.is_initialized():
                return int(dist.get_rank())
        except Exception:                      # a torch build without distributed support
            pass
    for name in ("RANK", "PMI_RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK"):
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return 0


def _config_value(v: Any) -> Any:
    """Leniently JSON-able: argparse values include paths, tuples, numpy scalars and NaN."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if np.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): _config_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [_config_value(x) for x in v]
    if isinstance(v, np.generic):
        return _config_value(v.item())
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    return str(v)


def _planned_epochs(config: Dict[str, Any]) -> int:
    """config["epochs"] (argparse style) or config["train"]["epochs"] (Cospace style), else 0."""
    train = config.get("train")
    for candidate in (config.get("epochs"), train.get("epochs") if isinstance(train, dict) else None):
        if isinstance(candidate, int) and not isinstance(candidate, bool) and candidate > 0:
            return candidate
    return 0


def _one_line(text: str) -> str:
    """pairs.tsv has one pair per line and a tab between the fields."""
    return " ".join(text.replace("\t", " ").replace("\r", " ").split("\n"))


def _as_index(value: Any, what: str) -> int:
    try:
        i = int(value)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be an integer, got {value!r}") from None
    if i != value:
        raise TypeError(f"{what} must be an integer, got {value!r}")
    return i


class RunWriter:
    """Writes a run folder the Cospace training inspector reads (see the module docstring).

    path:        the run folder (created).
    config:      the loop's settings (a dict or an argparse.Namespace), written to config.json.
    probe_pairs: up to 512 (image, caption) pairs whose embeddings log_epoch() receives, in this
                 order. image is a file path (written absolute to pairs.tsv), or a PIL image or an
                 H x W x 3 uint8 array (then only its thumbnail is kept and pairs.tsv names it).
    epochs:      the planned number of epochs (default: config["epochs"] or config["train"]["epochs"]).
    resume:      False: a new run (metrics.jsonl and steps.jsonl are removed). An int K: resuming from
                 a checkpoint taken after epoch K; the logs are cut back to epochs <= K and to the steps
                 up to epoch K's last step, as Cospace's trainer does on --resume. True: keep the logs
                 as they are; a repeated epoch or step then replaces what followed it.
    thumbnails:  write probe/thumbs/NNNN.png (needs Pillow; skipped with a warning without it).
    normalize:   L2-normalise the embeddings log_epoch() receives (the inspector expects unit rows).
    rank:        this process's rank; default detect_rank().
    """

    def __init__(self, path: Union[str, os.PathLike], config: Any = None,
                 probe_pairs: Optional[Sequence[Tuple[Any, str]]] = None, *, epochs: Optional[int] = None,
                 resume: Union[bool, int] = False, thumbnails: bool = True,
                 thumb_size: int = DEFAULT_THUMB_SIZE, normalize: bool = True, rank: Optional[int] = None):
        self.path = os.path.abspath(os.fspath(path))
        self._fixed_rank = rank
        self._active = (detect_rank() if rank is None else int(rank)) == 0
        self._closed = False
        self._normalize = normalize
        self._captions: Optional[List[str]] = None
        self._last_epoch = 0
        self._last_step = 0
        self._best_rsum = -1.0
        self._last_lr: Optional[float] = None
        self._last_temperature: Optional[float] = None
        self._loss_sum = 0.0
        self._loss_count = 0
        self._loss_epoch = 0
        self._rewound = False          # a repeated epoch or step was appended: compact on close()
        self._epoch_start = time.monotonic()
        if config is None and resume is not False:
            config = self._read_config()   # a resumed run without a config keeps its own
            if epochs is None:
                epochs = (config.get("cospace_runlog") or {}).get("epochs") or None
        if config is not None and not isinstance(config, dict):
            config = vars(config)       # argparse.Namespace and friends
        config = dict(config or {})
        self.epochs = int(epochs) if epochs is not None else _planned_epochs(config)
        if not self._active:
            return
        checked = self._check_probe_pairs(probe_pairs) if probe_pairs is not None else None

        for folder in (self.path, self._file("probe"), self._file("probe/thumbs")):
            _files.remove_stale_temps(folder)
        os.makedirs(self._file("probe"), exist_ok=True)
        self._prepare_logs(resume)
        if checked is not None:
            self._write_probe_pairs(checked, thumbnails, thumb_size)
        elif resume is not False:
            self._captions = self._read_pair_captions()
        config["cospace_runlog"] = {"version": VERSION, "epochs": self.epochs}
        text = json.dumps(_config_value(config), indent=2, ensure_ascii=False) + "\n"
        _files.write_bytes_atomic(self._file("config.json"), text.encode("utf-8"))
        self._epoch_start = time.monotonic()   # the first epoch's seconds start now, thumbnails done

    # -- public API -----------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True on the process that writes (rank 0)."""
        return self._active and self._still_rank0()

    @property
    def last_epoch(self) -> int:
        """The last epoch in metrics.jsonl (0 before the first): a resumed loop continues after it."""
        return self._last_epoch

    @property
    def last_step(self) -> int:
        """The last step logged (0 before the first)."""
        return self._last_step

    @property
    def probe_size(self) -> Optional[int]:
        """P, the number of probe pairs (None when the run has none)."""
        return None if self._captions is None else len(self._captions)

    def log_step(self, step: int, *, epoch: Optional[int] = None, loss: Any = None, lr: Any = None,
                 temperature: Any = None, **scalars: Any) -> None:
        """Appends a steps.jsonl line. step: the global optimizer step, 1-based, increasing (a step at
        or below the last one replaces the later ones: a resumed run). epoch: the 1-based epoch in
        progress (default: the one after the last logged epoch). temperature: the softmax temperature,
        1 / logit_scale.exp() for CLIP. Extra keyword scalars are kept as they are."""
        if not self._writing():
            return
        step = _as_index(step, "step")
        if step < 1:
            raise ValueError(f"step {step}: steps are 1-based (the first optimizer step is 1)")
        epoch = self._last_epoch + 1 if epoch is None else _as_index(epoch, "epoch")
        if epoch < 1:
            raise ValueError(f"epoch {epoch}: epochs are 1-based")
        line: Dict[str, Any] = {"step": step, "epoch": epoch}
        for key, value in (("loss", loss), ("lr", lr), ("temperature", temperature)):
            if value is not None:
                line[key] = _files.to_json_value(value, key)
        line.update(self._extras(scalars, _STEP_KEYS))
        if step <= self._last_step:
            self._rewound = True
        _files.append_line(self._file("steps.jsonl"), line)
        self._last_step = step
        if line.get("lr") is not None:
            self._last_lr = line["lr"]
        if line.get("temperature") is not None:
            self._last_temperature = line["temperature"]
        if epoch != self._loss_epoch:
            self._loss_epoch, self._loss_sum, self._loss_count = epoch, 0.0, 0
        if isinstance(line.get("loss"), (int, float)) and not isinstance(line["loss"], bool):
            self._loss_sum += line["loss"]
            self._loss_count += 1

    def log_epoch(self, epoch: int, img_emb: Any = None, txt_emb: Any = None, *, val_loss: Any = None,
                  train_loss: Any = None, lr: Any = None, temperature: Any = None, step: Optional[int] = None,
                  seconds: Any = None, metrics: Optional[Dict[str, Any]] = None,
                  **scalars: Any) -> Optional[Dict[str, Any]]:
        """Ends epoch ``epoch`` (1-based, in order 1, 2, 3, ...; an epoch at or below the last one
        replaces it and the later ones: a resumed run).

        img_emb, txt_emb: the probe pairs' embeddings after this epoch, P x D each (NumPy or torch, any
        device and float dtype), row i = probe pair i. Written to probe/epoch-NNN.npy, and the
        retrieval metrics of ``retrieval_metrics`` on them go into the line ("metrics_on": "probe").
        metrics: a retrieval_metrics() result computed on your own validation split instead
        ("metrics_on": "validation"). Unset fields default to: train_loss = mean of this epoch's
        logged step losses, lr / temperature = the last logged step's, step = the last logged step,
        seconds = wall time since the previous epoch. Returns the metrics.jsonl line (None on other
        ranks)."""
        if not self._writing():
            return None
        epoch = _as_index(epoch, "epoch")
        if epoch < 1:
            raise ValueError(f"epoch {epoch}: epochs are 1-based (the first finished epoch is 1)")
        if epoch > self._last_epoch + 1:
            raise ValueError(f"epoch {epoch} after epoch {self._last_epoch}: log every epoch, in order "
                             "(the inspector indexes epochs 1, 2, 3, ...)")
        extras = self._extras(scalars, _EPOCH_KEYS)
        probe = self._probe_matrix(img_emb, txt_emb)

        line: Dict[str, Any] = {}
        if probe is not None:
            p = probe.shape[0] // 2
            line.update(retrieval_metrics(probe[:p], probe[p:],
                                          caption_ids=self._captions if self._captions else None))
            line["metrics_on"] = "probe"
        if metrics is not None:
            line.update({k: v for k, v in metrics.items() if k in _METRIC_KEYS})
            line["metrics_on"] = "validation"
        line = {k: _files.to_json_value(v, k) for k, v in line.items()}
        if epoch <= self._last_epoch:
            self._rewind_epochs(epoch)
        now = time.monotonic()
        if train_loss is None and self._loss_epoch == epoch and self._loss_count:
            train_loss = self._loss_sum / self._loss_count
        fields = {"epoch": epoch, "epochs": self.epochs,
                  "step": _as_index(step, "step") if step is not None else (self._last_step or epoch),
                  "train_loss": train_loss, "val_loss": val_loss,
                  "lr": lr if lr is not None else self._last_lr,
                  "temperature": temperature if temperature is not None else self._last_temperature,
                  "seconds": seconds if seconds is not None else now - self._epoch_start}
        line.update({k: _files.to_json_value(v, k) for k, v in fields.items() if v is not None})
        rsum = line.get("rsum")
        line["best"] = isinstance(rsum, (int, float)) and rsum > self._best_rsum
        if line["best"]:
            self._best_rsum = rsum
        line.update(extras)

        # The embeddings first: the inspector counts an epoch's .npy only once its line exists.
        if probe is not None:
            _files.write_npy(self._file(f"probe/epoch-{epoch:03d}.npy"), probe)
        _files.append_line(self._file("metrics.jsonl"), line)
        self._epoch_lines = self._epoch_lines[:epoch - 1] + [line]
        self._last_epoch = epoch
        self._epoch_start = now
        return line

    def close(self) -> None:
        """Finishes the run: a log that a resumed run appended to is cut back to what it shows
        (the lines a repeated epoch or step replaced are dropped). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._active and self._rewound:
            self._compact()

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------------

    def _file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def _still_rank0(self) -> bool:
        return self._fixed_rank is not None or detect_rank() == 0

    def _writing(self) -> bool:
        if self._closed:
            raise RuntimeError(f"{self.path}: the RunWriter is closed")
        return self._active and self._still_rank0()

    @staticmethod
    def _extras(scalars: Dict[str, Any], reserved: Iterable[str]) -> Dict[str, Any]:
        out = {}
        for key, value in scalars.items():
            if key in reserved:
                raise ValueError(f"{key!r} is a field the writer fills; pass it by its own parameter")
            if "/" in key:
                raise ValueError(f"{key!r}: '/' separates nested keys in the inspector; use '.' or '_'")
            if isinstance(value, (dict, list, tuple, set)):
                raise TypeError(f"{key}: {type(value).__name__} is not a number, bool or string")
            out[key] = _files.to_json_value(value, key)
        return out

    def _probe_matrix(self, img_emb: Any, txt_emb: Any) -> Optional[np.ndarray]:
        if img_emb is None and txt_emb is None:
            return None
        if img_emb is None or txt_emb is None:
            raise ValueError("log_epoch needs both img_emb and txt_emb (or neither)")
        img = as_float32_matrix(img_emb, "img_emb")
        txt = as_float32_matrix(txt_emb, "txt_emb")
        if img.shape != txt.shape:
            raise ValueError(f"img_emb {img.shape} and txt_emb {txt.shape}: expected the same P x D "
                             "(row i of each = probe pair i)")
        p = img.shape[0]
        if p < 1 or p > MAX_PROBE_PAIRS:
            raise ValueError(f"{p} probe rows: expected 1 to {MAX_PROBE_PAIRS}")
        if self._captions is not None and p != len(self._captions):
            raise ValueError(f"{p} probe rows, but probe/pairs.tsv lists {len(self._captions)} pairs")
        both = np.concatenate([img, txt])
        if self._normalize:
            norms = np.linalg.norm(both.astype(np.float64), axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            both = (both / norms).astype(np.float32)
        return np.ascontiguousarray(both, dtype=np.float32)

    def _prepare_logs(self, resume: Union[bool, int]) -> None:
        metrics_path, steps_path = self._file("metrics.jsonl"), self._file("steps.jsonl")
        if resume is False:
            for path in (metrics_path, steps_path):
                _files.rewrite_log(path, [])
            self._epoch_lines: List[Dict[str, Any]] = []
            return
        epochs_raw, epochs_clean = _files.read_log(metrics_path)
        steps_raw, steps_clean = _files.read_log(steps_path)
        epochs = _files.merge_epochs(epochs_raw)
        steps = _files.merge_steps(steps_raw)
        if resume is not True:
            keep = _as_index(resume, "resume")
            if keep < 0:
                raise ValueError(f"resume={keep}: the number of completed epochs is at least 0")
            epochs = [e for e in epochs if _files.int_field(e[0], "epoch") <= keep]
            last_step = _files.int_field(epochs[-1][0], "step") if epochs else 0
            if last_step is None:   # a line without "step": keep the steps of the kept epochs
                steps = [s for s in steps if (_files.int_field(s[0], "epoch") or 0) <= keep]
            else:
                steps = [s for s in steps if _files.int_field(s[0], "step") <= last_step]
        if len(epochs) != len(epochs_raw) or not epochs_clean:
            _files.rewrite_log(metrics_path, epochs)
        if len(steps) != len(steps_raw) or not steps_clean:
            _files.rewrite_log(steps_path, steps)
        self._epoch_lines = [e for e, _ in epochs]
        self._last_epoch = _files.int_field(self._epoch_lines[-1], "epoch") if epochs else 0
        self._best_rsum = max([float(e["rsum"]) for e in self._epoch_lines
                               if isinstance(e.get("rsum"), (int, float))] + [-1.0])
        self._last_step = max(_files.int_field(steps[-1][0], "step") if steps else 0,
                              (_files.int_field(self._epoch_lines[-1], "step") or 0) if epochs else 0)
        if steps:
            last = steps[-1][0]
            self._last_lr, self._last_temperature = last.get("lr"), last.get("temperature")

    def _rewind_epochs(self, epoch: int) -> None:
        """log_epoch(epoch) for an epoch already logged: the line is appended (a following inspector
        replaces that epoch and the later ones), the file is cut back on close()."""
        self._rewound = True
        self._epoch_lines = self._epoch_lines[:epoch - 1]
        self._best_rsum = max([float(e["rsum"]) for e in self._epoch_lines
                               if isinstance(e.get("rsum"), (int, float))] + [-1.0])

    def _compact(self) -> None:
        for name, merge in (("metrics.jsonl", _files.merge_epochs), ("steps.jsonl", _files.merge_steps)):
            raw, clean = _files.read_log(self._file(name))
            kept = merge(raw)
            if len(kept) != len(raw) or not clean:
                _files.rewrite_log(self._file(name), kept)

    def _read_config(self) -> Dict[str, Any]:
        try:
            with open(self._file("config.json"), encoding="utf-8") as f:
                config = json.load(f)
        except (OSError, ValueError):
            return {}
        return config if isinstance(config, dict) else {}

    def _read_pair_captions(self) -> Optional[List[str]]:
        try:
            with open(self._file("probe/pairs.tsv"), encoding="utf-8") as f:
                lines = f.read().split("\n")
        except FileNotFoundError:
            return None
        captions = []
        for i, line in enumerate(lines):
            tab = line.find("\t")
            if tab < 0 or (i == 0 and line == "image\tcaption"):
                continue
            captions.append(line[tab + 1:])
        return captions

    @staticmethod
    def _check_probe_pairs(pairs: Sequence[Tuple[Any, str]]) -> Tuple[List[Any], List[str], List[str]]:
        """(images, captions, pairs.tsv image column) of valid probe pairs; raises before anything
        is written."""
        pairs = list(pairs)
        if len(pairs) > MAX_PROBE_PAIRS:
            raise ValueError(f"{len(pairs)} probe pairs: at most {MAX_PROBE_PAIRS} (a fixed sample of the "
                             "validation split is enough to watch the space form)")
        images, captions, columns = [], [], []
        for i, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"probe pair {i}: expected (image, caption), got {pair!r}")
            image, caption = pair
            if not isinstance(caption, str):
                raise TypeError(f"probe pair {i}: the caption must be a string, got {type(caption).__name__}")
            thumbs.check_image(image, i)
            if thumbs.is_file_image(image):
                column = os.path.abspath(os.fspath(image))
                if "\t" in column or "\n" in column or "\r" in column:
                    raise ValueError(f"probe pair {i}: a tab or line break in the image path {column!r}")
            else:
                column = "probe/thumbs/" + thumbs.thumbnail_name(i)   # relative: resolved against RUN
            images.append(image)
            captions.append(_one_line(caption))
            columns.append(column)
        return images, captions, columns

    def _write_probe_pairs(self, checked: Tuple[List[Any], List[str], List[str]], thumbnails: bool,
                           thumb_size: int) -> None:
        images, captions, columns = checked
        thumbs.write_thumbnails(images, self._file("probe/thumbs"), thumb_size, from_files=thumbnails)
        rows = ["image\tcaption\n"] + [f"{c}\t{t}\n" for c, t in zip(columns, captions)]
        _files.write_bytes_atomic(self._file("probe/pairs.tsv"), "".join(rows).encode("utf-8"))
        self._captions = captions
