"""Two runs' settings side by side: those that differ first, the rest dimmed."""

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from core.run_store import RunInfo
from core.text import printable

from .runs_table import setting_rows

NAME_WIDTH = 40  # a column's heading: the run's name, cut in the middle


def comparison_table(first: RunInfo, second: RunInfo) -> Table:
    """setting | first | second: the differences in bold, then, under a rule,
    what both share, dimmed. Every cell is plain text."""
    table = Table(expand=True, show_edge=False, pad_edge=False)
    table.add_column("setting", no_wrap=True)
    table.add_column(Text(printable(first.name, NAME_WIDTH)), overflow="fold")
    table.add_column(Text(printable(second.name, NAME_WIDTH)), overflow="fold")
    rows = setting_rows(first, second)
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


class CompareScreen(ModalScreen):
    """The two runs' settings; Escape closes it."""

    BINDINGS = [Binding("escape,v", "close", "Close", tooltip="Close the comparison")]

    def __init__(self, first: RunInfo, second: RunInfo) -> None:
        super().__init__()
        self.first, self.second = first, second

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="compare-box"):
            yield Label("Settings that differ, then those both share (dimmed)", classes="dialog-title")
            with VerticalScroll(id="compare-scroll"):
                yield Static(comparison_table(self.first, self.second), id="compare-table")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#compare-scroll").focus()  # the arrows and PgDn scroll at once

    def action_close(self) -> None:
        self.dismiss(None)
