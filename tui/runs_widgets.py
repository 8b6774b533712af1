"""The Runs view's widgets: the table of runs and the chart (a thin
widget over ``runs_chart.RunsChart``), and the table's column widths."""

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Group
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable

from core.run_store import RunInfo

from .compact import CompactLines
from .runs_chart import RunsChart
from .runs_table import Column, fit_widths, natural_widths

MARK_COLUMN = "mark"  # the first column: a selected run's marker, "!" for a note
MARK_WIDTH = 2
FILLER_COLUMN = "filler"  # a blank last column, so that the table scrolls to a column's start at its end
FIXED = 2  # the marks and the names stay in place while the other columns scroll
OPEN_TOOLTIP = "Open the run's model (its best epoch's, else its last)"
SORT_ARROWS = {False: ("\u25b2", "\u25bc"), True: ("^", "v")}  # low first, high first
SCROLL_TOOLTIP = "Scroll the columns left or right, one column at a time"


class RunsTable(DataTable):
    """The runs, one row each. Enter opens the run's model (a click on a row
    only moves the cursor; a click on a header sorts by it). Left and right
    scroll a whole column at a time; Home and End go to the first and last run."""

    BINDINGS = [
        Binding("enter", "open_run", "Open", tooltip=OPEN_TOOLTIP),
        Binding("left", "cursor_left", "Scroll", show=False, tooltip=SCROLL_TOOLTIP),
        Binding("right", "cursor_right", "Scroll", show=False, tooltip=SCROLL_TOOLTIP),
        Binding("home", "first_row", "First", show=False, tooltip="The first run"),
        Binding("end", "last_row", "Last", show=False, tooltip="The last run"),
    ]

    class OpenChosen(Message):
        """Enter on a row."""

    def action_open_run(self) -> None:
        self.post_message(self.OpenChosen())

    def action_cursor_right(self) -> None:
        starts = self._column_starts()
        target = next((start for start in starts if start > self.scroll_x), self.max_scroll_x)
        self.scroll_to(x=min(target, self.max_scroll_x), animate=False)

    def action_cursor_left(self) -> None:
        starts = self._column_starts()
        self.scroll_to(x=max((start for start in starts if start < self.scroll_x), default=0), animate=False)

    def _column_starts(self) -> list[int]:
        """Where each scrolling column starts, in the scrolled part's cells."""
        starts, x = [], 0
        for column in self.ordered_columns[self.fixed_columns :]:
            starts.append(x)
            x += column.get_render_width(self)
        return starts

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)


class RunsChartWidget(CompactLines, Widget):
    """A thin widget over ``runs_chart.RunsChart``."""

    curves = reactive((), always_update=True)
    smoothed = reactive(False)

    def __init__(self, ascii_only: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ascii_only = ascii_only

    def render(self):
        chart = RunsChart(self.curves, self.ascii_only, self.smoothed)
        return Group(*chart.lines(self.size.width, self.size.height))


def view_widths(
    columns: Sequence[Column], runs: Sequence[RunInfo], headings: dict[str, str], room: int
) -> dict[str, int]:
    """Each column's width in the view (``columns`` in display order), from
    its content (every cell starts with a blank) and its heading (with the
    sort's arrow): the name takes the room that the marks and the results
    leave in ``room`` cells, at least its start, at most its widest (the
    other columns scroll into view, so the name comes before them)."""
    natural = natural_widths(columns, runs, cell_len)
    widths = {column.header: max(natural[column.header] + 1, cell_len(headings[column.header])) for column in columns}
    if "name" in widths:
        widths["name"] = fit_widths(columns, widths, room - MARK_WIDTH, gap=0, name_first=widths["name"]).widths["name"]
    return widths


def filler_width(widths: Sequence[int], room: int) -> int:
    """The blank after the last column that makes the table scroll to a
    column's start at its right end, as at every step (``widths``: those of
    the scrolling columns; ``room``: the cells they are seen in)."""
    total = sum(widths)
    if total <= room:
        return 0
    start = 0
    for width in widths:  # the first column from which the rest fit the room
        if total - start <= room:
            break
        start += width
    return room - (total - start)
