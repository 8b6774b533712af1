"""The Runs view: every recorded run in a table, their curves overlaid.

The list is read from the runs folder in a thread (a slow disk never holds
up the keys) when the view is shown and when a run starts or ends, never on
every epoch: the current run's row and curve come from the app's own epoch
records, redrawn at most once a second, like the Training view. Curves of
other runs are read once, when first selected, and kept (an ended run does
not change). A run folder that cannot be read is listed with a note, and
deleting always asks first.
"""

import math
import os

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Label
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from core.errors import DigitTuiError
from core.run_store import Metrics, RunInfo, list_runs, read_metrics
from core.text import printable

from ..recording import runs_folder
from ..runs_actions import compare_runs, delete_run, open_run
from ..runs_chart import Curve
from ..runs_table import BY_HEADER, display_order, varying_columns
from ..runs_widgets import FIXED, OPEN_TOOLTIP, RunsChartWidget, RunsTable
from .runs_rows import RunsRows

REDRAW_EVERY = 1.0  # seconds between redraws of the current run's row and curve


class RunsView(RunsRows):
    """The recorded runs: sort, select to compare curves, open, delete."""

    KEY_SOURCES = (RunsTable,)
    BINDINGS = [
        Binding("space", "toggle_selected", "Select", tooltip="Select the run or not: its curves join the chart"),
        Binding("enter", "open", "Open", show=False, tooltip=OPEN_TOOLTIP),
        Binding("*", "baseline", "Baseline", show=False, tooltip="Pin the run as the baseline (again: unpin it)"),
        Binding(">", "sort_next", "Sort", tooltip="Sort by the next column (or click a header)"),
        Binding("<", "sort_reverse", "Reverse", show=False, tooltip="Reverse the sort order"),
        Binding("m", "smooth", "Smooth", show=False, tooltip="Smooth the curves (moving average) or not"),
        Binding(
            "v",
            "compare",
            "Compare",
            show=False,
            tooltip="The run's settings beside the baseline's (or a selected run's)",
        ),
        Binding("delete", "delete", "Delete", show=False, tooltip="Delete the run, its metrics and models (asks)"),
    ]
    DEFAULT_CSS = """
    RunsView { padding: 0 1; }
    #runs-table { height: 1fr; min-height: 4; }
    #runs-info { height: auto; max-height: 3; width: 1fr; }
    #runs-chart { height: 45%; min-height: 9; }
    """

    class Loaded(Message):
        """What a read of the runs folder found (from the reading thread)."""

        def __init__(self, number: int, runs: list[RunInfo], metrics: dict[str, Metrics], error: str | None) -> None:
            super().__init__()
            self.number, self.runs, self.metrics, self.error = number, runs, metrics, error

    class OpenModel(Message):
        """Open this model file, as ``o`` would (the app does it)."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def compose(self) -> ComposeResult:
        # No padding: each cell starts with its own blank, one between columns, not two.
        yield RunsTable(id="runs-table", cursor_type="row", zebra_stripes=True, cell_padding=0, fixed_columns=FIXED)
        yield Label("", id="runs-info", markup=False)
        yield RunsChartWidget(self.options.ascii_only, id="runs-chart")

    def on_mount(self) -> None:
        self.set_interval(REDRAW_EVERY, self.flush)
        self._draw_info()

    def focus_target(self):
        return self.query_one(RunsTable)

    # ---- the run state and reading -------------------------------------------

    def show_run(self, run, changed):
        self._run = run
        if changed & {"runs", "ended"} and self.is_on_screen:  # a run was recorded or ended: its folder changed
            self.reload()
        if "epochs" in changed and self.live_name is not None:
            self._live_dirty = True

    def on_show(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        """The name column takes the room there is: made again for a new width
        (after the layout, when the table has its own)."""
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self.loaded and self.is_on_screen and self._table_room(len(self.rows)) != self._room:
            self._rebuild()

    def reload(self) -> None:
        """Read the runs folder again (in a thread), and the epochs of the
        selected runs not read yet or still being written by another process."""
        ended = {info.name for info in self.runs if info.ended}
        wanted = frozenset(
            name for name in self.selected if name != self.live_name and (name not in self.metrics or name not in ended)
        )
        root, self._reads = runs_folder(), self._reads + 1
        number = self._reads
        self.run_worker(lambda: self._read(number, root, wanted), thread=True, group="runs-view", exclusive=True)

    def _read(self, number: int, root: str, wanted: frozenset[str]) -> None:
        """In the thread: post what the folder holds; never raises."""
        try:
            runs = list_runs(root)
            metrics = {name: read_metrics(os.path.join(root, name)) for name in wanted}  # their ends, if long
            self.post_message(self.Loaded(number, runs, metrics, None))
        except DigitTuiError as error:
            self.post_message(self.Loaded(number, [], {}, printable(error, 300)))
        except Exception as error:  # a bug: said in the view, which stays usable
            text = f"unexpected error: {type(error).__name__}: {printable(error, 200)}"
            self.post_message(self.Loaded(number, [], {}, text))

    def on_runs_view_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.number != self._reads:
            return  # a newer read is under way (a thread cannot be stopped, only ignored)
        self.runs, self.error, self.loaded = message.runs, message.error, True
        self.metrics.update({name: metrics.epochs for name, metrics in message.metrics.items()})
        self.metric_notes.update({name: metrics.notes() for name, metrics in message.metrics.items()})
        names = {info.name for info in self.runs}
        self.selected &= names  # deleted elsewhere
        if self.baseline not in names:
            self.baseline = None
        self._rebuild()
        self._draw_chart()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._draw_info()

    # ---- the current run, live ---------------------------------------------------

    def flush(self) -> None:
        """Once a second at most: the current run's row (and its curve, if
        selected) from the app's epoch records, while the view is shown."""
        live = self.live_name
        if not self._live_dirty or live is None or not self.is_on_screen:
            return
        self._live_dirty = False
        rows = self.table_runs()
        varying, same = varying_columns(rows)
        shown = display_order(varying)
        if not rows or rows[0].name != live:
            return  # its folder is not listed yet: the next read adds it
        if [column.header for column in shown] != self._columns or not self._fits(rows[0], shown):
            self._rebuild()  # a column appears or goes (the first epoch's numbers), or a number grew
        else:
            self.rows, self._same = rows, same
            self._draw_info()
            table = self.query_one(RunsTable)
            for column, cell in zip(shown, self._cells(rows[0], shown)):
                try:
                    table.update_cell(live, column.header, cell)
                except (CellDoesNotExist, RowDoesNotExist):
                    break  # a read just rebuilt the table: it has the numbers
        if live in self.selected:
            self._draw_chart()

    # ---- the chart -------------------------------------------------------------

    def _draw_chart(self) -> None:
        chart = self.query_one(RunsChartWidget)
        chosen = self._looks()
        live, curves = self.live_name, []
        for name, look in chosen.items():
            if name == live and self._run is not None:
                history = self._run.history
                loss, accuracy = [r.val_loss for r in history], [r.val_accuracy for r in history]
            elif name in self.metrics:
                epochs = self.metrics[name]
                loss = [line.get("val_loss", math.nan) for line in epochs]
                accuracy = [line.get("val_accuracy", math.nan) for line in epochs]
            else:
                continue  # being read
            curves.append(Curve(name, loss, accuracy, look, baseline=name == self.baseline))
        chart.curves = tuple(curves)

    # ---- keys ----------------------------------------------------------------------

    def action_toggle_selected(self) -> None:
        name = self.highlighted_name
        if name is None:
            return
        if name == self.baseline:
            self.app.notify("The baseline stays selected; * unpins it.", markup=False)
            return
        self.selected ^= {name}
        self._selection_changed(name)

    def action_baseline(self) -> None:
        name = self.highlighted_name
        if name is None:
            return
        self.baseline = None if self.baseline == name else name
        self.selected.add(name)
        self._selection_changed(name)

    def _selection_changed(self, name: str) -> None:
        self._draw_marks()
        self._draw_chart()
        if name in self.selected and name not in self.metrics and name != self.live_name:
            self.reload()  # its epochs, then the chart again

    def action_smooth(self) -> None:
        chart = self.query_one(RunsChartWidget)
        chart.smoothed = not chart.smoothed
        self.app.notify(f"Smoothing {'on' if chart.smoothed else 'off'} (a moving average of the epochs)")

    def action_sort_next(self) -> None:
        headers = self._columns or ["when"]
        header = self.sort[0]
        following = headers[(headers.index(header) + 1) % len(headers)] if header in headers else headers[0]
        self.sort = (following, BY_HEADER[following].high_first)
        self._rebuild()

    def action_sort_reverse(self) -> None:
        self.sort = (self.sort[0], not self.sort[1])
        self._rebuild()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        header = event.column_key.value
        if header not in BY_HEADER:
            return  # the marks' column, the filler
        if header == self.sort[0]:
            self.action_sort_reverse()
        else:
            self.sort = (header, BY_HEADER[header].high_first)
            self._rebuild()

    def on_runs_table_open_chosen(self, message: RunsTable.OpenChosen) -> None:
        message.stop()
        open_run(self)

    def action_open(self) -> None:
        open_run(self)

    def action_compare(self) -> None:
        compare_runs(self)

    def action_delete(self) -> None:
        delete_run(self)
