"""The Training view: status, progress with ETAs, metrics, curves, history."""

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, Sparkline, Static

from ..eta import StepTimer, format_eta, run_remaining
from ..run_state import Phase, status_text
from ..widgets import AsciiProgressBar, AsciiSparkline, CompactStatic, EpochChart, HistoryTable, LossSparkline
from .base import View

HISTORY_ROWS = 500  # the epoch table keeps this many latest epochs
CURVES_EVERY = 1.0  # seconds between redraws of the status, metrics, table and charts
# (label, value) widths of the metrics' three column pairs: fixed, so that a
# value growing a digit never shifts the others; 77 cells in all, for 80 columns.
VALUE_WIDTHS = ((12, 13), (12, 11), (13, 11))


class TrainingView(View):
    """Progress, live metrics, the batch-loss sparkline, curves and history."""

    KEY_SOURCES = (HistoryTable,)

    def compose(self) -> ComposeResult:
        bar = AsciiProgressBar if self.options.ascii_only else ProgressBar
        yield Label("Starting...", id="run-status")
        with Vertical(id="bars"):
            with Horizontal(classes="bar-row"):
                yield Label("Run", classes="bar-label")
                yield bar(id="run-bar", show_eta=False)
                yield Label("", id="run-eta", classes="eta")
            with Horizontal(classes="bar-row", id="epoch-row"):
                yield Label("Epoch", id="epoch-bar-label", classes="bar-label")
                yield bar(id="epoch-bar", show_eta=False)
                yield Label("", id="epoch-eta", classes="eta")
        yield CompactStatic(id="metrics")
        with Horizontal(id="spark-row"):
            yield Label("batch loss ", classes="bar-label")
            yield (AsciiSparkline if self.options.ascii_only else LossSparkline)([], id="loss-spark")
        with Horizontal(id="curves"):
            with Vertical(id="charts"):
                yield EpochChart(
                    "loss", "running_loss", "val_loss", ascii_only=self.options.ascii_only, id="loss-chart"
                )
                yield EpochChart(
                    "accuracy",
                    "running_accuracy",
                    "val_accuracy",
                    y_format="{:.0%}",
                    ascii_only=self.options.ascii_only,
                    id="accuracy-chart",
                )
            yield HistoryTable(id="history", show_cursor=False, zebra_stripes=True)

    def on_mount(self):
        self._add_columns("epoch")
        self._run = None
        self._dirty = self._table_dirty = False  # new epochs not yet shown, in the numbers / the table
        self._rows_shown, self._shown = 0, None  # table rows drawn; the record the numbers show
        self._progress, self._timer = None, StepTimer()
        self._progress_dirty, self._recent_losses = False, ()  # a progress message not yet shown in numbers
        self._draw_metrics()
        self.set_interval(CURVES_EVERY, self.flush)

    def focus_target(self):
        return self.query_one(HistoryTable)

    # ---- the run state -----------------------------------------------------

    def show_run(self, run, changed):
        self._run = run
        if "began" in changed or ("phase" in changed and run.phase is Phase.LOADING):
            self._reset(run)
        if "progress" in changed and run.progress is not None:
            self._show_progress(run)
        if "epochs" in changed:
            self._dirty = True
            if self._shown is None:
                self.flush()  # the first epoch shows at once
        if "ended" in changed:
            self._finish(run)
        if "phase" in changed:
            self.query_one(HistoryTable).set_class(run.phase is Phase.TRAINING, "-live")
            had_run = run.phase.active or run.phase in (Phase.STOPPED, Phase.COMPLETED, Phase.DIVERGED)
            for part in ("#bars", "#metrics", "#spark-row", "#curves"):  # no run: nothing to show, nothing moving
                self.query_one(part).display = had_run
            self.flush()  # a pause or an end freezes the numbers at the latest epoch
            self._draw_status()

    def _add_columns(self, unit):
        """The table's columns; fixed widths, since columns that grew with
        their content would shift as rows arrive."""
        table = self.query_one(HistoryTable)
        table.clear(columns=True)
        for label, width in ((unit[:2], 5), ("loss", 6), ("acc", 6), ("val loss", 8), ("val acc", 7)):
            table.add_column(label, width=width)

    def _reset(self, run):
        """A new run: empty bars (not animated), table, charts and sparkline."""
        batches = run.batches_per_epoch or 1
        self.query_one("#run-bar", ProgressBar).update(total=max(run.config.epochs * batches, 1), progress=0)
        self.query_one("#epoch-bar", ProgressBar).update(total=batches, progress=0)
        self.query_one("#epoch-bar-label", Label).update(run.unit.capitalize())
        self.query_one("#epoch-row").display = batches > 1  # full batch: one step per iteration, no inner bar
        for eta in self.query(".eta").results(Label):
            eta.update(format_eta(None))
        self.query_one("#loss-spark", Sparkline).data = []
        self._add_columns(run.unit)
        self._dirty = self._table_dirty = False
        self._rows_shown, self._shown = 0, None
        self._progress, self._timer = None, StepTimer()
        self._progress_dirty, self._recent_losses = False, ()
        for chart in self.query(EpochChart):
            chart.unit, chart.history = run.unit, ()
        self._draw_metrics()

    def _show_progress(self, run):
        progress = self._progress = run.progress
        total_steps = run.config.epochs * progress.batches_per_epoch
        self.query_one("#epoch-bar", ProgressBar).update(total=progress.batches_per_epoch, progress=progress.batch)
        run_bar = self.query_one("#run-bar", ProgressBar)
        run_bar.update(total=total_steps, progress=max(progress.step, run_bar.progress))  # never backwards
        self._timer.add(progress.step, progress.elapsed)
        self._recent_losses = progress.recent_losses
        self._progress_dirty = True
        # The bars move with every message; the numbers beside them (ETAs,
        # step, elapsed, sparkline) with the table, once a second (``flush``):
        # over SSH each redraw costs bytes, and a second is what the eye reads.

    def _draw_progress_numbers(self):
        """ETAs and sparkline, as of the latest progress message."""
        progress = self._progress
        if self.options.show_timing and progress is not None:
            total_steps = self._run.config.epochs * progress.batches_per_epoch
            epoch_left = self._timer.remaining(progress.batches_per_epoch - progress.batch)
            self.query_one("#epoch-eta", Label).update(format_eta(epoch_left), layout=False)
            run_left = run_remaining(progress.elapsed, progress.step, total_steps)
            self.query_one("#run-eta", Label).update(format_eta(run_left), layout=False)
        self._draw_sparkline()

    def _finish(self, run):
        """The run has ended: draw everything in its final state now."""
        self._progress_dirty = False  # the ETAs say "done" (or nothing) now, not a time left
        if self.options.show_timing:
            for eta in self.query(".eta").results(Label):
                done = run.phase is Phase.COMPLETED and run.end_reason != "early stopped"
                eta.update("done" if done else "", layout=False)
        self._draw_sparkline()
        self._dirty = True  # the numbers now describe the kept epoch, perhaps not the last
        self.flush()

    def on_show(self):
        self.flush()

    def flush(self):
        """Bring the status and metrics up to the latest epoch and progress
        message (once a second, and at a pause or an end), and with them the
        ETAs, the sparkline, the epoch table and the charts while they are
        on screen: a new table row makes Textual lay out the whole screen
        again, work wasted while this tab is hidden (``on_show`` catches up)."""
        if self._run is None:
            return
        history = self._run.history  # append-only within a run
        if self._progress_dirty:
            self._draw_progress_numbers()
        if self._dirty:
            self._table_dirty = True
            self._shown = self._run.weights_record  # the latest; once a run ends, the kept one
            self._draw_status()
        if self._dirty or self._progress_dirty:  # the metrics show both: drawn once for the two
            self._dirty = self._progress_dirty = False
            self._draw_metrics()
        if self._table_dirty and self.is_on_screen:
            self._table_dirty = False
            new_records, self._rows_shown = history[self._rows_shown :], len(history)
            self._add_rows(new_records[-HISTORY_ROWS:])
            for chart in self.query(EpochChart):
                chart.history = tuple(history)
            self.query_one(HistoryTable).call_after_refresh(self.query_one(HistoryTable).follow_now)

    def _add_rows(self, records):
        self.query_one(HistoryTable).add_rows_following(
            (
                (
                    f"{record.epoch}{'*' if record.partial else ''}",
                    (
                        f"{record.epoch}{'*' if record.partial else ''}",
                        f"{record.running_loss:.3f}",
                        f"{record.running_accuracy:.1%}",
                        f"{record.val_loss:.3f}",
                        f"{record.val_accuracy:.1%}",
                    ),
                )
                for record in records
            ),
            keep=HISTORY_ROWS,
        )

    # ---- drawing -------------------------------------------------------------

    def _draw_status(self):
        if self._run is not None:
            self.query_one("#run-status", Label).update(status_text(self._run, self._shown))

    def _draw_sparkline(self):
        self.query_one("#loss-spark", Sparkline).data = list(self._recent_losses)

    def _draw_metrics(self):
        """Three rows of three metrics: the epoch shown in the table, plus the
        step and time, which follow every progress message."""
        record, progress = self._shown, self._progress
        grid = Table.grid(padding=(0, 1))
        for label_width, value_width in VALUE_WIDTHS:
            grid.add_column(style="dim", no_wrap=True, width=label_width)
            grid.add_column(style="bold", no_wrap=True, width=value_width)

        def value(name, fmt):
            return "-" if record is None else fmt.format(getattr(record, name))

        timing = self.options.show_timing
        unit = "it" if self._run is not None and self._run.config.full_batch else "ep"
        best = "-" if record is None else f"{record.best_val_accuracy:.2%} {unit}{record.best_epoch}"
        speed = f"{record.samples_per_second:,.0f}" if timing and record is not None else "-"
        elapsed = f"{progress.elapsed:.1f} s" if timing and progress is not None else "-"
        grid.add_row(
            "running loss",
            value("running_loss", "{:.4f}"),
            "val loss",
            value("val_loss", "{:.4f}"),
            "learning rate",
            value("lr", "{:.2g}"),
        )
        grid.add_row(
            "running acc",
            value("running_accuracy", "{:.2%}"),
            "val acc",
            value("val_accuracy", "{:.2%}"),
            "samples/s",
            speed,
        )
        grid.add_row("best val acc", best, "step", str(progress.step) if progress else "-", "elapsed", elapsed)
        self.query_one("#metrics", Static).update(grid, layout=False)  # fixed size: no relayout
