"""Two runs' settings side by side: those that differ first, the rest dimmed.

Each column is headed by what the run is (the baseline, the run under the
cursor, a selected run) and its name, broken only at its hyphens. The
baseline, else the older run, is on the left, whichever row the cursor is on.
"""

import re
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from core.run_store import RunInfo
from core.text import printable

from .runs_settings import setting_rows

LABEL_WIDTH = 16  # the longest setting label ("validation share")
GUESS_WIDTH = 100  # the table's width before the dialog is laid out
# Cells of a table row that are not its three columns' text: the two
# separators and the padding inside them (no outer edge, no outer padding).
TABLE_CHROME = 6


@dataclass(frozen=True)
class Side:
    """One run in the comparison, and what it is to the user."""

    run: RunInfo
    role: str  # "baseline", "cursor", "selected", "next row"


def ordered(cursor: Side, other: Side) -> tuple[Side, Side]:
    """(left, right): the baseline on the left, else the run started first
    (a run without a start time goes right), so the order never depends on
    which of the two the cursor is on."""
    if other.role == "baseline":
        return other, cursor
    if cursor.role == "baseline":
        return cursor, other
    one, two = cursor.run.started, other.run.started
    if two is not None and (one is None or two < one):
        return other, cursor
    return cursor, other


def name_lines(name: str, width: int) -> str:
    """``name`` (shown safely) in lines of at most ``width`` cells, broken
    after a hyphen, never inside a word; a word longer than a line is
    folded by the table."""
    lines, line = [], ""
    for piece in re.findall(r"[^-]*-|[^-]+$", printable(name, 120)):
        if line and cell_len(line + piece) > width:
            lines.append(line)
            line = ""
        line += piece
    return "\n".join([*lines, line])


def comparison_table(left: Side, right: Side, width: int = GUESS_WIDTH, ascii_only: bool = False) -> Table:
    """setting | left | right: the differences in bold, then, under a rule,
    what both share, dimmed, each as the settings form shows it. Every cell
    is plain text; ``ascii_only`` draws the lines in ASCII."""
    column = max((width - LABEL_WIDTH - TABLE_CHROME) // 2, 8)
    lines = box.ASCII if ascii_only else box.HEAVY_HEAD
    table = Table(expand=True, show_edge=False, pad_edge=False, box=lines)
    table.add_column("setting", no_wrap=True, width=LABEL_WIDTH)
    for side in (left, right):
        heading = Text(side.role, style="bold")
        heading.append("\n" + name_lines(side.run.name, column), style="not bold")
        table.add_column(heading, overflow="fold", ratio=1)
    rows = setting_rows(left.run, right.run)
    differing = [row for row in rows if row[3]]
    if not differing:
        table.add_row(Text("no setting differs", style="italic"), "", "")
    for setting, one, two, _ in differing:
        table.add_row(Text(setting, style="bold"), Text(one, style="bold"), Text(two, style="bold"))
    shared = [row for row in rows if not row[3]]
    if shared:
        table.add_section()
        for setting, one, two, _ in shared:
            table.add_row(Text(setting), Text(one), Text(two), style="dim")
    return table


class ComparisonTable(Static):
    """The table, made again for the width it gets (the names' lines depend on it)."""

    def __init__(self, left: Side, right: Side, ascii_only: bool, **kwargs) -> None:
        super().__init__(comparison_table(left, right, ascii_only=ascii_only), **kwargs)
        self.left, self.right, self.ascii_only, self._width = left, right, ascii_only, 0

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._width = self.size.width
            self.update(comparison_table(self.left, self.right, self._width, self.ascii_only))


class CompareScreen(ModalScreen):
    """The two runs' settings; Escape closes it."""

    BINDINGS = [Binding("escape,v", "close", "Close", tooltip="Close the comparison")]

    def __init__(self, cursor: Side, other: Side, ascii_only: bool = False) -> None:
        super().__init__()
        self.left, self.right = ordered(cursor, other)
        self.ascii_only = ascii_only

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="compare-box"):
            yield Label("Settings that differ, then those both share (dimmed)", classes="dialog-title")
            with VerticalScroll(id="compare-scroll"):
                yield ComparisonTable(self.left, self.right, self.ascii_only, id="compare-table")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#compare-scroll").focus()  # the arrows and PgDn scroll at once

    def action_close(self) -> None:
        self.dismiss(None)
