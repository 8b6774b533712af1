"""The Runs view's table (``views.runs.RunsView`` is the view): its rows
in their sort, their columns as wide as their content, the marks of the
selected runs and the line under the table. A base class of the view, so
that each module stays short; the view adds reading, the chart and keys."""

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Label
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from core.run_store import RunInfo
from core.text import printable

from ..recording import runs_folder
from ..run_state import RunState
from ..runs_chart import BASELINE_MARKER, Look, looks
from ..runs_table import BY_HEADER, Column, display_order, live_info, partial_note, sorted_runs, varying_columns
from ..runs_widgets import (
    FILLER_COLUMN,
    FIXED,
    MARK_COLUMN,
    MARK_WIDTH,
    SORT_ARROWS,
    RunsTable,
    filler_width,
    view_widths,
)
from .base import View


class RunsRows(View):
    """The state of the Runs view and its table; see the module's docstring."""

    def __init__(self, options, **kwargs) -> None:
        super().__init__(options, **kwargs)
        self.runs: list[RunInfo] = []  # as read, newest first; None until the first read
        self.loaded = False
        self.error: str | None = None
        self.selected: set[str] = set()
        self.baseline: str | None = None
        self.sort: tuple[str, bool] = ("when", True)  # the column, and high first
        self.metrics: dict[str, list[dict]] = {}  # the epochs of runs read, by name
        self.metric_notes: dict[str, list[str]] = {}  # what was wrong in their metrics files (too long to read whole)
        self._run: RunState | None = None  # the app's, from its first change
        self._live_dirty = False
        self._columns: list[str] = []  # the headers the table shows now
        self._widths: dict[str, int] = {}  # and their widths
        self._room = 0  # the table's width they were made for
        self.rows: list[RunInfo] = []  # the table's rows, in its order (the current run's as the app knows it)
        self._same: list[str] = []  # 'header value' of each column left out, the same in every run
        self._marked: set[str] = set()  # the runs whose first cell shows a look
        self._reads = 0  # reads of the runs folder started; only the latest one's answer is taken

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
        elif info is not None and (warning := self._note(info)):
            text = Text(f"! {printable(info.name, 60)}: {printable(warning, 240)}", style="yellow")
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

    def _note(self, info: RunInfo) -> str:
        """The run's note, and what its metrics file said when read for the chart."""
        notes = [info.note] if info.note else []
        notes += [note for note in self.metric_notes.get(info.name, []) if note not in (info.note or "")]
        return "; ".join(notes)

    def _fits(self, info: RunInfo, shown: list[Column]) -> bool:
        """Whether each of the run's cells fits its column (a tenth epoch needs one more cell)."""
        return all(
            column.header == "name" or cell_len(column.text(info)) + 1 <= self._widths.get(column.header, 0)
            for column in shown
        )
