"""Reading one run folder's files (``core.run_store`` has the layout):
never blocking, never trusting what is in them.

Every file is opened non-blocking and looked at before a byte is read
(``core.files``): a FIFO named metrics.jsonl would otherwise hang a
listing, and with it every ``train`` that prunes at its end. A number is
kept only where it can be true (an accuracy in [0, 1], a time of at most
ten years); anything else was edited by hand, and is dropped and counted,
so that a front end can format every value it gets. Nothing here raises
for what a file holds, and nothing prints.
"""

import json
import math
import os
import re
from dataclasses import dataclass
from typing import Any, BinaryIO

from .errors import DigitTuiError
from .files import open_regular
from .model_io import finite_number
from .text import printable

FORMAT = 1  # bump when a file's layout changes; a newer folder is listed with a note
CONFIG_FILE, METRICS_FILE, OUTCOME_FILE, TEST_FILE = "config.json", "metrics.jsonl", "outcome.json", "test.json"
MODEL_FILES = {"best": "model-best.npz", "final": "model-final.npz"}
OUTCOMES = ("completed", "stopped", "early stopped", "diverged", "failed", "interrupted")
JSON_LIMIT = 1 << 20  # a real config.json is about 1 KB: refuse a file made to fill memory
DEPTH_LIMIT = 32  # nesting of a JSON file: a real one has 3 levels; deeper ones would recurse in every reader
METRICS_LIMIT = 4 << 20  # the end of metrics.jsonl read for show and the chart: ~15,000 epochs
LIST_TAIL = 64 << 10  # what a listing reads of an unfinished run's metrics: its last lines
MAX_SECONDS = 10 * 365.25 * 24 * 3600  # a run's time: ten years is already an edit
# The numbers an epoch's line may hold; anything else in a line is dropped.
METRIC_KEYS = (
    "epoch",
    "batches_done",
    "best_epoch",
    "running_loss",
    "running_accuracy",
    "val_loss",
    "val_accuracy",
    "best_val_accuracy",
    "lr",
    "samples_per_second",
    "elapsed",
)
WHOLE_KEYS = frozenset({"epoch", "batches_done", "best_epoch"})
_ACCURACY = (0.0, 1.0)
_AT_LEAST_ZERO = (0.0, math.inf)
_SECONDS = (0.0, MAX_SECONDS)
# Where each number read from a run folder can be true, inclusive.
RANGES = {
    "running_accuracy": _ACCURACY,
    "val_accuracy": _ACCURACY,
    "best_val_accuracy": _ACCURACY,
    "final_val_accuracy": _ACCURACY,
    "test_accuracy": _ACCURACY,
    "running_loss": _AT_LEAST_ZERO,
    "val_loss": _AT_LEAST_ZERO,
    "lr": _AT_LEAST_ZERO,
    "samples_per_second": _AT_LEAST_ZERO,
    "elapsed": _SECONDS,
    "train_seconds": _SECONDS,
}
EDITED = "edited by hand?"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class _FileProblem(DigitTuiError):
    """A file of a run folder that cannot be read: becomes a note."""


@dataclass(frozen=True)
class Metrics:
    """A run's per-epoch lines, in order. ``unreadable`` counts the lines
    dropped (a torn last line after a kill, a line edited by hand),
    ``dropped`` the values out of their range, ``skipped`` the bytes at the
    start of a long file not read, and ``problem`` says why the file could
    not be read at all (a FIFO, a folder)."""

    epochs: list[dict[str, Any]]
    unreadable: int = 0
    dropped: int = 0
    skipped: int = 0
    problem: str | None = None

    def notes(self) -> list[str]:
        """What is wrong with the file, a short line each."""
        notes = [self.problem] if self.problem else []
        if self.dropped:
            notes.append(f"{METRICS_FILE}: {self.dropped} value(s) out of range dropped ({EDITED})")
        if self.skipped:
            notes.append(f"{METRICS_FILE}: its first {_size(self.skipped)} not read (only the end of a long file is)")
        return notes


def checked_number(key: str, value: object) -> tuple[float | None, bool]:
    """(``value`` as a number where ``key``'s can be, None otherwise; and
    whether a value was there but dropped). A null is no edit: NaN and
    infinity are written as null."""
    if value is None:
        return None, False
    number = finite_number(value)
    low, high = RANGES.get(key, (-math.inf, math.inf))
    if number is None or not low <= number <= high:
        return None, True
    return number, False


def checked_whole(value: object) -> tuple[int | None, bool]:
    """The same for a whole number (``whole``)."""
    number = whole(value)
    return number, number is None and value is not None


def whole(value: object) -> int | None:
    """A whole number of epochs or batches: an int, not a bool, in [0, 2**63)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63 else None


def read_json(folder: str, file: str, required: bool) -> tuple[dict[str, Any] | None, str | None]:
    """(the object in ``file``, None) or (None, a note saying why not);
    a missing file is said only when ``required``."""
    stream, problem = _open(os.path.join(folder, file), file)
    if stream is None:
        return None, problem or (f"no {file} (half-written?)" if required else None)
    try:
        with stream:
            data = stream.read(JSON_LIMIT + 1)
    except OSError as error:
        return None, f"{file}: cannot read ({error.strerror or error})"
    if len(data) > JSON_LIMIT:
        return None, f"{file}: too large"
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):  # torn, bad UTF-8, a number of 5000 digits, "[" * 100000
        return None, f"{file}: not valid JSON (half-written or edited?)"
    if not isinstance(value, dict):
        return None, f"{file}: not a JSON object"
    if _depth(value) > DEPTH_LIMIT:
        return None, f"{file}: nested too deeply ({EDITED})"
    return value, None


def read_metrics(folder: str, limit: int = METRICS_LIMIT) -> Metrics:
    """The run's epoch lines, from at most the last ``limit`` bytes of the
    file (``skipped`` says how many were not read); a torn or edited line is
    counted and skipped, and only the known numbers of a line, in range,
    are kept (so a front end can format every value it gets)."""
    stream, problem = _open(os.path.join(folder, METRICS_FILE), METRICS_FILE)
    if stream is None:
        return Metrics([], problem=problem)
    try:
        with stream:
            skipped, data = _read_tail(stream, limit)
    except OSError as error:
        return Metrics([], problem=f"{METRICS_FILE}: cannot read ({error.strerror or error})")
    epochs, unreadable, dropped = [], 0, 0
    for line in data.splitlines():
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # a torn line, bad UTF-8
            record = None
        if isinstance(record, dict) and whole(record.get("epoch")) is not None:
            kept, count = _clean_metrics(record)
            epochs.append(kept)
            dropped += count
        elif line.strip():
            unreadable += 1
    return Metrics(epochs, unreadable, dropped, skipped)


def _clean_metrics(record: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The known numbers of one line, and how many of its values were out of range."""
    kept: dict[str, Any] = {"partial": record.get("partial") is True}
    dropped = 0
    for key in METRIC_KEYS:
        value = record.get(key)
        number, was_dropped = checked_whole(value) if key in WHOLE_KEYS else checked_number(key, value)
        dropped += was_dropped
        if number is not None:
            kept[key] = number
    return kept, dropped


def _open(path: str, file: str) -> tuple[BinaryIO | None, str | None]:
    """(the file, None) for a regular file, opened without blocking (a FIFO
    would otherwise wait for a writer forever); (None, None) when there is
    no such file; (None, a note) for anything else (a FIFO, a device, a folder)."""
    try:
        return open_regular(path, _FileProblem, "regular file"), None
    except _FileProblem as error:
        return None, _short(str(error), path, file) if os.path.lexists(path) else None


def _read_tail(stream: BinaryIO, limit: int) -> tuple[int, bytes]:
    """(the bytes left out, the whole lines in the last ``limit`` bytes of ``stream``)."""
    start = max(os.fstat(stream.fileno()).st_size - limit, 0)
    if start == 0:
        return 0, stream.read(limit)
    stream.seek(start - 1)  # from the byte before: a line starting at ``start`` is whole
    data = stream.read(limit + 1)
    cut = data.find(b"\n") + 1  # the first line began before: it is cut
    return start - 1 + cut, data[cut:]


def _short(message: str, path: str, file: str) -> str:
    """A core.files message names the whole path: a note names the file."""
    shown = printable(path)
    return file + message[len(shown) :] if message.startswith(shown) else printable(message, 200)


def _depth(value: object) -> int:
    """How deeply ``value`` nests lists and objects, without recursing."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > DEPTH_LIMIT:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _size(count: int) -> str:
    return f"{count / (1 << 20):.0f} MB" if count >= 1 << 20 else f"{count // 1024} KB"


def json_safe(value: Any) -> Any:
    """``value`` as strict JSON can hold it: NaN and infinity (which a
    hand-edited config.json may hold) as null, and text with lone
    surrogates (the undecodable bytes of a folder's name) in backslash form,
    which any reader can print. Its depth is bounded (``read_json``)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return lossless_text(value)
    if isinstance(value, dict):
        return {lossless_text(str(key)): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def lossless_text(text: str) -> str:
    """``text`` with each lone surrogate written out: ``\\xff`` for a byte
    that os.fsdecode could not decode, ``\\ud800`` for any other."""
    if not _SURROGATE.search(text):
        return text

    def spelled(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"

    return _SURROGATE.sub(spelled, text)
