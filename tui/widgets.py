"""Thin widgets over the pure renderables in ``render.py``."""

import numpy as np
from rich.console import Group
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, ProgressBar, Sparkline, Static

from core.class_names import DIGIT_NAMES

from .compact import CompactLines
from .render import AsciiBar, LineChart, digit_art, probability_bars, rjust_cells, short_names, text_sparkline


class CompactStatic(CompactLines, Static):
    """A Static whose lines go out as few segments as possible."""


class HistoryTable(CompactLines, DataTable):
    """The epoch table: read-only, its rows sent one segment per colour.

    It follows new rows down until the user scrolls up; then it stays on the
    same epochs, until End (or scrolling back down to the last row) makes it
    follow again. Following is a state, not a position: a layout change that
    shortens the table (a status line that wraps) does not end it.

    While it follows the rows of a run in training (classes ``-following``
    and ``-live``, see app.tcss) its scrollbar is hidden: the newest row is
    at the bottom, and a thumb that moves with each new row would be
    redrawn down the whole table every second, a fifth of the bytes the
    Training view sends over SSH. Scrolling up, a pause or the run's end
    shows it.
    """

    BINDINGS = [
        # Pairs share a description and tooltip: one line each in the help.
        Binding("up", "scroll_up", "Scroll", show=False, tooltip="Scroll one epoch up or down"),
        Binding("down", "scroll_down", "Scroll", show=False, tooltip="Scroll one epoch up or down"),
        Binding("pageup", "page_up", "Page", show=False, tooltip="Scroll a page up or down"),
        Binding("pagedown", "page_down", "Page", show=False, tooltip="Scroll a page up or down"),
        Binding("end", "scroll_bottom", "Latest", tooltip="Scroll to the newest epoch, then follow"),
        Binding("home", "scroll_top", "First", show=False, tooltip="Scroll to the first epoch kept"),
    ]
    _follow = True

    def add_rows_following(self, rows, keep):
        """Append ``(key, cells)`` rows and drop the oldest beyond ``keep``;
        while following, show the newest; else keep showing the same epochs."""
        for key, cells in rows:
            self.add_row(*cells, key=key)
        dropped = max(self.row_count - keep, 0)
        for key in list(self.rows)[:dropped]:
            self.remove_row(key)
        if dropped and not self._follow:
            self.scroll_to(y=max(self.scroll_target_y - dropped, 0), animate=False, immediate=True, force=True)

    def on_mount(self):
        self.set_class(self._follow, "-following")

    def _set_follow(self, follow):
        self._follow = follow
        self.set_class(follow, "-following")

    def clear(self, columns=False):
        """Empty for a new run, which is followed from its first row."""
        result = super().clear(columns)
        self._set_follow(True)  # clearing scrolls to the top: not the user scrolling up
        return result

    def action_scroll_bottom(self):
        # Follow at once: a scroll animated to the bottom can end short of a
        # bottom that new rows moved meanwhile, and then never follow again.
        self._set_follow(True)
        self.follow_now()

    def follow_now(self):
        if self._follow:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    def watch_scroll_y(self, old_value, new_value):
        super().watch_scroll_y(old_value, new_value)
        if new_value < old_value and new_value < self.max_scroll_y:
            self._set_follow(False)  # the user scrolled up: stay there
        elif new_value >= self.max_scroll_y:
            self._set_follow(True)

    def watch_virtual_size(self, size):
        # Scroll in the same frame as the rows arrive: scroll_end() would wait
        # for the next refresh, and the table would be drawn twice.
        self.follow_now()

    def on_resize(self, event):
        self.follow_now()


class LossSparkline(CompactLines, Sparkline):
    """Textual's Sparkline in one colour (see app.tcss), so each row of bars
    goes out as one segment instead of one per bar."""


class AsciiProgressBar(ProgressBar):
    """A ProgressBar whose bar is '#' and '.': readable without colour or Unicode."""

    BAR_RENDERABLE = AsciiBar


class AsciiSparkline(LossSparkline):
    """A one-line sparkline on an ASCII brightness ramp."""

    def render(self):
        return text_sparkline(self.data or [], self.size.width)


class DigitArt(CompactLines, Widget):
    """One 28x28 digit: 28 cells wide, 14 rows high."""

    DEFAULT_CSS = "DigitArt { width: 28; height: 14; }"
    image = reactive(None, always_update=True)

    def __init__(self, ascii_only=False, **kwargs):
        super().__init__(**kwargs)
        self.ascii_only = ascii_only

    def render(self):
        if self.image is None:
            return Text("no digit to show", style="dim")
        return digit_art(self.image, self.ascii_only)


class Prediction(CompactLines, Widget):
    """The true label, the prediction, right or wrong, and ten probability bars."""

    DEFAULT_CSS = "Prediction { height: 12; width: 1fr; }"
    state = reactive(None, always_update=True)  # (true label, probabilities or None)
    class_names = DIGIT_NAMES  # set with the data, before ``state``

    def __init__(self, ascii_only=False, **kwargs):
        super().__init__(**kwargs)
        self.ascii_only = ascii_only

    def render(self):
        if self.state is None:
            return Text("")
        label, probabilities = self.state
        names = self.class_names
        if probabilities is None:
            return Text(f"true {names[label]}   predicted: waiting for the first epoch", style="bold")
        predicted = int(np.argmax(probabilities))
        right = predicted == label
        verdict = "RIGHT" if right else "WRONG"
        head = Text.assemble(
            ("true ", "dim"),
            (names[label], "bold"),
            ("   predicted ", "dim"),
            (names[predicted], "bold"),
            "   ",
            (f" {verdict} ", "bold reverse green" if right else "bold reverse red"),
            (f"  {probabilities[predicted]:.0%} sure", "dim"),
        )
        width = max(self.size.width - 14, 5)
        bars = probability_bars(probabilities, label, width, self.ascii_only, names)
        # Long class names make the head two lines: then without the blank line, so all ten bars fit.
        spacer = [Text("")] if head.cell_len <= self.size.width else []
        return Group(head, *spacer, bars)


class EpochChart(CompactLines, Widget):
    """Train and validation curves of one metric, per epoch."""

    DEFAULT_CSS = "EpochChart { height: 1fr; min-height: 5; }"
    history = reactive(tuple, always_update=True)
    unit = "epoch"  # or "iteration": the x axis's label

    def __init__(self, title, train_field, val_field, y_range=None, y_format="{:.2f}", ascii_only=False, **kwargs):
        super().__init__(**kwargs)
        self.title, self.train_field, self.val_field = title, train_field, val_field
        self.y_range, self.y_format, self.ascii_only = y_range, y_format, ascii_only

    def render(self):
        train_marker, val_marker = ("*", "o") if self.ascii_only else ("\u2022", "\u00d7")
        # A chart cannot show more epochs than it has columns: sample long runs evenly.
        history = self.history
        if len(history) > self.size.width > 0:
            picks = np.linspace(0, len(history) - 1, self.size.width).round().astype(int)
            history = [history[i] for i in picks]
        series = [
            ("running", [getattr(r, self.train_field) for r in history], "cyan", train_marker),
            ("val", [getattr(r, self.val_field) for r in history], "magenta", val_marker),
        ]
        chart = LineChart(
            self.title,
            series,
            self.y_range,
            self.ascii_only,
            self.y_format,
            last_epoch=len(self.history),
            x_label=self.unit,
            best_epoch=self.history[-1].best_epoch if self.history else None,
        )
        return Group(*chart.lines(self.size.width, self.size.height))


class ConfusionGrid(CompactLines, Widget, can_focus=True):
    """The 10x10 confusion counts with a cursor; Enter opens those digits."""

    DEFAULT_CSS = "ConfusionGrid { height: 14; width: auto; min-width: 70; }"
    BINDINGS = [
        Binding("up", "move(-1, 0)", "Move", show=False, tooltip="Move the cursor"),
        Binding("down", "move(1, 0)", "Move", show=False, tooltip="Move the cursor"),
        Binding("left", "move(0, -1)", "Move", show=False, tooltip="Move the cursor"),
        Binding("right", "move(0, 1)", "Move", show=False, tooltip="Move the cursor"),
        Binding("enter", "open_cell", "Show digits", tooltip="Browse the digits in the cursor's cell"),
    ]
    confusion = reactive(None, always_update=True)
    cursor = reactive((0, 0))
    class_names = DIGIT_NAMES  # set with the data, before ``confusion``

    class CellChosen(Message):
        def __init__(self, true, predicted):
            super().__init__()
            self.true, self.predicted = true, predicted

    def action_move(self, rows, columns):
        row, column = self.cursor
        self.cursor = ((row + rows) % 10, (column + columns) % 10)

    def action_open_cell(self):
        self.post_message(self.CellChosen(*self.cursor))

    def render(self):
        if self.confusion is None:
            return Text("The confusion matrix appears after the first epoch.", style="dim")
        return confusion_text(self.confusion, self.cursor, self.class_names)


def confusion_text(confusion, cursor, names=DIGIT_NAMES):
    """Rows: true digit; columns: predicted; each row ends with its accuracy.
    Classes with names other than the digits are headed by their names cut
    to five cells (see render.short_names), the rows two cells wider.

    Every cell is six characters: one left ('[' under the cursor), the count
    right-aligned in four (from 10000 on as thousands, '12k'), one right (']'
    under the cursor, else '!' on a marked mistake), so a mark or the cursor
    never moves a number. The diagonal is in bold green, zeros dim, the cursor
    reversed. The largest mistakes are marked '!' and bold red (under the
    cursor, the bold red alone says so): every off-diagonal cell with a count
    above zero and at least the third-largest off-diagonal count, so tied
    cells are all marked, never picked by their order, and a correct
    (diagonal) cell never is. The lines are 74 characters wide (76 with names).
    """
    counts = np.asarray(confusion)
    mistakes = counts[~np.eye(10, dtype=bool)]
    third = np.sort(mistakes)[::-1][2]
    cursor = tuple(int(i) for i in cursor)
    headers = short_names(names, 5)
    row_width = 3 if tuple(names) == DIGIT_NAMES else 5
    columns = "".join(rjust_cells(header, 5) + " " for header in headers)
    text = Text("t\\p".ljust(row_width) + " " + columns + "  accuracy\n", style="bold")
    for true in range(10):
        text.append(rjust_cells(headers[true], row_width) + " ", style="bold")
        for predicted in range(10):
            count = counts[true, predicted]
            marked = true != predicted and count > 0 and count >= third
            shown = int(count) if count < 10000 else f"{int(count) // 1000}k"
            if (true, predicted) == cursor:
                cell_text, style = f"[{shown:>4}]", "reverse"
            else:
                cell_text, style = f" {shown:>4}{'!' if marked else ' '}", ""
            if true == predicted:
                style += " bold green"
            elif marked:
                style += " bold red"
            elif count == 0:
                style += " dim"
            text.append(cell_text, style=style.strip())
        total = counts[true].sum()
        # A class with no validation digits has no accuracy: a dash, not 0%.
        text.append(f"   {counts[true, true] / total:7.1%}\n" if total else f"   {'-':>7}\n")
    return text
