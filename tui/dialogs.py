"""Small modal dialogs: a path to open, a path to save to, a yes/no
question, a digit number to jump to.

Each has its own footer, so the keys shown are always the dialog's, and
every text a user typed is shown as plain text, never as markup.
"""

import os

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label

from core.errors import DigitTuiError
from core.outputs import check_output_path, expand_user_path
from core.text import printable

from .browsing import jump_position

MODEL_SUFFIX = ".npz"


def model_save_path(text):
    """The file a save dialog's text names: ``~`` expanded, made absolute,
    and ``.npz`` added when the name lacks it (numpy would not add it to an
    open file, and ``open`` looks for models by it)."""
    path = expand_user_path(text)
    if not path:
        return ""
    if not path.endswith(MODEL_SUFFIX):
        path += MODEL_SUFFIX
    return os.path.abspath(path)


class Dialog(ModalScreen):
    """A modal dialog that `q` can quit the app from, as every view can: a
    modal screen hides the app's own keys. A text field keeps its q (it
    takes the key first), so only a dialog whose focus is not in a field
    quits; the settings form, all fields, is not one of these."""

    BINDINGS = [Binding("q", "app.quit", "Quit", tooltip="Quit at once, even mid-epoch")]


class PathScreen(Dialog):
    """Ask for a file path to open; returns it (``~`` expanded), or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without doing anything")]

    def __init__(self, title, default):
        super().__init__()
        self.title_text, self.default = title, default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="path-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Input(self.default, id="path", compact=True)
            yield Label("Enter opens; a leading ~ means your home folder.", classes="dim")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self):
        self.query_one("#path", Input).focus()

    def on_input_submitted(self, event):
        path = expand_user_path(event.value)
        if path:
            self.dismiss(path)

    def action_cancel(self):
        self.dismiss(None)


class SaveScreen(Dialog):
    """Ask where to save the model. Shows the full path it will write as
    the name is typed, refuses a path that cannot be written (the reason
    under the field), and asks before replacing a file. Returns the path."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without saving")]

    def __init__(self, default, weights_note, inputs=()):
        super().__init__()
        self.default, self.weights_note, self.inputs = default, weights_note, inputs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="save-box"):
            yield Label("Save the model", classes="dialog-title")
            yield Label(Text(self.weights_note), id="save-weights", classes="dim")
            yield Input(self.default, id="path", compact=True)
            yield Label("", id="save-target", markup=False)
            yield Label("", id="save-error", markup=False)
            yield Label("Enter saves, Escape cancels; a leading ~ means your home folder.", classes="dim")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self):
        self.query_one("#path", Input).focus()
        self._show_target(self.default)

    def on_input_changed(self, event):
        self._show_target(event.value)
        self.query_one("#save-error", Label).update("")

    def _show_target(self, text):
        path = model_save_path(text)
        shown = f"Saves to {printable(path, 200)}" if path else "Type a file name."
        if path and os.path.exists(path):
            shown += "  (exists: you will be asked before it is replaced)"
        self.query_one("#save-target", Label).update(Text(shown))

    def on_input_submitted(self, event):
        path = model_save_path(event.value)
        try:
            check_output_path(path, "model", self.inputs)
        except DigitTuiError as error:
            self.query_one("#save-error", Label).update(Text(str(error), style="bold red"))
            return
        if os.path.exists(path):
            question = f"{printable(path, 200)} exists. Replace it?"

            def answered(yes):
                if yes:
                    self.dismiss(path)

            self.app.push_screen(ConfirmScreen(question), answered)
        else:
            self.dismiss(path)

    def action_cancel(self):
        self.dismiss(None)


class ConfirmScreen(Dialog):
    """A yes/no question; returns True or False."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", tooltip="Yes"),
        Binding("n,escape", "answer(False)", "No", tooltip="No, go back"),
    ]

    def __init__(self, question):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-box"):
            yield Label(Text(self.question), classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", id="yes", compact=True)
                yield Button("No (n)", id="no", variant="primary", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self):
        self.query_one("#no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event):
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes):
        self.dismiss(yes)


class ExportScreen(Dialog):
    """Where to save a drawing, and its true label (optional). Returns
    (csv path, label or None), or None on Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without saving")]

    def __init__(self, default_csv, inputs=()):
        super().__init__()
        self.default_csv, self.inputs = default_csv, inputs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export-box"):
            yield Label("Save this drawing", classes="dialog-title")
            yield Label(
                "The digit the network receives is saved as a PGM image beside the CSV; with a "
                "label, it is also added as a row to the CSV (Kaggle's layout), for --data.",
                classes="dim",
            )
            yield Input(self.default_csv, id="export-csv", compact=True)
            yield Input("", placeholder="true label 0-9 (empty: image only)", id="export-label", compact=True)
            yield Label("", id="export-error", markup=False)
            yield Label("Enter saves, Escape cancels.", classes="dim")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self):
        self.query_one("#export-label", Input).focus()

    def on_input_submitted(self, event):
        label_text = self.query_one("#export-label", Input).value.strip()
        path = expand_user_path(self.query_one("#export-csv", Input).value)
        if label_text and not (len(label_text) == 1 and label_text.isdigit()):
            return self._error(f"the label must be one digit 0-9, not {printable(label_text, 20)!r}")
        try:
            check_output_path(path, "digits CSV", self.inputs)  # never the training data
        except DigitTuiError as error:
            return self._error(str(error))
        self.dismiss((path, int(label_text) if label_text else None))

    def _error(self, text):
        self.query_one("#export-error", Label).update(Text(text, style="bold red"))

    def action_cancel(self):
        self.dismiss(None)


class JumpScreen(Dialog):
    """Ask for a digit number, 1 to ``count`` as the browser numbers them;
    returns its 0-based position, or None on Escape. A number out of range,
    or no number, is said under the field, which stays open to correct."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without moving")]
    DEFAULT_CSS = "#jump-error { width: 100%; height: auto; }"

    def __init__(self, count, current):
        super().__init__()
        self.count, self.current = count, current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="jump-box"):
            yield Label("Go to digit number", classes="dialog-title")
            yield Input(str(self.current), id="jump-number", compact=True, max_length=12)
            yield Label(Text(f"1 to {self.count:,} in the current filter."), classes="dim")
            yield Label("", id="jump-error", markup=False)
            yield Label("Enter goes there, Escape cancels.", classes="dim")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self):
        self.query_one("#jump-number", Input).focus()  # selected on focus: typing replaces the number

    def on_input_changed(self, event):
        self.query_one("#jump-error", Label).update("")

    def on_input_submitted(self, event):
        try:
            position = jump_position(event.value, self.count)
        except ValueError as error:
            self.query_one("#jump-error", Label).update(Text(str(error), style="bold red"))
            return
        self.dismiss(position)

    def action_cancel(self):
        self.dismiss(None)
