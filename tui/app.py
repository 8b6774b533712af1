"""The Textual app: a live training dashboard, a digit browser and more views.

One thread worker runs the core's training iterator and only posts messages
(see ``feed`` and ``messages``); the app turns them into its one run state
(``run_state.RunState``) and tells the views what changed. The views are
registered in ``views.VIEWS``: the tabs, their keys, the palette and the
help are built from that table. Errors from the worker arrive as
``RunFailed`` and are shown, never raised over the screen.
"""

import os
import threading
from pathlib import Path

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TabbedContent, TabPane, Tabs

from core import RunControl
from core.config import APP_PRESET, TrainConfig

from .browsing import Selection
from .dialogs import PathScreen
from .help import HelpScreen, key_sections
from .messages import (
    BatchProgress,
    DataReady,
    EpochsDone,
    ModelOpened,
    OfficialTestScored,
    OpenFailed,
    RecordingProblem,
    RunBegan,
    RunEnded,
    RunFailed,
    RunRecorded,
    ThreadsSwitched,
)
from .run_state import Phase, RunState
from .saving import SaveMixin
from .settings_form import SettingsScreen
from .views import VIEWS, BrowserView, View, ViewOptions
from .widgets import ConfusionGrid
from .workers import WorkerMixin

MIN_WIDTH, MIN_HEIGHT = 80, 24  # every view is laid out for at least this much
ASCII_KEYS = {"right": "->", "left": "<-", "up": "^", "down": "v", "enter": "enter"}
PALETTE_WIDTH = 100


class ViewTabs(TabbedContent):
    """The views' tabs. A view is shown by its key, a click or the palette,
    and then takes the focus; Textual's TabbedContent would also show the
    pane of any widget that gets the focus, and that message, arriving after
    a newer switch, would undo it. Here focus follows the view, never leads."""

    def _on_tab_pane_focused(self, event):
        event.prevent_default()  # TabbedContent's own handler would switch tabs
        event.stop()


def view_bindings():
    """One key per registered view; shown on the tabs, which leaves the footer room."""
    return [
        Binding(spec.key, f"show_view('{spec.id}')", spec.title, show=False, tooltip=spec.description) for spec in VIEWS
    ]


class DigitApp(WorkerMixin, SaveMixin, App):
    """digit-tui: watch a NumPy network learn digits, then browse its guesses."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it
    TITLE = "digit-tui"
    AUTO_FOCUS = None  # the active view chooses what has the focus (see _focus_view)
    BINDINGS = [
        *view_bindings(),
        # Help first: at 80 columns the footer cuts the last keys of a busy view.
        Binding("question_mark", "help", "Help", tooltip="What each number and key means"),
        # One key, two bindings: the footer says what p will do now.
        Binding("p", "pause", "Pause", tooltip="Pause or resume training"),
        Binding("p", "resume", "Resume", tooltip="Pause or resume training"),
        Binding("s", "stop", "Stop", tooltip="Stop training and keep the weights"),
        Binding("r", "settings", "Restart", tooltip="Restart training with new settings"),
        Binding("ctrl+s", "save", "Save", tooltip="Save the model (.npz); training pauses"),
        Binding("o", "open", "Open", show=False, tooltip="Open a saved model"),
        # Not a priority binding: a "q" typed into a file name must stay a "q".
        Binding("q", "quit", "Quit", tooltip="Quit at once, even mid-epoch"),
    ]

    def __init__(
        self,
        config=None,
        data_path=None,
        model_path=None,
        ascii_only=False,
        show_timing=True,
        feed_interval=0.5,
        blas_threads=None,
        save_path=None,
        no_record=False,
        preset_name=APP_PRESET,
    ):
        super().__init__()
        # Runs are recorded under runs/ unless --no-record; named by how they differ from the preset.
        self.no_record, self.preset_name, self.quitting = no_record, preset_name, False
        self.blas_threads, self.feed_interval = blas_threads, feed_interval
        self.data_path, self.save_path, self.initial_model = data_path, save_path, model_path
        self.options = ViewOptions(ascii_only=ascii_only, show_timing=show_timing)
        self.state = RunState(config or TrainConfig())
        self.control = RunControl()
        self.open_id = 0  # the latest model being opened (see WorkerMixin.open_model)
        self.hard_exit_after = None  # seconds; see exit()
        self.last_save_name = save_path or "digit-model.npz"

    def compose(self) -> ComposeResult:
        with ViewTabs(initial=VIEWS[0].id):
            for spec in VIEWS:
                with TabPane(f"{spec.title} ({spec.key})", id=spec.id):
                    yield spec.view(self.options)
        yield Static(id="too-small")
        # The palette key's separator is a Unicode glyph; ctrl+p works all the same.
        yield Footer(compact=True, show_command_palette=not self.options.ascii_only)

    def on_mount(self):
        self.set_class(self.options.ascii_only, "-ascii")
        # Views switch with their keys; a focusable tab strip would catch Tab and the arrows.
        self.query_one(Tabs).can_focus = False
        self.check_size()
        self._focus_view(VIEWS[0].id)
        if self.initial_model:
            self.open_model(self.initial_model)
        else:
            self.start_training(self.state.config)

    def on_resize(self, event):
        self.check_size(event.size)  # self.size catches up a moment later

    def check_size(self, size=None):
        """Below the minimum, hide the views (they keep all their state) and
        say what to do; they come back as soon as the window is large enough."""
        width, height = size or self.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(small, "-too-small")
        # The palette's footer entry only where the view's own keys leave room; ctrl+p works anyway.
        self.query_one(Footer).show_command_palette = not self.options.ascii_only and width >= PALETTE_WIDTH
        if small:
            self.query_one("#too-small", Static).update(
                f"digit-tui needs a window of at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is "
                f"{width}x{height}.\n\nPlease make the window larger (training goes on meanwhile).\n\n"
                "q quits."
            )

    # ---- commands ------------------------------------------------------------

    def get_system_commands(self, screen):
        """The palette (ctrl+p) offers every key's action, the views' too."""
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            # Textual's own "Quit" command is already there; a key that does
            # nothing now (Pause after the run) is not offered.
            if binding.key != "q" and self.check_action(binding.action, ()) is True:
                yield SystemCommand(
                    binding.description, binding.tooltip, lambda action=binding.action: self.run_action(action)
                )
        for spec in VIEWS:
            for binding in getattr(spec.view, "BINDINGS", []):
                key = self.get_key_display(Binding(binding.key.split(",")[0], ""))  # "]", not right_square_bracket
                yield SystemCommand(
                    f"{spec.title}: {binding.tooltip} ({key})",
                    f"Key: {key}",
                    lambda spec=spec, action=binding.action: self._run_in_view(spec.id, action),
                )

    def _run_in_view(self, view_id, action):
        self.action_show_view(view_id)
        view = self.query_one(f"#{view_id}", TabPane).query_one(View)
        self.call_after_refresh(view.run_action, action)

    def get_key_display(self, binding):
        """Key names as Textual shows them, unless a name needs Unicode (arrows,
        the return symbol) and the terminal cannot show it."""
        display = super().get_key_display(binding)
        if self.options.ascii_only and not display.isascii():
            key = binding.key.split(",")[0]
            return ASCII_KEYS.get(key, key)
        return display

    def check_action(self, action, parameters):
        """While a dialog is open, its keys only (and q, which quits from
        anywhere; a field that takes text keeps its q). Keys that would do
        nothing now are left out of the footer: at 80 columns there is no room."""
        if isinstance(self.screen, ModalScreen) and action in self._app_actions() - {"quit"}:
            return False
        if action == "pause":
            return self.state.phase is Phase.TRAINING
        if action == "resume":
            return self.state.phase is Phase.PAUSED
        if action == "stop":
            return self.state.phase.active and self.state.phase is not Phase.STOPPING
        return True

    def _app_actions(self):
        return {binding.action.split("(")[0] for binding in self.BINDINGS}

    def action_show_view(self, view):
        self.query_one(TabbedContent).active = view
        self.call_after_refresh(self._focus_view, view)  # once the pane is displayed

    def on_tabbed_content_tab_activated(self, event):  # also when a tab is clicked
        self._focus_view(event.pane.id)

    def _focus_view(self, view_id):
        """A view's keys work as soon as it shows; the footer then shows them."""
        if view_id != self.query_one(TabbedContent).active:
            return  # a late call for a view no longer shown
        target = self.query_one(f"#{view_id}", TabPane).query_one(View).focus_target()
        if target is not None and self.focused is not target:
            self.set_focus(target)

    def action_pause(self):
        if self.state.phase is Phase.TRAINING:
            self.control.pause()
            self.set_phase(Phase.PAUSED)

    def action_resume(self):
        if self.state.phase is Phase.PAUSED:
            self.control.resume()
            self.set_phase(Phase.TRAINING)

    def action_stop(self):
        if self.state.phase.active:
            self.control.stop()
            self.set_phase(Phase.STOPPING)

    def action_settings(self):
        self.push_screen(SettingsScreen(self.state.config), self._restart_with)

    def _restart_with(self, config):
        if config is not None:
            self.start_training(config)

    def action_open(self):
        default = self.state.model_path or self.last_save_name
        self.push_screen(PathScreen("Open a saved model", default), self._open_from)

    def _open_from(self, path):
        if path is not None:
            # As the save dialog adds .npz, "model" opens model.npz.
            if not os.path.exists(path) and os.path.isfile(path + ".npz"):
                path += ".npz"
            self.open_model(path)

    def action_help(self):
        self.push_screen(HelpScreen(key_sections(self)))

    async def action_quit(self):
        self.quitting = True  # before the worker can see the stop: its record says "interrupted"
        self.control.stop()
        self.workers.cancel_group(self, "training")
        self.exit()

    def exit(self, *args, **kwargs):
        """Quit. Should a worker be stuck in a system call (a file on a dead
        network mount), the process does not wait for it, since asyncio would
        join the worker's thread for ever: when ``hard_exit_after`` is set (the
        real command, not tests, which go on running), the process ends that
        many seconds later, long after Textual has restored the terminal."""
        self.quitting = True
        if self.hard_exit_after is not None:
            timer = threading.Timer(self.hard_exit_after, lambda: os._exit(self.return_code or 0))
            timer.daemon = True  # a normal exit does not wait for it
            timer.start()
        super().exit(*args, **kwargs)

    # ---- messages from the workers ---------------------------------------------

    def _stale(self, message):
        return getattr(message, "run_id", None) != self.state.run_id

    def on_data_ready(self, message: DataReady):
        if not self._stale(message):
            self.state.val_images, self.state.val_labels = message.val_images, message.val_labels
            self.state.class_names = message.class_names
            self.show_run({"data"})

    def on_run_began(self, message: RunBegan):
        if not self._stale(message):
            self.state.config, self.state.batches_per_epoch = message.config, message.batches_per_epoch
            self.state.previous_snapshot = message.initial  # what the first epoch's update is measured from
            if self.control.stop_requested:  # s pressed while loading: it stops within a batch
                phase = Phase.STOPPING
            else:
                phase = Phase.PAUSED if self.control.paused else Phase.TRAINING
            self.set_phase(phase, {"began"})

    def on_batch_progress(self, message: BatchProgress):
        if not self._stale(message):
            self.state.progress = message
            self.show_run({"progress"})

    def on_epochs_done(self, message: EpochsDone):
        if not self._stale(message):
            self.state.history.extend(message.records)
            self._take_weights(message.snapshot, message.val_probabilities)
            self.show_run({"epochs", "predictions"})

    def on_threads_switched(self, message: ThreadsSwitched):
        """A change of BLAS threads mid-run, or a start on more than one, is
        said, with its reason; the usual start on one thread goes unsaid."""
        if not self._stale(message) and (message.step > 0 or message.threads > 1):
            self.notify(f"BLAS threads: {message.reason}", timeout=6, markup=False)

    def on_run_ended(self, message: RunEnded):
        if self._stale(message):
            return
        finished, self.state.diverged = message.finished, message.diverged
        self.state.kept_epoch, self.state.end_reason = finished.kept_epoch, finished.reason
        self._take_weights(finished.snapshot, finished.val_probabilities)
        phase = {
            "completed": Phase.COMPLETED,
            "early stopped": Phase.COMPLETED,  # patience ran out: the run is done, not cut short by the user
            "stopped": Phase.STOPPED,
            "diverged": Phase.DIVERGED,
        }
        self.state.phase = phase[finished.reason]
        if message.diverged is not None:
            self.notify(message.diverged.message, severity="error", timeout=10)
        self.show_run({"predictions", "ended", "phase"})
        self.refresh_bindings()
        self.autosave()

    def _take_weights(self, snapshot, probabilities):
        """The weights every view and a save use, with the settings they came from
        (and the previous ones, whose difference is the Inside view's update size)."""
        if snapshot is self.state.snapshot:  # the end of a run repeats its last epoch's weights
            self.state.val_probabilities = probabilities
            return
        if self.state.snapshot is not None:  # else the run's initial weights stay the previous ones
            self.state.previous_snapshot = self.state.snapshot
        self.state.snapshot, self.state.snapshot_config = snapshot, self.state.config
        self.state.val_probabilities = probabilities

    def on_model_opened(self, message: ModelOpened):
        if getattr(message, "run_id", None) != self.open_id:
            return  # an older open, overtaken by a newer one
        self.control.stop()  # the model replaces whatever ran
        self.workers.cancel_group(self, "training")
        run = self.state
        run.begin(message.config)
        run.model_path, run.source, run.opened_val_accuracy = message.path, message.data.source, message.val_accuracy
        run.val_images, run.val_labels = message.data.val_images, message.data.val_labels
        run.class_names = message.data.class_names  # the model's own
        run.pixel_scale = message.pixel_scale
        self._take_weights(message.snapshot, message.val_probabilities)
        self.set_phase(Phase.OPENED, {"data", "predictions"})
        self.action_show_view("browser")
        self.notify(f"Opened {message.path}", markup=False)

    def on_official_test_scored(self, message: OfficialTestScored):
        """The official test accuracy of the weights shown, if they still are."""
        if message.snapshot is not self.state.snapshot:
            return  # a restart or another model came first
        if message.error:
            self.notify(f"No test accuracy: {message.error}", severity="warning", timeout=10, markup=False)
            return
        self.state.test_accuracy = message.accuracy
        self.show_run({"phase", "test"})  # the status line says it

    def on_open_failed(self, message: OpenFailed):
        if getattr(message, "run_id", None) != self.open_id:
            return
        if self.state.snapshot is None and not self.state.phase.running:  # nothing else is loaded
            self.state.error = message.error
            self.set_phase(Phase.FAILED)
        self.notify(message.error, severity="error", timeout=10, markup=False)

    def on_run_recorded(self, message: RunRecorded):
        """The current run has its folder under runs/ (or a run's record is complete)."""
        if not message.ended and not self._stale(message):
            self.state.run_name = message.name
        self.show_run({"runs"})

    def on_recording_problem(self, message: RecordingProblem):
        self.notify(message.line, severity="warning", timeout=10, markup=False)

    def on_runs_view_open_model(self, message):
        self.open_model(message.path)  # as o does

    def on_run_failed(self, message: RunFailed):
        if not self._stale(message):
            self.state.phase, self.state.error = Phase.FAILED, message.error
            self.show_run({"phase"})
            self.refresh_bindings()
            self.notify(message.error, severity="error", timeout=10, markup=False)

    def on_browser_view_shown(self, message: BrowserView.Shown):
        self.state.browser_row = message.row  # the digit other views (Draw's "e", Inside) start from
        self.state.inside_source = "browser"
        self.show_run({"digit"})

    def on_draw_view_drawn(self, message):
        self.state.drawn_digit = message.digit
        self.state.inside_source = "draw" if message.digit is not None else "browser"
        self.show_run({"digit"})

    def on_inside_view_step(self, message):
        """The Inside view walks through the browser's digits, so both agree."""
        browser = self.query_one(BrowserView)
        if message.wrong:
            browser.action_next_wrong(1)
        else:
            browser.action_move(message.delta)

    def on_confusion_grid_cell_chosen(self, message: ConfusionGrid.CellChosen):
        browser = self.query_one(BrowserView)
        if browser.probabilities is not None:
            browser.select(Selection(cell=(message.true, message.predicted)))
            self.action_show_view("browser")

    # ---- the run state -----------------------------------------------------------

    def show_run(self, changed):
        for view in self.query(View):
            view.show_run(self.state, changed)

    def set_phase(self, phase, changed=()):
        self.state.phase = phase
        self.show_run({"phase", *changed})
        self.refresh_bindings()  # the footer is rebuilt on every refresh: only when the keys change


def ascii_wanted(flag):
    """ASCII art when asked, when NO_COLOR is set, or when the locale is not UTF-8."""
    if flag or os.environ.get("NO_COLOR"):
        return True
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = os.environ.get(name)
        if value:
            return "utf-8" not in value.lower() and "utf8" not in value.lower()
    return False
