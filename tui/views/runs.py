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

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Label
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from core.errors import DigitTuiError
from core.run_store import RunInfo, list_runs, read_metrics
from core.text import printable

from ..recording import runs_folder
from ..run_state import RunState
from ..runs_actions import compare_runs, delete_run, open_run
from ..runs_chart import BASELINE_MARKER, Curve, Look, looks
from ..runs_table import BY_HEADER, Column, display_order, live_info, partial_note, sorted_runs, varying_columns
from ..runs_widgets import (
    FILLER_COLUMN,
    FIXED,
    MARK_COLUMN,
    MARK_WIDTH,
    OPEN_TOOLTIP,
    SORT_ARROWS,
    RunsChartWidget,
    RunsTable,
    filler_width,
    view_widths,
)
from .base import View

REDRAW_EVERY = 1.0  # seconds between redraws of the current run's row and curve


class RunsView(View):
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

        def __init__(self, number: int, runs: list[RunInfo], metrics: dict[str, list[dict]], error: str | None) -> None:
            super().__init__()
            self.number, self.runs, self.metrics, self.error = number, runs, metrics, error

    class OpenModel(Message):
        """Open this model file, as ``o`` would (the app does it)."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def __init__(self, options, **kwargs) -> None:
        super().__init__(options, **kwargs)
        self.runs: list[RunInfo] = []  # as read, newest first; None until the first read
        self.loaded = False
        self.error: str | None = None
        self.selected: set[str] = set()
        self.baseline: str | None = None
        self.sort: tuple[str, bool] = ("when", True)  # the column, and high first
        self.metrics: dict[str, list[dict]] = {}  # the epochs of runs read, by name
        self._run: RunState | None = None  # the app's, from its first change
        self._live_dirty = False
        self._columns: list[str] = []  # the headers the table shows now
        self._widths: dict[str, int] = {}  # and their widths
        self._room = 0  # the table's width they were made for
        self.rows: list[RunInfo] = []  # the table's rows, in its order (the current run's as the app knows it)
        self._same: list[str] = []  # 'header value' of each column left out, the same in every run
        self._marked: set[str] = set()  # the runs whose first cell shows a look
        self._reads = 0  # reads of the runs folder started; only the latest one's answer is taken

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

    def _table_room(self, rows: int) -> int:
        """The cells the table's columns may take: its width, less a scroll
        bar when the rows overflow; while the view is hidden (no size yet),
        the screen's width less the view's padding."""
        table = self.query_one(RunsTable)
        if not table.size.width:
            return max(self.app.size.width - 2, 0)
        bar = table.styles.scrollbar_size_vertical if rows + 1 > table.size.height else 0
        return table.size.width - bar

    @property
    def live_name(self) -> str | None:
        """The run the app is training and recording, if any."""
        run = self._run
        return run.run_name if run is not None and run.phase.active else None

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
            metrics = {name: read_metrics(os.path.join(root, name)).epochs for name in wanted}
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
        self.metrics.update(message.metrics)
        names = {info.name for info in self.runs}
        self.selected &= names  # deleted elsewhere
        if self.baseline not in names:
            self.baseline = None
        self._rebuild()
        self._draw_chart()

    # ---- the table -------------------------------------------------------------

    def table_runs(self) -> list[RunInfo]:
        """The rows in their order: the current run first (as the app knows
        it, newer than its folder), then the others sorted."""
        header, high_first = self.sort
        live = self.live_name
        others = [info for info in self.runs if info.name != live]
        rows = sorted_runs(others, BY_HEADER[header], high_first)
        current = next((info for info in self.runs if info.name == live), None)
        if current is not None and self._run is not None:
            rows.insert(0, live_info(current, self._run.history))
        return rows

    def _rebuild(self) -> None:
        table = self.query_one(RunsTable)
        highlighted = self.highlighted_name
        rows = self.table_runs()
        varying, self._same = varying_columns(rows)
        shown = display_order(varying)
        if self.sort[0] not in [column.header for column in shown]:
            self.sort = ("when", True)  # its column went (every run now has the same value)
            rows = self.table_runs()
        self.rows = rows
        table.clear(columns=True)
        filler = self._add_columns(table, shown)
        marks = self._marks()
        self._marked = set(marks)
        for info in rows:
            mark = marks.get(info.name, self._mark(info, None))
            table.add_row(mark, *self._cells(info, shown), *([Text("")] if filler else []), key=info.name)
        names = [info.name for info in rows]
        if highlighted in names:
            table.move_cursor(row=names.index(highlighted), animate=False)
        self._draw_info()

    def _add_columns(self, table: RunsTable, shown: list[Column]) -> int:
        """The marks' column, then ``shown`` (the name first), then a blank
        filler when one is needed (``filler_width``); returns its width.
        Widths come from the content, never measured by the table: it
        measures with the screen it is on, and a table filled while hidden
        was squeezed."""
        self._room = self._table_room(len(self.rows))
        headings = {column.header: self._heading(column) for column in shown}
        self._widths = view_widths(shown, self.rows, {h: text.plain for h, text in headings.items()}, self._room)
        table.add_column(" ", key=MARK_COLUMN, width=MARK_WIDTH)
        for column in shown:
            table.add_column(headings[column.header], key=column.header, width=self._widths[column.header])
        self._columns = [column.header for column in shown]
        scrolling = [self._widths[header] for header in self._columns[FIXED - 1 :]]
        filler = filler_width(
            scrolling, self._room - MARK_WIDTH - sum(self._widths[h] for h in self._columns[: FIXED - 1])
        )
        if filler:
            table.add_column("", key=FILLER_COLUMN, width=filler)
        return filler

    def _heading(self, column: Column) -> Text:
        header, high_first = self.sort
        if column.header != header:
            return Text(f" {column.header}", justify="right" if column.right else "left")
        arrow = SORT_ARROWS[self.options.ascii_only][high_first]
        return Text(f" {column.header} {arrow}", style="bold", justify="right" if column.right else "left")

    def _cells(self, info: RunInfo, shown: list[Column]) -> list[Text]:
        cells = []
        for column in shown:
            # A name too long for its column is cut in the middle: both ends tell runs apart.
            text = printable(info.name, self._widths["name"] - 1) if column.header == "name" else column.text(info)
            cells.append(Text(f" {text}", justify="right" if column.right else "left", no_wrap=True))
        return cells

    def _mark(self, info: RunInfo, look: Look | None) -> Text:
        """The first cell: the run's marker in its colour when selected (the
        chart's legend, in the table), a bold block for the baseline, and
        '!' when its folder has a note."""
        mark = Text(no_wrap=True)
        if look is None:
            mark.append(" ")
        elif info.name == self.baseline:
            mark.append(BASELINE_MARKER[self.options.ascii_only], style=f"bold {look.colour}")
        else:
            mark.append(look.marker, style=f"bold {look.colour}")
        mark.append("!" if info.note else " ", style="bold yellow")
        return mark

    def _looks(self) -> dict[str, Look]:
        by_age = [info.name for info in reversed(self.runs) if info.name in self.selected]
        return looks(by_age, self.options.ascii_only)

    def _marks(self) -> dict[str, Text]:
        chosen = self._looks()
        return {info.name: self._mark(info, chosen[info.name]) for info in self.runs if info.name in chosen}

    def _draw_marks(self) -> None:
        """The first column of the runs selected before or now, after a
        selection changed (not of every row: there may be thousands)."""
        table = self.query_one(RunsTable)
        chosen = self._looks()
        for info in self.rows:
            if info.name not in self._marked and info.name not in chosen:
                continue
            try:
                table.update_cell(info.name, MARK_COLUMN, self._mark(info, chosen.get(info.name)))
            except (CellDoesNotExist, RowDoesNotExist):
                pass  # not in the table yet: the next rebuild draws it
        self._marked = set(chosen)

    @property
    def highlighted_name(self) -> str | None:
        table = self.query_one(RunsTable)
        if not table.row_count:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None

    def highlighted(self) -> RunInfo | None:
        name = self.highlighted_name
        return next((info for info in self.rows if info.name == name), None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._draw_info()

    def _draw_info(self) -> None:
        """Under the table: the highlighted run's note, else what every run
        shares (and, for a run stopped part-way, which epoch its final is from)."""
        info = self.highlighted() if self.loaded else None
        if not self.loaded:
            text = Text("Reading the runs...", style="dim")
        elif self.error:
            text = Text(self.error, style="bold red")
        elif not self.runs:
            text = Text(f"No runs recorded yet; each run is kept in {printable(runs_folder(), 200)}", style="dim")
        elif info is not None and info.note:
            text = Text(f"! {printable(info.name, 60)}: {printable(info.note, 240)}", style="yellow")
        else:
            header, high_first = self.sort
            arrow = SORT_ARROWS[self.options.ascii_only][high_first]
            # The sort is said here too: its column may be scrolled out of sight.
            line = f"{len(self.runs)} run{'s' if len(self.runs) != 1 else ''} by {header} {arrow}"
            if self._same:
                line += f"; the same in every run: {', '.join(self._same)}"
            text = Text(line, style="dim")
            note = partial_note(info) if info is not None else None
            if info is not None and note:
                text.append(f"\n* {printable(info.name, 40)}: {note}", style="dim")
        self.query_one("#runs-info", Label).update(text)

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

    def _fits(self, info: RunInfo, shown: list[Column]) -> bool:
        """Whether each of the run's cells fits its column (a tenth epoch needs one more cell)."""
        return all(
            column.header == "name" or cell_len(column.text(info)) + 1 <= self._widths.get(column.header, 0)
            for column in shown
        )

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
