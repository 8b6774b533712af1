"""The runs kept on disk: where they live, reading them back, removing and pruning.

Every training run (``digit-tui train``, later the app) gets its own folder
under ``runs/`` in the data folder, written only by the process that made
it (``core.run_record``):

    config.json        {"format", "name", "started", "source", "preset", "config", "pid", "host"}
    metrics.jsonl      one JSON line per epoch, appended and flushed as it ends
    model-best.npz     the weights of the epoch with the best validation accuracy
    model-final.npz    those of the last epoch (both written at the end, pruned in old runs)
    outcome.json       {"format", "outcome", ...} once the run has ended
    test.json          {"test_accuracy"} once the model was scored on a test set

A folder may be half-written (a kill), edited by hand or made by a newer
digit-tui: reading one never raises for that, it says what is wrong in
``RunInfo.note``, one line. Nothing here prints.
"""

import json
import os
import shutil
import socket
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from .errors import DigitTuiError
from .model_io import finite_number
from .text import printable

FORMAT = 1  # bump when a file's layout changes; a newer folder is listed with a note
RUNS_FOLDER = "runs"
CONFIG_FILE, METRICS_FILE, OUTCOME_FILE, TEST_FILE = "config.json", "metrics.jsonl", "outcome.json", "test.json"
MODEL_FILES = {"best": "model-best.npz", "final": "model-final.npz"}
OUTCOMES = ("completed", "stopped", "early stopped", "diverged", "failed", "interrupted")
DEFAULT_KEEP_MODELS = 20
AMBIGUOUS_SHOWN = 3  # runs named when a start of a name matches several (the error stays one short line)
JSON_LIMIT = 1 << 20  # a real config.json is about 1 KB: refuse a file made to fill memory
METRICS_LIMIT = 64 << 20  # 100,000 epochs at ~300 bytes a line fit, with room
# The numbers an epoch's line may hold; anything else in a line is dropped.
METRIC_KEYS = (
    "epoch",
    "batches_done",
    "running_loss",
    "running_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "samples_per_second",
    "elapsed",
)


class RunsError(DigitTuiError):
    """A run name that is not a run, or a runs folder that cannot be used."""


@dataclass(frozen=True)
class RunInfo:
    """One run folder as read: None for anything unknown or unreadable.

    ``outcome`` is one of OUTCOMES once the run has ended; "running" while
    the process that writes it lives, "unfinished" when it died without a
    word (a kill, a power cut), "unknown" when the folder cannot be read."""

    name: str
    folder: str
    outcome: str = "unknown"
    started: datetime | None = None
    config: dict[str, Any] | None = None
    source: str | None = None
    preset: str | None = None  # the preset its name is made from
    epochs: int | None = None  # whole epochs
    best_epoch: int | None = None
    best_val_accuracy: float | None = None
    final_val_accuracy: float | None = None
    final_epoch: int | None = None  # the epoch final_val_accuracy is from
    final_partial: bool = False  # that epoch was cut short by a stop
    test_accuracy: float | None = None
    train_seconds: float | None = None
    models: tuple[str, ...] = ()  # the model files still there: "best", "final"
    note: str | None = None

    @property
    def ended(self) -> bool:
        return self.outcome in OUTCOMES

    def to_json(self) -> dict[str, Any]:
        values = asdict(self)
        values["started"] = self.started.isoformat() if self.started else None
        values["models"] = list(self.models)
        return values


@dataclass(frozen=True)
class Metrics:
    """A run's per-epoch lines, in order; ``unreadable`` counts the lines
    dropped (a torn last line after a kill, a line edited by hand)."""

    epochs: list[dict[str, Any]]
    unreadable: int


def runs_root(data_folder: str) -> str:
    """The folder of run folders, inside the user's data folder."""
    return os.path.join(data_folder, RUNS_FOLDER)


def recording_enabled(no_record: bool, environ: Mapping[str, str]) -> bool:
    """False for ``--no-record`` (one run) or DIGIT_TUI_RECORD=off (for good)."""
    return not no_record and environ.get("DIGIT_TUI_RECORD", "on").strip().lower() not in ("off", "0", "no", "false")


def models_to_keep(environ: Mapping[str, str]) -> int:
    """How many of the newest runs keep their models: DIGIT_TUI_KEEP_MODELS, default 20."""
    text = environ.get("DIGIT_TUI_KEEP_MODELS", "").strip()
    if not text:
        return DEFAULT_KEEP_MODELS
    if not text.isdigit() or not 0 <= int(text) <= 1_000_000:
        raise RunsError(f"DIGIT_TUI_KEEP_MODELS={printable(text, 40)}: not a whole number of runs in [0, 1000000]")
    return int(text)


def list_runs(root: str) -> list[RunInfo]:
    """Every run folder under ``root``, newest first; [] when there is none yet."""
    try:
        entries = [entry for entry in os.scandir(root) if _is_run_entry(entry)]
    except FileNotFoundError:
        return []
    except OSError as error:
        raise RunsError(f"{printable(root)}: cannot read the runs folder ({error.strerror or error})") from None
    runs = [read_run(os.path.join(root, entry.name), entry.name) for entry in entries]
    return sorted(runs, key=lambda info: (_sort_time(info), info.name), reverse=True)


def _is_run_entry(entry: os.DirEntry[str]) -> bool:
    """Folders only, never through a link; dotted names are being removed."""
    try:
        return not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _sort_time(info: RunInfo) -> float:
    if info.started is not None:
        return info.started.timestamp()
    try:
        return os.lstat(info.folder).st_mtime
    except OSError:
        return 0.0


def run_folder(root: str, name: str) -> str:
    """The folder of the run ``name``; RunsError for a name that is not one
    (a path, ``..``, a hidden name, a link, a file, nothing)."""
    shown = printable(name, 80)
    if not name or name in (".", "..") or name.startswith(".") or "/" in name or os.sep in name or "\0" in name:
        raise RunsError(f"{shown}: not a run name (digit-tui runs lists them)")
    folder = os.path.join(root, name)
    try:
        mode = os.lstat(folder).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise RunsError(f"{shown}: no such run in {printable(root)} (digit-tui runs lists them)") from None
    except OSError as error:
        raise RunsError(f"{shown}: cannot read the run ({error.strerror or error})") from None
    if not stat.S_ISDIR(mode):
        raise RunsError(f"{shown}: not a run folder (a link or a file) in {printable(root)}")
    return folder


def find_run(root: str, text: str) -> str:
    """The name of the run ``text`` names: the whole name, else the only
    run whose name starts with it (``20261126-0224`` is usually enough).
    RunsError when no run matches, or when several do (they are named)."""
    if not _could_be_a_name(text) or os.path.lexists(os.path.join(root, text)):
        run_folder(root, text)  # refuses a path, a link, a file
        return text
    try:
        entries = [entry for entry in os.scandir(root) if entry.name.startswith(text)]
        matches = sorted(entry.name for entry in entries if _is_run_entry(entry))
    except FileNotFoundError:
        matches = []
    except OSError as error:
        raise RunsError(f"{printable(root)}: cannot read the runs folder ({error.strerror or error})") from None
    if len(matches) == 1:
        return matches[0]
    if not matches:
        shown = printable(text, 80)
        raise RunsError(f"{shown}: no run's name is or starts with it in {printable(root)} (digit-tui runs lists them)")
    shown = printable(text, 40)
    listed = ", ".join(printable(name, 56) for name in matches[:AMBIGUOUS_SHOWN])
    more = f" and {len(matches) - AMBIGUOUS_SHOWN} more" if len(matches) > AMBIGUOUS_SHOWN else ""
    raise RunsError(f"{shown}: {len(matches)} runs start with that ({listed}{more}); give more of the name")


def _could_be_a_name(text: str) -> bool:
    """A start of a run's name: no path, nothing hidden, nothing empty."""
    return bool(text) and not text.startswith(".") and "/" not in text and os.sep not in text and "\0" not in text


def read_run(folder: str, name: str) -> RunInfo:
    """What ``folder`` says about its run; never raises for its content."""
    config_data, problem = _read_json(folder, CONFIG_FILE, required=True)
    fmt = config_data.get("format") if config_data else None
    if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT:
        return RunInfo(name, folder, note=f"made by a newer digit-tui (format {fmt}); update digit-tui to read it")
    notes = [problem] if problem else []
    if config_data is not None and fmt != FORMAT:
        notes.append(f"{CONFIG_FILE}: unknown format {printable(fmt, 20)}")
    config = config_data.get("config") if config_data else None
    if config_data is not None and not isinstance(config, dict):
        notes.append(f"{CONFIG_FILE}: no settings")
        config = None
    outcome_data, problem = _read_json(folder, OUTCOME_FILE, required=False)
    notes += [problem] if problem else []
    summary = _outcome_summary(folder, config_data, outcome_data, notes)
    test_data, problem = _read_json(folder, TEST_FILE, required=False)
    notes += [problem] if problem else []
    return RunInfo(
        name=name,
        folder=folder,
        started=_timestamp(config_data.get("started")) if config_data else None,
        config=config,
        source=_text(config_data.get("source")) if config_data else None,
        preset=_text(config_data.get("preset")) if config_data else None,
        test_accuracy=finite_number(test_data.get("test_accuracy")) if test_data else None,
        models=tuple(kind for kind, file in MODEL_FILES.items() if os.path.isfile(os.path.join(folder, file))),
        note="; ".join(notes) or None,
        **summary,
    )


def _outcome_summary(
    folder: str, config_data: dict[str, Any] | None, outcome_data: dict[str, Any] | None, notes: list[str]
) -> dict[str, Any]:
    """The results: from outcome.json once the run ended, else from its metrics so far."""
    if outcome_data is not None:
        outcome = outcome_data.get("outcome")
        if outcome not in OUTCOMES:
            notes.append(f"{OUTCOME_FILE}: unknown outcome {printable(outcome, 40)}")
            outcome = "unknown"
        note = _text(outcome_data.get("note"))
        if note:
            notes.append(printable(note, 200))
        return {
            "outcome": outcome,
            "epochs": _whole(outcome_data.get("epochs")),
            "best_epoch": _whole(outcome_data.get("best_epoch")),
            "best_val_accuracy": finite_number(outcome_data.get("best_val_accuracy")),
            "final_val_accuracy": finite_number(outcome_data.get("final_val_accuracy")),
            "final_epoch": _whole(outcome_data.get("final_epoch")),
            "final_partial": outcome_data.get("final_partial") is True,
            "train_seconds": finite_number(outcome_data.get("train_seconds")),
        }
    epochs = read_metrics(folder).epochs
    accuracies = [line for line in epochs if "val_accuracy" in line]
    best = max((line["val_accuracy"] for line in accuracies), default=None)
    final = accuracies[-1] if accuracies else {}
    return {
        "outcome": "running" if _writer_alive(config_data) else ("unfinished" if config_data else "unknown"),
        "epochs": sum(not line["partial"] for line in epochs),
        "best_epoch": next((line.get("epoch") for line in epochs if line.get("val_accuracy") == best), None),
        "best_val_accuracy": best,
        "final_val_accuracy": final.get("val_accuracy"),
        "final_epoch": final.get("epoch"),
        "final_partial": final.get("partial", False),
        "train_seconds": epochs[-1].get("elapsed") if epochs else None,
    }


def read_metrics(folder: str) -> Metrics:
    """The run's epoch lines; a torn or edited line is counted and skipped,
    and only the known numbers of a line are kept (so a front end can
    format every value it gets)."""
    try:
        with open(os.path.join(folder, METRICS_FILE), "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return Metrics([], 0)
            lines = stream.read(METRICS_LIMIT).splitlines()
    except OSError:
        return Metrics([], 0)
    epochs, unreadable = [], 0
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:  # a torn line, bad UTF-8
            record = None
        if isinstance(record, dict) and _whole(record.get("epoch")) is not None:
            epochs.append(_clean_metrics(record))
        elif line.strip():
            unreadable += 1
    return Metrics(epochs, unreadable)


def _clean_metrics(record: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {key: finite_number(record.get(key)) for key in METRIC_KEYS}
    kept["epoch"] = _whole(record["epoch"])
    kept["partial"] = record.get("partial") is True
    return {key: value for key, value in kept.items() if value is not None}


def remove_run(root: str, name: str) -> None:
    """Delete the run ``name``, models, metrics and all (RunsError if it is
    not a run). It is first renamed to a hidden name, so a listing never
    shows a half-deleted run."""
    folder = run_folder(root, name)
    hidden = os.path.join(root, f".removing-{name}-{os.getpid()}")
    try:
        os.rename(folder, hidden)
        shutil.rmtree(hidden)
    except OSError as error:
        raise RunsError(f"{printable(name, 80)}: cannot delete the run ({error.strerror or error})") from None


def prune_models(root: str, keep: int) -> list[str]:
    """Delete the model files of every ended run but the ``keep`` newest;
    metrics and settings stay. Returns the names of the runs pruned. Runs
    still going are never touched (they write their models at the end)."""
    pruned = []
    for info in list_runs(root)[keep:]:
        if not info.ended or not info.models:
            continue
        for kind in info.models:
            try:
                os.unlink(os.path.join(info.folder, MODEL_FILES[kind]))
            except FileNotFoundError:
                pass  # another process pruned it first
        pruned.append(info.name)
    return pruned


def _read_json(folder: str, file: str, required: bool) -> tuple[dict[str, Any] | None, str | None]:
    """(the object in ``file``, None) or (None, a note saying why not)."""
    path = os.path.join(folder, file)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO named config.json must not block
    except FileNotFoundError:
        return None, (f"no {file} (half-written?)" if required else None)
    except OSError as error:
        return None, f"{file}: cannot read ({error.strerror or error})"
    try:
        with os.fdopen(descriptor, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return None, f"{file}: not a regular file"
            data = stream.read(JSON_LIMIT + 1)
    except OSError as error:
        return None, f"{file}: cannot read ({error.strerror or error})"
    if len(data) > JSON_LIMIT:
        return None, f"{file}: too large"
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None, f"{file}: not valid JSON (half-written or edited?)"
    if not isinstance(value, dict):
        return None, f"{file}: not a JSON object"
    return value, None


def _writer_alive(config_data: dict[str, Any] | None) -> bool:
    """Whether the process that writes this run still runs (on this machine)."""
    if not config_data or config_data.get("host") != socket.gethostname():
        return False
    pid = _whole(config_data.get("pid"))
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except PermissionError:
        return True  # it exists, owned by someone else
    except (OSError, OverflowError):  # ProcessLookupError: gone
        return False
    return True


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.astimezone()  # naive: taken as local time


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63 else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
