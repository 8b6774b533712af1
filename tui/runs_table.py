"""The runs table's columns, shared by ``digit-tui runs`` and the app's Runs
view: what each column shows of a run, how it sorts, which columns are worth
showing (those that differ between runs, like ``dvc exp show
--only-changed``) and how they fit a width. The settings two runs differ in
are ``runs_settings``'.

Pure functions of ``core.run_store.RunInfo``: no rich, no textual. Every
value comes from files a user may have edited, so every cell is made with
core.text.printable, and a front end shows it as plain text, never markup.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from core.config import TrainConfig
from core.events import EpochDone
from core.model_io import finite_number
from core.run_store import RunInfo
from core.settings import Setting
from core.text import printable

CELL_LIMIT = 60  # characters of one cell (a hand-edited setting can be long)
NAME_LIMIT = 120  # characters of a name cell: a whole name (at most 100, plus "-2")
# Always shown: a run without them cannot be told apart or judged.
FIXED_COLUMNS = ("name", "when", "outcome")
# The results come first, after the name: they are what a table of runs is
# read for, and at 80 columns they fit beside a name cut short. The time the
# run started is also the start of its name; the settings follow.
RESULT_COLUMNS = ("name", "outcome", "best val", "final val", "test", "epochs", "time")
PARTIAL_MARK = "*"  # after a final accuracy from an epoch that a stop cut short


@dataclass(frozen=True)
class Column:
    """One column: its header, the cell of a run, how it sorts.

    ``sort_key`` gives a value of one type for every run that has one, None
    for a run that does not (those sort last, whichever the direction).
    ``right``: a number, right-aligned, and sorted high first by default.
    ``quiet``: a setting seldom changed, shown only when runs differ in it
    (never named among those the same in every run, which would be long)."""

    header: str
    cell: Callable[[RunInfo], str]
    sort_key: Callable[[RunInfo], Any]
    right: bool = False
    quiet: bool = False

    def text(self, info: RunInfo) -> str:
        return printable(self.cell(info), NAME_LIMIT if self.header == "name" else CELL_LIMIT)

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
    return finite_number((info.config or {}).get(key))  # "lr": 10**400 is valid JSON, and no float


def _text_setting(info: RunInfo, key: str) -> str | None:
    return _setting(info, key) or None


def percent(value: object) -> str:
    return f"{value:.2%}" if isinstance(value, float) else ""


def decimal(value: object) -> str:
    """'0.3812'; a loss too large for that in four significant digits, never hundreds."""
    if not isinstance(value, float):
        return ""
    return f"{value:.4f}" if abs(value) < 1e6 else f"{value:.4g}"


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
    """'11-26 02:24': short enough never to wrap (the year is in the name and in ``runs show``)."""
    return info.started.strftime("%m-%d %H:%M") if info.started else ""


def final_accuracy(info: RunInfo) -> str:
    """The final validation accuracy, marked when a stop cut its epoch short."""
    shown = percent(info.final_val_accuracy)
    return shown + PARTIAL_MARK if shown and info.final_partial else shown


def partial_note(info: RunInfo) -> str | None:
    """Why a stopped run's final accuracy is from one epoch more than it
    counts (``epochs`` counts whole epochs; the last was cut short)."""
    if not info.final_partial or info.final_val_accuracy is None:
        return None
    epoch = f"epoch {info.final_epoch}" if info.final_epoch is not None else "the last epoch"
    return f"final {percent(info.final_val_accuracy)} is from {epoch}, stopped part-way"


# Headers for the settings whose labels are long or taken (epochs: the epochs run).
_SETTING_HEADERS = {
    "optimizer": "optimiser",
    "lr": "lr",
    "batch_size": "batch",
    "epochs": "max epochs",
    "schedule": "schedule",
    "gamma": "gamma",
    "augment": "augment",
    "elastic_alpha": "alpha",
    "elastic_sigma": "sigma",
    "val_fraction": "val share",
}
# The settings named under the table when every run has the same value.
_HEADLINE_SETTINGS = ("optimizer", "lr", "augment")


def _setting_column(item: Setting) -> Column:
    """A column of one training setting (other than the hidden layers)."""
    key = item.name
    missing = "none" if key == "augment" else ""  # runs recorded before augmentation existed
    number = item.kind in ("int", "float")
    return Column(
        _SETTING_HEADERS.get(key, item.label),
        lambda info: _setting(info, key, missing) if info.config else "",
        (lambda info: _number_setting(info, key)) if number else (lambda info: _text_setting(info, key) or None),
        right=number,
        quiet=key not in _HEADLINE_SETTINGS,
    )


COLUMNS: tuple[Column, ...] = (
    Column("name", lambda info: info.name, lambda info: info.name),
    Column("when", when, lambda info: info.started.timestamp() if info.started else None),
    Column("architecture", _architecture, _hidden),
    *(_setting_column(item) for item in TrainConfig.settings() if item.kind != "hidden"),
    Column("epochs", lambda info: whole(info.epochs), lambda info: info.epochs, right=True),
    Column("best val", lambda info: percent(info.best_val_accuracy), lambda info: info.best_val_accuracy, right=True),
    Column("final val", final_accuracy, lambda info: info.final_val_accuracy, right=True),
    Column("test", lambda info: percent(info.test_accuracy), lambda info: info.test_accuracy, right=True),
    Column("time", lambda info: duration(info.train_seconds), lambda info: info.train_seconds, right=True),
    Column("outcome", lambda info: info.outcome, lambda info: info.outcome),
)
BY_HEADER = {column.header: column for column in COLUMNS}


def varying_columns(runs: Sequence[RunInfo]) -> tuple[list[Column], list[str]]:
    """The columns worth showing for ``runs``, and 'header value' for each
    left out because every run has the same value. A column nobody knows (a
    test accuracy never measured) is left out too; name, when and outcome
    always stay; a quiet column only shows where runs differ in it. One run
    shows all that it knows but the quiet settings. A run whose folder has a
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
        if column.quiet and len({text for text, _ in texts if text}) < 2:
            continue  # a blank (a run recorded before the setting existed) is no difference
        if len(runs) > 1 and len(values) == 1:
            same.append(f"{column.header} {next(iter(values))}")
            continue
        shown.append(column)
    return shown, same


def display_order(columns: Sequence[Column]) -> list[Column]:
    """``columns`` with RESULT_COLUMNS' first, then the rest in their own order."""
    first = [column for header in RESULT_COLUMNS for column in columns if column.header == header]
    return first + [column for column in columns if column not in first]


def natural_widths(columns: Sequence[Column], runs: Sequence[RunInfo], measure: Callable[[str], int]) -> dict[str, int]:
    """Each column's width in cells: its widest cell or its header. The
    front end's ``measure`` counts cells (a wide character takes two)."""
    return {
        column.header: max([measure(column.header), *(measure(column.text(info)) for info in runs)])
        for column in columns
    }


NAME_SHORT = 14  # a name's start: its date and time, enough to tell runs apart (and to name one)
NAME_GOOD = 28  # with the preset it started from and a change or two


@dataclass(frozen=True)
class Fit:
    """The columns that fit a width, in display order, their widths, and the
    headers left out for want of room."""

    columns: list[Column]
    widths: dict[str, int]
    left_out: list[str]


def fit_columns(
    columns: Sequence[Column], runs: Sequence[RunInfo], width: int, measure: Callable[[str], int] = len, gap: int = 1
) -> Fit:
    """The columns to show in ``width`` cells (``gap`` between two), each as
    wide as its content (``fit_widths``)."""
    ordered = display_order(columns)
    return fit_widths(ordered, natural_widths(ordered, runs, measure), width, gap)


def fit_widths(
    ordered: Sequence[Column], natural: dict[str, int], width: int, gap: int = 1, name_first: int = NAME_GOOD
) -> Fit:
    """The columns of ``ordered`` (display order) that fit ``width`` cells,
    given each one's ``natural`` width: first the results, whole, beside
    the start of the name; then up to ``name_first`` cells of the name; then
    the others in order (when, the settings) as long as each fits whole, up
    to the first that does not; the rest of the room goes to the name. Dates
    and numbers are never wrapped or cut: a column that does not fit is left out."""
    widths = dict(natural)
    full_name = widths.get("name", 0)
    widths["name"] = min(full_name, NAME_SHORT)
    kept = [column for column in ordered if column.header in RESULT_COLUMNS]

    def room() -> int:
        return width - sum(widths[column.header] for column in kept) - gap * (len(kept) - 1)

    widths["name"] += max(0, min(min(full_name, name_first) - widths["name"], room()))
    left_out: list[str] = []
    for column in ordered:
        if column in kept:
            continue
        if not left_out and widths[column.header] + gap <= room():
            kept.append(column)
        else:  # the first that does not fit, and every one after it: the table reads in order
            left_out.append(column.header)
    widths["name"] += max(0, min(full_name - widths["name"], room()))
    shown = [column for column in ordered if column in kept]
    return Fit(shown, {column.header: widths[column.header] for column in shown}, left_out)


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
        final_epoch=last.epoch,
        final_partial=last.partial,
        train_seconds=last.elapsed,
    )
