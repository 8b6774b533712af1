"""The Runs view's widgets: the table of runs and the chart (a thin
widget over ``runs_chart.RunsChart``), and how the view orders columns."""

from rich.console import Group
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable

from .compact import CompactLines
from .runs_chart import RunsChart
from .runs_table import Column

NAME_WIDTH = 28  # cells of the name column: a long name is cut in the middle (both ends tell runs apart)
# The results first: the name already says how a run's settings differ, and
# at 80 columns the name and results fit, the rest scrolls (left, right).
VIEW_ORDER = ("name", "outcome", "best val", "final val", "test", "epochs", "time")
MARK_COLUMN = "mark"  # the first column: a selected run's marker, "!" for a note
OPEN_TOOLTIP = "Open the run's model (its best epoch's, else its last)"
SORT_ARROWS = {False: ("\u25b2", "\u25bc"), True: ("^", "v")}  # low first, high first


class RunsTable(DataTable):
    """The runs, one row each. Enter opens the run's model (a click on a row
    only moves the cursor; a click on a header sorts by it)."""

    BINDINGS = [
        Binding("enter", "open_run", "Open", tooltip=OPEN_TOOLTIP),
        Binding("left", "cursor_left", "Scroll", show=False, tooltip="Scroll the columns left or right"),
        Binding("right", "cursor_right", "Scroll", show=False, tooltip="Scroll the columns left or right"),
    ]

    class OpenChosen(Message):
        """Enter on a row."""

    def action_open_run(self) -> None:
        self.post_message(self.OpenChosen())


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


def in_view_order(columns: list[Column]) -> list[Column]:
    """``columns`` with VIEW_ORDER's first, the rest in their own order."""
    first = [column for header in VIEW_ORDER for column in columns if column.header == header]
    return first + [column for column in columns if column not in first]
