"""The runs table's columns, shared by ``digit-tui runs`` and the app's Runs
view: what each column shows of a run, how it sorts, which columns are worth
showing (those that differ between runs, like ``dvc exp show
--only-changed``), and the settings two runs differ in.

Pure functions of ``core.run_store.RunInfo``: no rich, no textual. Every
value comes from files a user may have edited, so every cell is made with
core.text.printable, and a front end shows it as plain text, never markup.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from core.events import EpochDone
from core.run_store import RunInfo
from core.text import printable

CELL_LIMIT = 60  # characters of one cell (a hand-edited setting can be long)
# Always shown: a run without them cannot be told apart or judged.
FIXED_COLUMNS = ("name", "when", "outcome")


@dataclass(frozen=True)
class Column:
    """One column: its header, the cell of a run, how it sorts.

    ``sort_key`` gives a value of one type for every run that has one, None
    for a run that does not (those sort last, whichever the direction).
    ``right``: a number, right-aligned, and sorted high first by default."""

    header: str
    cell: Callable[[RunInfo], str]
    sort_key: Callable[[RunInfo], Any]
    right: bool = False

    def text(self, info: RunInfo) -> str:
        return printable(self.cell(info), CELL_LIMIT)

    @property
    def high_first(self) -> bool:
        """The first direction a sort by this column takes: the newest, the best, the longest first."""
        return self.right or self.header == "when"


def _architecture(info: RunInfo) -> str:
    hidden = _hidden(info)
    if hidden is None:
        return "?" if info.config else ""
    return "-".join(str(size) for size in [784, *hidden, 10])


def _hidden(info: RunInfo) -> list[int] | None:
    hidden = (info.config or {}).get("hidden")
    if not isinstance(hidden, list) or not all(type(size) is int for size in hidden):
        return None
    return hidden


def _setting(info: RunInfo, key: str, missing: str = "") -> str:
    value = (info.config or {}).get(key)
    if value is None:
        return missing
    return f"{value:g}" if isinstance(value, float) else str(value)


def _number_setting(info: RunInfo, key: str) -> float | None:
    value = (info.config or {}).get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text_setting(info: RunInfo, key: str) -> str | None:
    return _setting(info, key) or None


def percent(value: object) -> str:
    return f"{value:.2%}" if isinstance(value, float) else ""


def decimal(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else ""


def whole(value: object) -> str:
    return str(value) if isinstance(value, int) else ""


def duration(seconds: object) -> str:
    """'8.21 s', '42.0 s', '3 min 07 s', '2 h 05 min'; '' when unknown."""
    if not isinstance(seconds, float):
        return ""
    if seconds < 60:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def when(info: RunInfo) -> str:
    return info.started.strftime("%d %b %Y %H:%M") if info.started else ""


COLUMNS: tuple[Column, ...] = (
    Column("name", lambda info: info.name, lambda info: info.name),
    Column("when", when, lambda info: info.started.timestamp() if info.started else None),
    Column("architecture", _architecture, _hidden),
    Column("optimiser", lambda info: _setting(info, "optimizer"), lambda info: _text_setting(info, "optimizer")),
    Column("lr", lambda info: _setting(info, "lr"), lambda info: _number_setting(info, "lr"), right=True),
    Column(
        "augment",
        lambda info: _setting(info, "augment", missing="none") if info.config else "",
        lambda info: _setting(info, "augment", missing="none") if info.config else None,
    ),
    Column("epochs", lambda info: whole(info.epochs), lambda info: info.epochs, right=True),
    Column("best val", lambda info: percent(info.best_val_accuracy), lambda info: info.best_val_accuracy, right=True),
    Column(
        "final val", lambda info: percent(info.final_val_accuracy), lambda info: info.final_val_accuracy, right=True
    ),
    Column("test", lambda info: percent(info.test_accuracy), lambda info: info.test_accuracy, right=True),
    Column("time", lambda info: duration(info.train_seconds), lambda info: info.train_seconds, right=True),
    Column("outcome", lambda info: info.outcome, lambda info: info.outcome),
)
BY_HEADER = {column.header: column for column in COLUMNS}


def varying_columns(runs: Sequence[RunInfo]) -> tuple[list[Column], list[str]]:
    """The columns worth showing for ``runs``, and 'header value' for each
    left out because every run has the same value. A column nobody knows (a
    test accuracy never measured) is left out too; name, when and outcome
    always stay. One run shows all that it knows. A run whose folder has a
    note counts only for the values it has."""
    shown, same = [], []
    for column in COLUMNS:
        if column.header in FIXED_COLUMNS:
            shown.append(column)
            continue
        texts = [(column.text(info), info.note) for info in runs]
        if not any(text for text, _ in texts):
            continue
        # A blank from a run with a note (a half-written folder) says nothing:
        # it does not make a column that is the same in every other run differ.
        values = {text for text, note in texts if text or note is None}
        if len(runs) > 1 and len(values) == 1:
            same.append(f"{column.header} {next(iter(values))}")
            continue
        shown.append(column)
    return shown, same


def sorted_runs(runs: Sequence[RunInfo], column: Column, high_first: bool) -> list[RunInfo]:
    """``runs`` by ``column``; runs without a value last, in their order."""
    known = [info for info in runs if column.sort_key(info) is not None]
    unknown = [info for info in runs if column.sort_key(info) is None]
    return sorted(known, key=column.sort_key, reverse=high_first) + unknown


def live_info(info: RunInfo, history: Sequence[EpochDone]) -> RunInfo:
    """The current run as the app knows it, newer than its folder: its
    epochs so far (``history``, the app's records), still running."""
    if not history:
        return replace(info, outcome="running")
    last = history[-1]
    return replace(
        info,
        outcome="running",
        epochs=last.epoch - last.partial,
        best_epoch=last.best_epoch,
        best_val_accuracy=last.best_val_accuracy,
        final_val_accuracy=last.val_accuracy,
        train_seconds=last.elapsed,
    )


def setting_rows(first: RunInfo, second: RunInfo) -> list[tuple[str, str, str, bool]]:
    """(setting, the first's value, the second's, whether they differ) for
    every setting either run has and the data they were trained on; those
    that differ first, each group in the settings' order."""
    one, two = first.config or {}, second.config or {}
    keys = list(one) + [key for key in two if key not in one]
    sources = (printable(first.source or "", CELL_LIMIT), printable(second.source or "", CELL_LIMIT))
    rows = [("data", *sources, first.source != second.source)]
    for key in keys:
        differ = one.get(key, _MISSING) != two.get(key, _MISSING)
        rows.append((printable(key, 40), _value_text(one, key), _value_text(two, key), differ))
    return [row for row in rows if row[3]] + [row for row in rows if not row[3]]


_MISSING = object()


def _value_text(config: dict[str, Any], key: str) -> str:
    if key not in config:
        return ""
    return printable(json.dumps(config[key]), CELL_LIMIT)
