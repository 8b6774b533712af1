"""Modal screens: training settings, a file path prompt, and help."""

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from rich.text import Text
from textual.widgets import Button, Input, Label, Select, Static

from core.activations import ACTIVATIONS
from core.config import PRESETS
from core.errors import ConfigError
from core.optim import OPTIMIZERS
from core.schedules import SCHEDULES

# (field, label, kind): kind is a tuple of choices for a Select, else a parser.
SETTINGS = [
    ("hidden", "Hidden layers", "hidden"),
    ("activation", "Activation", tuple(ACTIVATIONS)),
    ("optimizer", "Optimiser", OPTIMIZERS),
    ("lr", "Learning rate", float),
    ("schedule", "LR schedule", SCHEDULES),
    ("batch_size", "Batch size", int),
    ("epochs", "Epochs", int),
    ("l2", "L2", float),
    ("dropout", "Dropout", float),
    ("seed", "Seed", int),
]


def parse_hidden_text(text):
    text = text.strip().lower()
    if text in ("", "none", "0"):
        return ()
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(f"hidden layers: {text!r} is not a list like 10 or 256,128 or none") from None


class SettingsScreen(ModalScreen):
    """Pick a preset, change any setting, and restart; bad values are named."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without restarting")]

    def __init__(self, config):
        super().__init__()
        self.config = config

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-box", classes="dialog"):
            yield Label("Restart training with these settings", classes="dialog-title")
            with VerticalScroll():
                with Grid(id="settings-grid"):
                    yield Label("Preset")
                    yield Select([(name, name) for name in PRESETS], prompt="(keep)", id="preset", compact=True)
                    for name, label, kind in SETTINGS:
                        yield Label(label)
                        if isinstance(kind, tuple):
                            yield Select([(c, c) for c in kind], allow_blank=False, id=name, compact=True)
                        else:
                            yield Input(id=name, compact=True)
            yield Label("", id="settings-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Restart", variant="primary", id="apply", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self):
        self.fill(self.config)

    def fill(self, config):
        for name, _, kind in SETTINGS:
            value = getattr(config, name)
            if isinstance(kind, tuple):
                self.query_one(f"#{name}", Select).value = value
            elif name == "hidden":
                self.query_one("#hidden", Input).value = ",".join(map(str, value)) or "none"
            else:
                self.query_one(f"#{name}", Input).value = f"{value:g}" if isinstance(value, float) else str(value)

    def on_select_changed(self, event):
        if event.select.id == "preset" and event.value in PRESETS:
            self.fill(PRESETS[event.value])

    def read_config(self):
        """The form's settings, validated; ConfigError names the bad field."""
        values = {}
        for name, label, kind in SETTINGS:
            if isinstance(kind, tuple):
                values[name] = self.query_one(f"#{name}", Select).value
                continue
            text = self.query_one(f"#{name}", Input).value
            try:
                values[name] = parse_hidden_text(text) if name == "hidden" else kind(text)
            except ValueError:
                raise ConfigError(f"{label.lower()}: {text!r} is not a {'whole ' if kind is int else ''}number") from None
        return self.config.with_changes(**values).validate()

    def on_button_pressed(self, event):
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event):
        self.action_apply()

    def action_apply(self):
        try:
            config = self.read_config()
        except ConfigError as error:
            self.query_one("#settings-error", Label).update(f"[b red]{error}[/]")
            return
        self.dismiss(config)

    def action_cancel(self):
        self.dismiss(None)


class PathScreen(ModalScreen):
    """Ask for a file path; returns it, or None on Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without doing anything")]

    def __init__(self, title, default):
        super().__init__()
        self.title_text, self.default = title, default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="path-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(self.default, id="path", compact=True)
            yield Label("Enter to confirm, Escape to cancel", classes="dim")

    def on_input_submitted(self, event):
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self):
        self.dismiss(None)


METRICS = [
    ("train loss / acc", "mean cross-entropy and accuracy over the epoch's mini-batches, "
                         "measured before each update (with dropout, if any)"),
    ("val loss / acc", "the same on the held-out validation digits, after the epoch; "
                       "the network never trains on them"),
    ("best val acc", "the highest validation accuracy of this run so far"),
    ("learning rate", "the step size this epoch, after the schedule"),
    ("samples/s", "training digits per second of training steps (evaluation not counted)"),
    ("elapsed", "time since the run began, pauses excluded"),
    ("batch loss", "recent mini-batch losses; the line should trend down"),
    ("confusion matrix", "row = true digit, column = prediction; the diagonal is right, "
                         "the biggest mistakes are marked !"),
]


class HelpScreen(ModalScreen):
    """Explains each metric, and every key from the app's own bindings.

    ``keys`` is a list of (key, description, tooltip) taken from the bindings,
    so this help can never drift from what the keys really do."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", tooltip="Close the help")]

    def __init__(self, keys):
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("What the numbers mean\n", style="bold underline")
        for name, meaning in METRICS:
            text.append(f"  {name}", style="bold")
            text.append(f": {meaning}.\n")
        text.append("\nKeys\n", style="bold underline")
        for key, description, tooltip in self.keys:
            text.append(f"  {key:<10}", style="bold")
            text.append(f"{description}: {tooltip}.\n")
        text.append("\nEscape closes this help; ctrl+p lists every command.", style="dim")
        with Vertical(classes="dialog", id="help-box"):
            with VerticalScroll():
                yield Static(text, id="help-text")

    def action_close(self):
        self.dismiss(None)
