"""The three views: training dashboard, digit browser, confusion matrix."""

import time

import numpy as np
from rich.table import Table

from core.metrics import confusion_matrix
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, ProgressBar, Sparkline, Static

from .browsing import Selection, find_next, ordered_rows
from .widgets import (AsciiProgressBar, AsciiSparkline, CompactStatic, ConfusionGrid, DigitArt, EpochChart,
                      HistoryTable, LossSparkline, Prediction)


HISTORY_ROWS = 500  # the epoch table keeps this many latest epochs
CURVES_EVERY = 1.0  # seconds between redraws of the epoch table and the charts


class TrainingView(Vertical):
    """Progress, live metrics, the batch-loss sparkline, curves and history."""

    def __init__(self, ascii_only=False, show_timing=True, **kwargs):
        super().__init__(**kwargs)
        self.ascii_only, self.show_timing = ascii_only, show_timing

    def compose(self) -> ComposeResult:
        bar = AsciiProgressBar if self.ascii_only else ProgressBar
        yield Label("Starting...", id="run-status")
        with Horizontal(classes="bar-row"):
            yield Label("Run  ", classes="bar-label")
            yield bar(id="run-bar", show_eta=self.show_timing)
        with Horizontal(classes="bar-row"):
            yield Label("Epoch", id="epoch-bar-label", classes="bar-label")
            yield bar(id="epoch-bar", show_eta=self.show_timing)
        yield CompactStatic(id="metrics")
        with Horizontal(id="spark-row"):
            yield Label("batch loss ", classes="bar-label")
            yield (AsciiSparkline if self.ascii_only else LossSparkline)([], id="loss-spark")
        with Horizontal(id="curves"):
            with Vertical(id="charts"):
                yield EpochChart("loss", "train_loss", "val_loss", ascii_only=self.ascii_only, id="loss-chart")
                yield EpochChart("accuracy", "train_accuracy", "val_accuracy", y_format="{:.0%}",
                                 ascii_only=self.ascii_only, id="accuracy-chart")
            yield HistoryTable(id="history", show_cursor=False, zebra_stripes=True)

    def on_mount(self):
        table = self.query_one("#history", DataTable)
        # Fixed widths: columns that grew with their content would shift as rows arrive.
        for label, width in (("ep", 5), ("loss", 6), ("acc", 6), ("val loss", 8), ("val acc", 7)):
            table.add_column(label, width=width)
        self.show_metrics(None, None)
        self._pending_rows, self._history, self._spark_drawn, self._recent_losses = [], [], 0.0, ()
        # The table and the charts are the costliest things to redraw (and to
        # send down an SSH link): they catch up at most once a second.
        self.set_interval(CURVES_EVERY, self.flush_curves)

    def reset(self, epochs, batches, label):
        self.query_one("#run-bar", ProgressBar).update(total=epochs, progress=0)
        self.query_one("#epoch-bar", ProgressBar).update(total=batches, progress=0)
        self.query_one("#epoch-bar-label", Label).update(label[:5].capitalize().ljust(5))
        self.query_one("#loss-spark", Sparkline).data = []
        self.query_one("#history", DataTable).clear()
        self._pending_rows, self._history, self._recent_losses = [], [], ()
        for chart in self.query(EpochChart):
            chart.history = ()

    def show_batch(self, message):
        self.query_one("#epoch-bar", ProgressBar).update(total=message.batches_per_epoch, progress=message.batch)
        run_bar = self.query_one("#run-bar", ProgressBar)
        run_bar.update(progress=message.epoch - 1 + message.batch / message.batches_per_epoch)
        self._recent_losses = message.recent_losses
        if time.monotonic() - self._spark_drawn >= CURVES_EVERY:  # redrawn whole each time: keep it rare
            self.draw_sparkline()

    def draw_sparkline(self):
        self._spark_drawn = time.monotonic()
        self.query_one("#loss-spark", Sparkline).data = list(self._recent_losses)

    def show_epochs(self, history, new_records):
        self.query_one("#run-bar", ProgressBar).update(progress=history[-1].epoch)
        first = not self._history
        self._pending_rows += new_records
        self._history = history
        if first:
            self.flush_curves()  # the first epoch shows at once

    def finish(self):
        """The run has ended: draw everything in its final state now."""
        self.draw_sparkline()
        self.flush_curves()

    def on_show(self):
        self.flush_curves()

    def flush_curves(self):
        """Bring the epoch table and the charts up to date, while they are on
        screen: a new table row makes Textual lay out the whole screen again,
        work wasted while this tab is hidden (``on_show`` catches up)."""
        if not self._pending_rows or not self.is_on_screen:
            return
        new_records, self._pending_rows = self._pending_rows, []
        table = self.query_one("#history", HistoryTable)
        # Long runs of tiny epochs: the table keeps the latest rows, so it stays quick.
        table.add_rows_following(
            ((str(record.epoch), (str(record.epoch), f"{record.train_loss:.3f}", f"{record.train_accuracy:.1%}",
                                  f"{record.val_loss:.3f}", f"{record.val_accuracy:.1%}"))
             for record in new_records[-HISTORY_ROWS:]), keep=HISTORY_ROWS)
        for chart in self.query(EpochChart):
            chart.history = tuple(self._history)

    def show_metrics(self, record, step):
        grid = Table.grid(padding=(0, 2), expand=True)
        for _ in range(3):
            grid.add_column(style="dim", no_wrap=True)
            grid.add_column(style="bold", no_wrap=True)

        def value(name, fmt):
            return "-" if record is None else fmt.format(getattr(record, name))

        timing = self.show_timing and record is not None
        grid.add_row("train loss", value("train_loss", "{:.4f}"), "val loss", value("val_loss", "{:.4f}"),
                     "learning rate", value("lr", "{:.2g}"))
        grid.add_row("train acc", value("train_accuracy", "{:.2%}"), "val acc", value("val_accuracy", "{:.2%}"),
                     "samples/s", f"{record.samples_per_second:,.0f}" if timing else "-")
        grid.add_row("best val acc", value("best_val_accuracy", "{:.2%}"), "step", str(step or "-"),
                     "elapsed", f"{record.elapsed:.1f} s" if timing else "-")
        self.query_one("#metrics", Static).update(grid, layout=False)  # fixed size: no relayout

    def set_status(self, text):
        self.query_one("#run-status", Label).update(text, layout=False)


class BrowserView(Vertical, can_focus=True):
    """One validation digit at a time, beside the network's prediction."""

    BINDINGS = [
        Binding("right,l", "move(1)", "Next", tooltip="Next digit in the current filter"),
        Binding("left,h", "move(-1)", "Prev", tooltip="Previous digit in the current filter"),
        Binding("pagedown", "move(10)", "+10", show=False, tooltip="Ten digits forward"),
        Binding("pageup", "move(-10)", "-10", show=False, tooltip="Ten digits back"),
        Binding("home", "jump(0)", "First", show=False, tooltip="First digit"),
        Binding("end", "jump(-1)", "Last", show=False, tooltip="Last digit"),
        Binding("m", "next_wrong(1)", "Next wrong", tooltip="Next misclassified digit"),
        Binding("M", "next_wrong(-1)", "Prev wrong", show=False, tooltip="Previous misclassified digit"),
        Binding("f", "cycle_filter", "Filter", tooltip="Cycle: all / misclassified / least confident"),
        *[Binding(str(d), f"next_class({d})", f"Next {d}", show=False,
                  tooltip=f"Next digit whose true label is {d}") for d in range(10)],
    ]

    def __init__(self, ascii_only=False, **kwargs):
        super().__init__(**kwargs)
        self.ascii_only = ascii_only
        self.images = self.labels = self.probabilities = None
        self.selection = Selection()
        self.rows = np.arange(0)
        self.position = 0
        self._drawn_row = -1  # the row whose image DigitArt shows (None: no digit)

    def compose(self) -> ComposeResult:
        with Horizontal(id="browser-main"):
            yield DigitArt(self.ascii_only, id="digit")
            yield Prediction(self.ascii_only, id="prediction")
        yield Label("", id="position")

    def set_data(self, images, labels):
        self.images, self.labels, self.probabilities = images, labels, None
        self._drawn_row = -1  # new images: whatever row comes next is drawn
        self.selection, self.position = Selection(), 0
        self._refilter(keep_row=False)

    def set_probabilities(self, probabilities):
        """New predictions (after an epoch): keep showing the same digit."""
        self.probabilities = probabilities
        self._refilter(keep_row=True)

    def select(self, selection):
        self.selection, self.position = selection, 0
        self._refilter(keep_row=False)

    @property
    def current_row(self):
        return int(self.rows[self.position]) if len(self.rows) else None

    def _refilter(self, keep_row):
        if self.labels is None:
            return self._draw()
        row = self.current_row if keep_row else None
        if self.probabilities is None:
            self.rows = np.arange(len(self.labels))
        else:
            self.rows = ordered_rows(self.selection, self.labels, self.probabilities)
        matches = np.flatnonzero(self.rows == row) if row is not None else []
        self.position = int(matches[0]) if len(matches) else min(self.position, max(len(self.rows) - 1, 0))
        self._draw()

    def _draw(self):
        row = self.current_row
        if row != self._drawn_row:  # new predictions alone leave the digit as it is
            self._drawn_row = row
            self.query_one("#digit", DigitArt).image = None if row is None else self.images[row]
        probabilities = None if row is None or self.probabilities is None else self.probabilities[row]
        self.query_one("#prediction", Prediction).state = None if row is None else (int(self.labels[row]), probabilities)
        if self.labels is None:
            status = "Loading the validation digits..."
        elif row is None:
            status = f"No digits match the filter: {self.selection.label}   (f: change filter)"
        else:
            status = f"{self.position + 1} / {len(self.rows)}   filter: {self.selection.label}   (row {row})"
        self.query_one("#position", Label).update(status, layout=False)

    def action_move(self, step):
        if len(self.rows):
            self.position = min(max(self.position + step, 0), len(self.rows) - 1)
            self._draw()

    def action_jump(self, position):
        if len(self.rows):
            self.position = position % len(self.rows)
            self._draw()

    def _jump_to(self, wanted, step):
        if not len(self.rows):
            return
        found = find_next(self.rows, self.position, wanted, step)
        if found is None:
            self.notify("No such digit in this filter.", severity="warning")
        else:
            self.position = found
            self._draw()

    def action_next_wrong(self, step):
        if self.probabilities is None:
            return self.notify("No predictions yet: wait for the first epoch.", severity="warning")
        predictions = self.probabilities.argmax(axis=1)
        self._jump_to(lambda row: predictions[row] != self.labels[row], step)

    def action_next_class(self, digit):
        self._jump_to(lambda row: self.labels[row] == digit, 1)

    def action_cycle_filter(self):
        if self.probabilities is None:
            return self.notify("Filters need predictions: wait for the first epoch.", severity="warning")
        self.select(self.selection.next_filter())


class ConfusionView(Vertical):
    """The confusion matrix of the validation set; Enter opens a cell's digits."""

    def compose(self) -> ComposeResult:
        yield Label("Rows: true digit. Columns: predicted. Arrows move, Enter opens.",
                    id="confusion-help")
        yield ConfusionGrid(id="confusion-grid")

    def show(self, labels, probabilities):
        self.query_one(ConfusionGrid).confusion = confusion_matrix(labels, probabilities.argmax(axis=1))
