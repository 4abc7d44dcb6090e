"""Crash-safe file primitives shared by the run writer, mirroring what the C++ trainer does.

- append_line: one JSON object per line, the whole line in one write() on an O_APPEND descriptor; a
  line torn by an earlier kill is ended first so it spoils only itself (trainer.cpp appendLine). Not
  fsync'ed: like QFile::flush, the line reaches the OS, which survives a killed process.
- write_atomic: a temporary file in the same folder, fsync'ed, then os.replace'd over the target, so
  a kill leaves the old file or the new one, never a torn one (QSaveFile::commit).
- write_npy: NumPy format 1.0, '<f4', C order, through write_atomic (core/npy.cpp writeNpy).
- read_log / merge_* / rewrite_log: JSON Lines read back the way core/runfolder.cpp does (complete,
  parseable lines only; a repeated epoch or step replaces what followed it) and cut back the way
  trainer.cpp truncateLog does (the kept lines byte for byte, atomically).
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

TEMP_SUFFIX = ".tmp"


def to_json_value(value: Any, key: str = "value") -> Any:
    """A JSON-safe copy: NumPy / torch scalars become Python numbers, non-finite floats become null
    (NaN is not JSON: Qt would reject the whole line), dicts and lists are converted recursively."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, dict):
        return {str(k): to_json_value(v, f"{key}/{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v, key) for v in value]
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        value = value.item()                       # numpy scalar / 0-d array
    elif hasattr(value, "detach") and hasattr(value, "numel"):
        if value.numel() != 1:
            raise TypeError(f"{key}: a tensor of {value.numel()} elements is not a scalar")
        value = value.detach().cpu().item()        # a one-element torch tensor
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        f = float(value)
        return f if math.isfinite(f) else None
    raise TypeError(f"{key}: {type(value).__name__} is not a number, bool or string")


def json_line(obj: Dict[str, Any]) -> bytes:
    """Compact JSON (like QJsonDocument::Compact) plus a newline, UTF-8."""
    return (json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _last_byte(fd: int, path: str, size: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, 1, size - 1)
    with open(path, "rb") as f:                     # Windows has no pread
        f.seek(size - 1)
        return f.read(1)


def append_line(path: str, obj: Dict[str, Any]) -> None:
    line = json_line(obj)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    try:
        size = os.fstat(fd).st_size
        if size > 0 and _last_byte(fd, path, size) != b"\n":
            line = b"\n" + line                     # end the torn line left by a kill
        written = os.write(fd, line)
        while written < len(line):                  # regular files write whole; a full disk may not
            n = os.write(fd, line[written:])
            if n <= 0:
                raise OSError(f"{path}: short write")
            written += n
    finally:
        os.close(fd)


def write_atomic(path: str, write: Callable[[io.BufferedWriter], None]) -> None:
    folder, name = os.path.split(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix="." + name + ".", suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def write_bytes_atomic(path: str, data: bytes) -> None:
    write_atomic(path, lambda f: f.write(data))


def write_npy(path: str, matrix: np.ndarray) -> None:
    a = np.ascontiguousarray(matrix, dtype="<f4")
    if a.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D matrix, got shape {a.shape}")
    write_atomic(path, lambda f: np.lib.format.write_array(f, a, version=(1, 0), allow_pickle=False))


def remove_stale_temps(folder: str) -> None:
    """Temporary files a killed writer left behind (.NAME.XXXX.tmp)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(".") and name.endswith(TEMP_SUFFIX):
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                pass


def read_log(path: str) -> Tuple[List[Tuple[Dict[str, Any], bytes]], bool]:
    """The complete, parseable object lines of a JSON Lines file with their raw bytes, and whether
    the file held nothing else (no torn or unparseable line). ([], True) when it does not exist."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return [], True
    out = []
    clean = not data or data.endswith(b"\n")     # a last line without its newline was torn
    end = data.rfind(b"\n")
    for raw in data[:end].split(b"\n") if end >= 0 else []:
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            obj = None
        if isinstance(obj, dict):
            out.append((obj, raw + b"\n"))
        else:
            clean = False
    return out, clean


def int_field(obj: Dict[str, Any], key: str) -> Optional[int]:
    v = obj.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return int(v)


def merge_epochs(entries: List[Tuple[Dict[str, Any], bytes]]) -> List[Tuple[Dict[str, Any], bytes]]:
    """RunFolder::mergeEpochs: a line for an epoch seen before replaces it and everything after."""
    out: List[Tuple[Dict[str, Any], bytes]] = []
    for entry in entries:
        epoch = int_field(entry[0], "epoch")
        if epoch is None or epoch < 1:
            continue
        if epoch <= len(out):
            del out[epoch - 1:]
        out.append(entry)
    return out


def merge_steps(entries: List[Tuple[Dict[str, Any], bytes]]) -> List[Tuple[Dict[str, Any], bytes]]:
    """RunFolder::mergeSteps: a step at or below the last one drops the later ones."""
    out: List[Tuple[Dict[str, Any], bytes]] = []
    for entry in entries:
        step = int_field(entry[0], "step")
        if step is None or step < 1:
            continue
        while out and int_field(out[-1][0], "step") >= step:
            out.pop()
        out.append(entry)
    return out


def rewrite_log(path: str, entries: List[Tuple[Dict[str, Any], bytes]]) -> None:
    """Replaces a log by exactly these lines, byte for byte (atomically); removes it when there are
    none. Like trainer.cpp truncateLog: what a resumed run keeps of its earlier log."""
    if not entries:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return
    write_bytes_atomic(path, b"".join(raw for _, raw in entries))
