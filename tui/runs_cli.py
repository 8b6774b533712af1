"""``digit-tui runs``: the recorded runs as a table (newest first), ``runs
show RUN`` (a run's settings and per-epoch metrics) and ``runs rm RUN``.

Deleting is the only thing here that changes anything, and it always asks:
y/N on a terminal (naming the whole run, so a start of its name will do),
``--yes`` to skip the question, which then needs the whole name; with no
terminal to ask and no ``--yes`` it refuses (exit 2), as it does for a run
still training. Everything shown comes from files a user may have edited,
so every value goes through core.text.printable into rich.text.Text, never
into markup, every line is bounded, and --json is strict JSON (no NaN, no
lone surrogates). The storage itself is core.run_store's.
"""

import argparse
import json
import os
import sys
from typing import Any

from core.errors import DigitTuiError
from core.run_store import (
    RunInfo,
    check_not_running,
    find_run,
    json_safe,
    list_runs,
    read_metrics,
    read_run,
    remove_run,
    run_folder,
)
from core.text import printable

from .runs_settings import setting_rows
from .runs_table import (
    PARTIAL_MARK,
    decimal,
    duration,
    fit_columns,
    partial_note,
    percent,
    varying_columns,
    whole,
)

PIPED_WIDTH = 160
SHOWN_EPOCHS = 2000  # rows of the per-epoch table: rich draws about 3000 a second
LINE_LIMIT = 400  # characters of one printed line: a hand-edited file never makes a screenful


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``runs`` to ``commands``, the object add_subparsers() returned."""
    runs = commands.add_parser(
        "runs",
        help="list the recorded training runs; show or delete one",
        description="With no ACTION: the recorded runs, newest first (see the README's Runs section).",
    )
    runs.add_argument("--json", action="store_true", help="print the list as one JSON array")
    actions = runs.add_subparsers(dest="runs_action", metavar="ACTION", parser_class=type(runs))
    show = actions.add_parser("show", help="a run's settings and per-epoch metrics")
    show.add_argument(
        "run", metavar="RUN", help="a name from digit-tui runs, or a start of one that no other run shares"
    )
    show.add_argument("--json", dest="show_json", action="store_true", help="print one JSON object")
    remove = actions.add_parser("rm", help="delete a run: its settings, metrics and models (asks first)")
    remove.add_argument(
        "run", metavar="RUN", help="a name from digit-tui runs, or a start of one (it asks naming the run)"
    )
    remove.add_argument("--yes", "-y", action="store_true", help="do not ask (needed without a terminal)")
    parser: argparse.ArgumentParser = runs
    return parser


def runs_command(args: argparse.Namespace) -> int:
    from .recording import runs_folder

    root = runs_folder()
    if args.runs_action == "show":
        return _show(root, args.run, args.show_json)
    if args.runs_action == "rm":
        return _remove(root, args.run, args.yes)
    return _list(root, args.json)


def _list(root: str, as_json: bool) -> int:
    from .cli import writing_stdout

    runs = list_runs(root)
    with writing_stdout():
        if as_json:
            print(_strict_json([info.to_json() for info in runs]))
            return 0
        console = _console()
        if not runs:
            console.print(_text(f"no runs recorded yet (they are kept in {printable(root, 200)})"))
            return 0
        console.print(_runs_table(runs, console.width))
        for info in runs:
            if info.note:
                console.print(_text(f"{printable(info.name, 80)}: {info.note}"), style="yellow")
    return 0


def _runs_table(runs: list[RunInfo], width: int) -> Any:
    """The runs in ``width`` columns: the results whole, the name cut at its
    end (its start names the run to show and rm), the other columns as long
    as they fit; under it, what is the same in every run and what was left out."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    varying, same = varying_columns(runs)
    fit = fit_columns(varying, runs, width, measure=cell_len)
    lines = [f"the same in every run: {', '.join(same)}"] if same else []
    if fit.left_out:
        lines.append(f"not shown at this width: {', '.join(fit.left_out)} (--json has every field)")
    if any(info.final_partial for info in runs if info.final_val_accuracy is not None):
        lines.append(f"{PARTIAL_MARK} final val from an epoch that a stop cut short (digit-tui runs show says which)")
    caption = _text("\n".join(lines)) if lines else None
    # Narrow: one space between columns, so that the results fit 80 columns.
    table = Table(caption=caption, caption_justify="left", box=box.SIMPLE_HEAD, padding=0, show_edge=False)
    for column in fit.columns:
        table.add_column(
            column.header,
            justify="right" if column.right else "left",
            width=fit.widths[column.header],
            no_wrap=True,
            overflow="ellipsis",
        )
    for info in runs:
        table.add_row(*(_text(column.text(info)) for column in fit.columns))
    return table


def _show(root: str, text: str, as_json: bool) -> int:
    from .cli import writing_stdout

    name = find_run(root, text)
    folder = run_folder(root, name)
    info = read_run(folder, name)
    metrics = read_metrics(folder)
    with writing_stdout():
        notes = [note for note in metrics.notes() if note not in (info.note or "")]  # said once
        if metrics.unreadable:
            notes.append(f"{metrics.unreadable} metrics line(s) could not be read (torn or edited)")
        if as_json:
            print(_strict_json({"run": info.to_json(), "metrics": metrics.epochs, "metrics_notes": notes}))
            return 0
        epochs = metrics.epochs[-SHOWN_EPOCHS:]
        if len(epochs) < len(metrics.epochs):
            read = len(metrics.epochs)
            notes.append(f"the table shows the last {SHOWN_EPOCHS} of the {read} epochs read (--json: all)")
        console = _console()
        for line in _summary_lines(info) + notes:
            console.print(_text(line))
        console.print(_settings_table(info) if info.config else _text("settings unknown"))
        console.print(_metrics_table(epochs) if epochs else _text("no epoch recorded"))
    return 0


def _summary_lines(info: RunInfo) -> list[str]:
    lines = [
        f"run {printable(info.name, 120)}: {info.outcome}",
        f"started {info.started.strftime('%Y-%m-%d %H:%M:%S') if info.started else 'unknown'}",
        f"data {printable(info.source or 'unknown', 200)}",
        f"epochs {whole(info.epochs) or 'unknown'}, training time {duration(info.train_seconds) or 'unknown'}",
        f"validation accuracy: best {_best(info)}, final {_final(info)}",
        f"models kept: {', '.join(info.models) or 'none'} in {printable(info.folder, 200)}",
    ]
    if info.test_accuracy is not None:
        lines.insert(5, f"test accuracy {percent(info.test_accuracy)}")
    if info.note:
        lines.append(f"note: {info.note}")
    return lines


def _best(info: RunInfo) -> str:
    if info.best_val_accuracy is None:
        return "unknown"
    return f"{percent(info.best_val_accuracy)} (epoch {whole(info.best_epoch) or '?'})"


def _final(info: RunInfo) -> str:
    """'96.30% (epoch 14)'; a stopped run's last epoch was cut short, which
    is said, or 'epochs 14 ... final' from epoch 15 would read as a mistake."""
    if info.final_val_accuracy is None:
        return "unknown"
    if info.final_epoch is None:
        return percent(info.final_val_accuracy)
    part = ", stopped part-way" if partial_note(info) else ""
    return f"{percent(info.final_val_accuracy)} (epoch {info.final_epoch}{part})"


def _settings_table(info: RunInfo) -> Any:
    """Each setting as the settings form shows it: its label and value."""
    from rich.table import Table

    table = Table(title="settings")
    table.add_column("setting")
    table.add_column("value")
    for label, value, _, _ in setting_rows(info, info):
        table.add_row(_text(label), _text(value))
    return table


def _metrics_table(epochs: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title="per epoch")
    headers = ("epoch", "running loss", "running acc", "val loss", "val acc", "lr", "elapsed")
    for header in headers:
        table.add_column(header, justify="right")
    for line in epochs:
        epoch = f"{line['epoch']}{' (part)' if line.get('partial') else ''}"
        table.add_row(
            epoch,
            decimal(line.get("running_loss")),
            percent(line.get("running_accuracy")),
            decimal(line.get("val_loss")),
            percent(line.get("val_accuracy")),
            f"{line['lr']:.4g}" if "lr" in line else "",  # any finite float: at most ~10 characters
            duration(line.get("elapsed")),
        )
    return table


def _remove(root: str, text: str, yes: bool) -> int:
    name = find_run(root, text)  # a name that is no run is refused before asking
    shown = printable(name, 120)  # the whole name, whatever start of it was typed
    if yes and name != text:  # nobody sees which run a start of a name picked: only the whole name deletes
        raise DigitTuiError(f"runs rm --yes {printable(text, 40)}: give the whole name to delete it unasked ({shown})")
    check_not_running(run_folder(root, name), name)  # before asking: the answer could not be kept
    if not yes:
        if not _is_terminal(sys.stdin):
            raise DigitTuiError(f"runs rm {shown}: no terminal to ask for confirmation; add --yes to delete it")
        sys.stderr.write(f"delete run {shown}, its metrics and models? [y/N] ")
        sys.stderr.flush()
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            sys.stderr.write(f"kept {shown}\n")
            return 0
    remove_run(root, name)
    sys.stderr.write(f"deleted run {shown}\n")
    return 0


def _is_terminal(stream: Any) -> bool:
    try:
        return stream is not None and bool(stream.isatty())
    except (OSError, ValueError):  # closed
        return False


def _console() -> Any:
    from .headless import _Console  # a closed pipe exits quietly (141), as elsewhere

    console = _Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH  # a file or a pager: room for every column, unwrapped
    return console


def _text(line: str) -> Any:
    """One line of plain text, never markup, never longer than LINE_LIMIT."""
    from rich.text import Text

    return Text("\n".join(printable(part, LINE_LIMIT) for part in line.split("\n")))


def _strict_json(value: object) -> str:
    """JSON any reader takes: json_safe's values, and a NaN that slipped
    through would be a bug (ValueError), not output."""
    return json.dumps(json_safe(value), allow_nan=False)
