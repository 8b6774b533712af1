"""One run folder read back as a ``RunInfo`` (the layout is described in
``core.run_store``): what it says, and a one-line note for anything wrong.

A run that ended is read from its outcome.json; one without (still going,
or killed) from the last lines of its metrics only, so that listing a run
with millions of epochs costs no more than one with ten. Numbers out of
their range were edited by hand: they are dropped and named in the note.
"""

import os
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from .run_files import (
    CONFIG_FILE,
    EDITED,
    FORMAT,
    LIST_TAIL,
    METRICS_FILE,
    MODEL_FILES,
    OUTCOME_FILE,
    OUTCOMES,
    TEST_FILE,
    checked_number,
    checked_whole,
    json_safe,
    read_json,
    read_metrics,
)
from .run_process import writer_alive
from .text import printable


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
        """Every field, ready for a strict JSON writer (``json_safe``)."""
        values = asdict(self)
        values["started"] = self.started.isoformat() if self.started else None
        values["models"] = list(self.models)
        safe: dict[str, Any] = json_safe(values)
        return safe


def read_run(folder: str, name: str) -> RunInfo:
    """What ``folder`` says about its run; never raises for its content."""
    config_data, problem = read_json(folder, CONFIG_FILE, required=True)
    fmt = config_data.get("format") if config_data else None
    if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT:
        note = f"made by a newer digit-tui (format {printable(fmt, 20)}); update digit-tui to read it"
        return RunInfo(name, folder, note=note)
    notes = [problem] if problem else []
    if config_data is not None and fmt != FORMAT:
        notes.append(f"{CONFIG_FILE}: unknown format {printable(fmt, 20)}")
    config = config_data.get("config") if config_data else None
    if config_data is not None and not isinstance(config, dict):
        notes.append(f"{CONFIG_FILE}: no settings")
        config = None
    started = _timestamp(config_data.get("started"), notes) if config_data else None
    outcome_data, problem = read_json(folder, OUTCOME_FILE, required=False)
    notes += [problem] if problem else []
    summary = _outcome_summary(folder, config_data, started, outcome_data, notes)
    test_data, problem = read_json(folder, TEST_FILE, required=False)
    notes += [problem] if problem else []
    return RunInfo(
        name=name,
        folder=folder,
        started=started,
        config=config,
        source=_text(config_data.get("source")) if config_data else None,
        preset=_text(config_data.get("preset")) if config_data else None,
        test_accuracy=_checked(test_data, TEST_FILE, ("test_accuracy",), notes)["test_accuracy"],
        models=tuple(kind for kind, file in MODEL_FILES.items() if os.path.isfile(os.path.join(folder, file))),
        note="; ".join(notes) or None,
        **summary,
    )


def _outcome_summary(
    folder: str,
    config_data: dict[str, Any] | None,
    started: datetime | None,
    outcome_data: dict[str, Any] | None,
    notes: list[str],
) -> dict[str, Any]:
    """The results: from outcome.json once the run ended, else from the end
    of its metrics so far (never the whole file: it may be huge)."""
    if outcome_data is None:
        running = writer_alive(config_data, started)
        return _metrics_summary(folder, "running" if running else ("unfinished" if config_data else "unknown"), notes)
    outcome = outcome_data.get("outcome")
    if outcome not in OUTCOMES:
        notes.append(f"{OUTCOME_FILE}: unknown outcome {printable(outcome, 40)}")
        outcome = "unknown"
    note = _text(outcome_data.get("note"))
    if note:
        notes.append(printable(note, 200))
    keys = ("epochs", "best_epoch", "final_epoch", "best_val_accuracy", "final_val_accuracy", "train_seconds")
    values = _checked(outcome_data, OUTCOME_FILE, keys, notes)
    return values | {"outcome": outcome, "final_partial": outcome_data.get("final_partial") is True}


def _checked(data: dict[str, Any] | None, file: str, keys: tuple[str, ...], notes: list[str]) -> dict[str, Any]:
    """``keys``' values in ``data``, each None when absent or out of its
    range; the ones out of range are named in a note."""
    values, dropped = {}, []
    for key in keys:
        value = (data or {}).get(key)
        number, was_dropped = checked_whole(value) if key in _WHOLE else checked_number(key, value)
        values[key] = number
        if was_dropped:
            dropped.append(f"{key} {printable(value, 24)}")
    if dropped:
        notes.append(f"{file}: {', '.join(dropped)} out of range ({EDITED})")
    return values


_WHOLE = frozenset({"epochs", "best_epoch", "final_epoch"})


def _metrics_summary(folder: str, outcome: str, notes: list[str]) -> dict[str, Any]:
    """A run without outcome.json, from its last metrics lines: a recorded
    line carries the best so far, so the last one is enough."""
    metrics = read_metrics(folder, LIST_TAIL)
    notes += replace(metrics, skipped=0).notes()  # reading only the end is the point here: not a note
    epochs = metrics.epochs
    last = epochs[-1] if epochs else {}
    accuracies = [line for line in epochs if "val_accuracy" in line]
    final = accuracies[-1] if accuracies else {}
    if "best_val_accuracy" in last:
        best, best_epoch = last["best_val_accuracy"], last.get("best_epoch")
    else:  # a line from before the best was recorded in it, or edited
        best = max((line["val_accuracy"] for line in accuracies), default=None)
        best_epoch = next((line["epoch"] for line in accuracies if line["val_accuracy"] == best), None)
        if metrics.skipped and best is not None:
            notes.append(f"{METRICS_FILE}: long; best val of its last lines only")
    return {
        "outcome": outcome,
        "epochs": max(last["epoch"] - last["partial"], 0) if last else 0,
        "best_epoch": best_epoch,
        "best_val_accuracy": best,
        "final_val_accuracy": final.get("val_accuracy"),
        "final_epoch": final.get("epoch"),
        "final_partial": final.get("partial", False),
        "train_seconds": last.get("elapsed"),
    }


def _timestamp(value: object, notes: list[str]) -> datetime | None:
    """A start time; None (said in ``notes`` when there was one) for what is
    no time, or one at the edge of the calendar that cannot be placed on
    the time line (year 1 in a time zone ahead of UTC)."""
    if value is None:
        return None
    if not isinstance(value, str):
        notes.append(f"{CONFIG_FILE}: start time {printable(value, 40)} is not a time")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        notes.append(f"{CONFIG_FILE}: start time {printable(value, 40)} is not a time")
        return None
    try:
        moment = moment if moment.tzinfo else moment.astimezone()  # naive: taken as local time
        moment.timestamp()  # what sorting needs
    except (ValueError, OverflowError, OSError):
        notes.append(f"{CONFIG_FILE}: start time {printable(value, 40)} out of range ({EDITED})")
        return None
    return moment


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
