"""The Textual app: a live training dashboard and a digit browser.

One thread worker runs the core's training iterator and only posts messages
(see ``feed`` and ``messages``); every widget update happens here, on the UI
thread. Errors from the worker arrive as ``RunFailed`` and are shown, never
raised over the screen.
"""

import os
from contextlib import contextmanager
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.widgets import Footer, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from core import RunControl, load_model, save_model
from core.config import TrainConfig
from core.errors import DigitTuiError

from .browsing import Selection
from .feed import throttled_messages
from .messages import BatchProgress, DataReady, EpochsDone, ModelOpened, RunBegan, RunEnded, RunFailed
from .screens import HelpScreen, PathScreen, SettingsScreen
from .session import choose_blas_threads, load_split, model_split
from .views import BrowserView, ConfusionView, TrainingView
from .widgets import ConfusionGrid, HistoryTable


MIN_WIDTH, MIN_HEIGHT = 80, 24  # every view is laid out for at least this much


class DigitApp(App):
    """digit-tui: watch a NumPy network learn digits, then browse its guesses."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it
    TITLE = "digit-tui"
    BINDINGS = [
        # The view keys are shown on the tabs themselves, which leaves the footer room.
        Binding("t", "show_view('training')", "Training", show=False, tooltip="Progress, metrics and curves"),
        Binding("b", "show_view('browser')", "Digits", show=False,
                tooltip="Browse validation digits and predictions"),
        Binding("c", "show_view('confusion')", "Confusion", show=False, tooltip="The validation confusion matrix"),
        # Help first: at 80 columns the footer cuts the last keys of a busy view.
        Binding("question_mark", "help", "Help", tooltip="What each metric and key means"),
        Binding("p", "toggle_pause", "Pause", tooltip="Pause or resume training"),
        Binding("s", "stop", "Stop", tooltip="Stop training and keep the weights"),
        Binding("r", "settings", "Restart", tooltip="Restart training with new settings"),
        Binding("ctrl+s", "save", "Save", tooltip="Save the model (.npz), atomically"),
        Binding("o", "open", "Open", tooltip="Open a saved model"),
        # Not a priority binding: a "q" typed into a file name must stay a "q".
        Binding("q", "quit", "Quit", tooltip="Quit at once, even mid-epoch"),
    ]

    def __init__(self, config=None, data_path=None, model_path=None, ascii_only=False,
                 show_timing=True, feed_interval=0.5, blas_threads=None):
        super().__init__()
        self.blas_threads = blas_threads
        self.config = config or TrainConfig()
        self.data_path, self.model_path = data_path, model_path
        self.ascii_only, self.show_timing, self.feed_interval = ascii_only, show_timing, feed_interval
        self.control = RunControl()
        self.network = None
        self.history = []
        self.run_state = "idle"  # idle, loading, running, paused, stopping, finished, failed
        self.run_id = 0  # messages from an older run (before a restart) are ignored
        self.last_step = None

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="training"):
            with TabPane("Training (t)", id="training"):
                yield TrainingView(self.ascii_only, self.show_timing)
            with TabPane("Digits (b)", id="browser"):
                yield BrowserView(self.ascii_only)
            with TabPane("Confusion (c)", id="confusion"):
                yield ConfusionView()
        yield Static(id="too-small")
        # The palette key's separator is a Unicode glyph; ctrl+p works all the same.
        yield Footer(compact=True, show_command_palette=not self.ascii_only)

    def on_mount(self):
        self.set_class(self.ascii_only, "-ascii")
        self.check_size()
        if self.model_path:
            self.open_model(self.model_path)
        else:
            self.start_training(self.config)

    def on_resize(self, event):
        self.check_size(event.size)  # self.size catches up a moment later

    def check_size(self, size=None):
        """Below the minimum, hide the views (they keep all their state) and
        say what to do; they come back as soon as the window is large enough."""
        width, height = size or self.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(small, "-too-small")
        if small:
            self.query_one("#too-small", Static).update(
                f"digit-tui needs a window of at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is "
                f"{width}x{height}.\n\nPlease make the window larger (training goes on meanwhile).\n\n"
                "q quits.")

    # ---- commands --------------------------------------------------------------

    def get_system_commands(self, screen):
        """The palette (ctrl+p) offers every key's action, the browser's too."""
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if binding.key != "q":  # Textual's own "Quit" command is already there
                yield SystemCommand(binding.description, binding.tooltip,
                                    lambda action=binding.action: self.run_action(action))
        for binding in BrowserView.BINDINGS:
            yield SystemCommand(f"Digits: {binding.tooltip}", f"Key: {binding.key.split(',')[0]}",
                                lambda action=binding.action: self._browse(action))

    def _browse(self, action):
        self.action_show_view("browser")
        browser = self.query_one(BrowserView)
        self.call_after_refresh(browser.run_action, action)

    def get_key_display(self, binding):
        """Key names as Textual shows them, unless a name needs Unicode (arrows,
        the return symbol) and the terminal cannot show it."""
        display = super().get_key_display(binding)
        if self.ascii_only and not display.isascii():
            return binding.key.split(",")[0]
        return display

    def action_show_view(self, view):
        self.query_one(TabbedContent).active = view
        self._focus_view(view)

    def on_tabbed_content_tab_activated(self, event):  # also when a tab is clicked
        self._focus_view(event.pane.id)

    def _focus_view(self, view):
        """The keys of the browser and the matrix work as soon as they show."""
        target = {"browser": BrowserView, "confusion": "#confusion-grid"}.get(view)
        if target is not None:
            self.query_one(target).focus()

    def action_toggle_pause(self):
        if self.run_state == "running":
            self.control.pause()
            self.set_state("paused")
        elif self.run_state == "paused":
            self.control.resume()
            self.set_state("running")
        else:
            self.notify("Nothing is training.", severity="warning")

    def action_stop(self):
        if self.run_state in ("running", "paused", "loading"):
            self.control.stop()
            self.set_state("stopping")
        else:
            self.notify("Nothing is training.", severity="warning")

    def action_settings(self):
        self.push_screen(SettingsScreen(self.config), self._restart_with)

    def _restart_with(self, config):
        if config is not None:
            self.start_training(config)

    def action_save(self):
        if self.network is None:
            return self.notify("No model yet: wait for training to start.", severity="warning")
        if self.run_state in ("running", "loading"):
            return self.notify("Pause (p) or stop (s) training before saving.", severity="warning")
        self.push_screen(PathScreen("Save the model to", "digit-model.npz"), self._save_to)

    def _save_to(self, path):
        if path is None:
            return
        try:
            save_model(path, self.network, self.config.to_dict(), {"data": self.data_path or "bundled sample"})
        except DigitTuiError as error:
            return self.notify(str(error), severity="error", timeout=8)
        self.notify(f"Saved the model to {path}")

    def action_open(self):
        self.push_screen(PathScreen("Open a saved model", self.model_path or "digit-model.npz"), self._open_from)

    def _open_from(self, path):
        if path is not None:
            self.open_model(path)

    def action_help(self):
        keys = [(self.get_key_display(b), b.description, b.tooltip) for b in self.BINDINGS]
        for view in (HistoryTable, BrowserView, ConfusionGrid):
            keys += [(self.get_key_display(b), b.description, b.tooltip) for b in view.BINDINGS if b.tooltip]
        self.push_screen(HelpScreen(keys))

    async def action_quit(self):
        self.control.stop()
        self.workers.cancel_group(self, "training")
        self.exit()

    # ---- the worker ------------------------------------------------------------

    def start_training(self, config):
        self.control.stop()  # ends a running worker within one batch
        self.config, self.control = config, RunControl()
        self.history, self.run_id = [], self.run_id + 1
        self.set_state("loading")
        self.train_worker(self.run_id, config, self.data_path, self.control)

    def open_model(self, path):
        self.control.stop()
        self.control, self.run_id = RunControl(), self.run_id + 1
        self.set_state("loading")
        self.open_worker(self.run_id, path, self.data_path)

    def _post(self, run_id, message):
        message.run_id = run_id
        self.post_message(message)

    def _stale(self, message):
        return getattr(message, "run_id", None) != self.run_id

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def train_worker(self, run_id, config, data_path, control):
        from core import train

        worker = get_current_worker()
        with self._failures_reported(run_id):
            _, split = load_split(data_path, config)
            self._post(run_id, DataReady(split.val_images, split.y_val))
            choose_blas_threads(self.blas_threads, config, len(split.y_train), ui=True)
            events = train(config, split.x_train, split.y_train, split.x_val, split.y_val, control)
            for message in throttled_messages(events, self.feed_interval, cancelled=lambda: worker.is_cancelled):
                self._post(run_id, message)

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def open_worker(self, run_id, path, data_path):
        with self._failures_reported(run_id):
            saved = load_model(path)
            config, _, split = model_split(saved, data_path)
            self._post(run_id, DataReady(split.val_images, split.y_val))
            probabilities = saved.network.predict_proba(split.x_val)
            self._post(run_id, ModelOpened(path, saved.network, config, probabilities))

    @contextmanager
    def _failures_reported(self, run_id):
        """In a worker: any error becomes a RunFailed message for the UI."""
        try:
            yield
        except DigitTuiError as error:
            self._post(run_id, RunFailed(str(error)))
        except Exception as error:  # a bug; show it in the app rather than crash the screen
            self._post(run_id, RunFailed(f"unexpected error: {type(error).__name__}: {error}"))

    def on_worker_state_changed(self, event: Worker.StateChanged):
        if event.state == WorkerState.ERROR:  # only if a worker escaped its own handler
            self._post(self.run_id, RunFailed(f"unexpected error: {event.worker.error}"))

    # ---- messages from the worker ------------------------------------------------

    def on_data_ready(self, message: DataReady):
        if self._stale(message):
            return
        self.query_one(BrowserView).set_data(message.val_images, message.val_labels)

    def on_run_began(self, message: RunBegan):
        if self._stale(message):
            return
        self.network, self.config = message.network, message.config
        label = "iteration" if message.config.full_batch else "epoch"
        self.query_one(TrainingView).reset(message.epochs, message.batches_per_epoch, label)
        self.set_state("running")

    def on_batch_progress(self, message: BatchProgress):
        if self._stale(message):
            return
        self.last_step = message.step
        self.query_one(TrainingView).show_batch(message)

    def on_epochs_done(self, message: EpochsDone):
        if self._stale(message):
            return
        self.history.extend(message.records)
        view = self.query_one(TrainingView)
        view.show_epochs(self.history, message.records)
        view.show_metrics(self.history[-1], self.last_step)
        self.show_predictions(message.val_probabilities)
        self.set_state(self.run_state)

    def on_run_ended(self, message: RunEnded):
        if self._stale(message):
            return
        finished = message.finished
        self.network = finished.network
        self.query_one(TrainingView).finish()
        self.show_predictions(finished.val_probabilities)
        if message.diverged is not None:
            self.notify(message.diverged.message, severity="error", timeout=10)
            self.set_state("failed", error=message.diverged.message.capitalize())
        else:
            self.set_state("finished", finished)

    def on_model_opened(self, message: ModelOpened):
        if self._stale(message):
            return
        self.network, self.config, self.model_path = message.network, message.config, message.path
        self.show_predictions(message.val_probabilities)
        self.set_state("opened")
        self.action_show_view("browser")
        self.notify(f"Opened {message.path}")

    def on_run_failed(self, message: RunFailed):
        if self._stale(message):
            return
        self.set_state("failed", error=message.error)
        self.notify(message.error, severity="error", timeout=10)

    def on_confusion_grid_cell_chosen(self, message):
        browser = self.query_one(BrowserView)
        if browser.probabilities is None:
            return
        browser.select(Selection(cell=(message.true, message.predicted)))
        self.action_show_view("browser")

    # ---- shared display -----------------------------------------------------------

    def show_predictions(self, probabilities):
        browser = self.query_one(BrowserView)
        if browser.labels is None or probabilities is None:
            return
        browser.set_probabilities(probabilities)
        self.query_one(ConfusionView).show(browser.labels, probabilities)

    def set_state(self, state, finished=None, error=None):
        changed, self.run_state = state != self.run_state, state
        config = self.config
        what = f"{config.architecture.describe()} {config.optimizer} lr {config.lr:g}"
        done = self.history[-1].epoch if self.history else 0
        unit = "iteration" if config.full_batch else "epoch"
        text = {
            "loading": f"Loading data... ({what})",
            "running": f"[b green]Training[/] {unit} {done}/{config.epochs} - {what}",
            "paused": f"[b yellow]Paused[/] at {unit} {done}/{config.epochs} - p resumes - {what}",
            "stopping": "Stopping...",
            "opened": f"[b]Opened[/] {self.model_path} - {what}",
            "failed": f"[b red]Error:[/] {error}",
        }.get(state)
        if state == "finished" and finished is not None:
            text = (f"[b]{finished.reason.capitalize()}[/] after {finished.epochs_done} {unit}s: "
                    f"val acc {finished.val_accuracy:.2%} - {what}")
        if text is not None:
            self.query_one(TrainingView).set_status(text)
        if changed:  # the footer is rebuilt on every refresh: only when the keys change
            self.refresh_bindings()

    def check_action(self, action, parameters):
        if action == "toggle_pause":
            return True if self.run_state in ("running", "paused") else None
        if action == "stop":
            return True if self.run_state in ("running", "paused", "loading") else None
        return True


def ascii_wanted(flag):
    """ASCII art when asked, when NO_COLOR is set, or when the locale is not UTF-8."""
    if flag or os.environ.get("NO_COLOR"):
        return True
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = os.environ.get(name)
        if value:
            return "utf-8" not in value.lower() and "utf8" not in value.lower()
    return False
