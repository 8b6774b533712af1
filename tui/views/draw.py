"""The Draw view: draw a digit with the mouse or the keyboard and watch what
the network makes of it, through the same MNIST-style preprocessing that
``digit-tui predict --image`` uses."""

import threading

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label, Static

from core.errors import DigitTuiError
from core.inference import probabilities
from core.text import printable
from data import normalise
from data.export import append_row, next_free_name, write_pgm
from data.inputs import input_files
from data.preprocess import mnist_style

from ..dialogs import ExportScreen
from ..drawing import Pad
from ..render import PadArt, probability_columns
from ..widgets import DigitArt
from .base import View

MOVE = "Move the cursor; it draws with the pen down"
PREDICT_EVERY = 0.15  # seconds: the forward pass takes microseconds, the redraw does not


class DrawPad(Widget, can_focus=True):
    """The pad: mouse down / move / up draw (the right button, or ctrl,
    erases); the keyboard moves a cursor and space puts the pen down."""

    DEFAULT_CSS = "DrawPad { width: 46; height: 16; border: round $panel; } DrawPad:focus { border: round $accent; }"
    BINDINGS = [
        Binding("up,k", "cursor(0, -1)", "Cursor", show=False, tooltip="Move the cursor (draws while the pen is down)"),
        Binding(
            "down,j", "cursor(0, 1)", "Cursor", show=False, tooltip="Move the cursor (draws while the pen is down)"
        ),
        Binding(
            "left,h", "cursor(-1, 0)", "Cursor", show=False, tooltip="Move the cursor (draws while the pen is down)"
        ),
        Binding(
            "right,l", "cursor(1, 0)", "Cursor", show=False, tooltip="Move the cursor (draws while the pen is down)"
        ),
        Binding("space", "pen", "Pen", tooltip="Put the pen down or lift it"),
        Binding("x,backspace", "undo", "Undo", tooltip="Undo the last stroke"),
        Binding("c", "clear", "Clear", tooltip="Clear the pad"),
        Binding("plus,equals_sign", "brush(1)", "Brush", show=False, tooltip="A bigger or smaller brush"),
        Binding("minus", "brush(-1)", "Brush", show=False, tooltip="A bigger or smaller brush"),
        Binding("e", "edit_digit", "Edit", tooltip="Edit the browser's digit (or a random one)"),
        Binding("ctrl+e", "export", "Export", show=False, tooltip="Save as a PGM; with a label, as a CSV row"),
    ]
    version = reactive(0, always_update=True)

    class Changed(Message):
        """The drawing changed, or only the pen or the brush (``drawing`` False)."""

        def __init__(self, drawing):
            super().__init__()
            self.drawing = drawing

    def __init__(self, ascii_only=False, **kwargs):
        super().__init__(**kwargs)
        self.pad, self.ascii_only = Pad(width=44, height=28), ascii_only
        self.pen_down = self._dragging = False
        self.drawings = 0  # how many times the pixels changed (version also counts cursor moves)

    def render(self):
        return PadArt(self.pad, self.ascii_only, show_cursor=self.has_focus)

    def changed(self, drawing=True):
        """Redraw, and tell the view: the pixels changed, or (drawing False) only the pen or brush."""
        self.version += 1
        self.drawings += drawing
        self.post_message(self.Changed(drawing))

    # ---- the mouse: press, drag, release -------------------------------------------

    def _pixel(self, event):
        """The pixel under the pointer; sub-cell positions where the terminal reports them."""
        return int(event.pointer_x), int(event.pointer_y * 2)

    def on_mouse_down(self, event):
        self.capture_mouse()
        self._dragging = True
        self.pad.begin(*self._pixel(event), erase=event.button == 3 or event.ctrl)
        self.changed()

    def on_mouse_move(self, event):
        if self._dragging:
            self.pad.extend(*self._pixel(event))
            self.changed()

    def on_mouse_up(self, event):
        if self._dragging:
            self._dragging = False
            self.release_mouse()

    # ---- the keyboard ------------------------------------------------------------------

    def action_cursor(self, dx, dy):
        self.pad.move_cursor(dx, dy)
        if self.pen_down:
            self.pad.extend(*self.pad.cursor)
            self.changed()
        else:
            self.version += 1

    def action_pen(self):
        self.pen_down = not self.pen_down
        if self.pen_down:
            self.pad.begin(*self.pad.cursor)
        self.changed(drawing=self.pen_down)  # putting the pen down draws a dot; lifting it draws nothing

    def action_undo(self):
        self.pad.undo()
        self.changed()

    def action_clear(self):
        self.pen_down = False
        self.pad.clear()
        self.changed()

    def action_brush(self, step):
        self.pad.change_brush(step)
        self.changed(drawing=False)

    def action_edit_digit(self):
        self.post_message(self.EditRequested())

    def action_export(self):
        self.post_message(self.ExportRequested())

    class ExportRequested(Message):
        """Save the drawing (the view knows what the network receives)."""

    class EditRequested(Message):
        """Load a real digit onto the pad."""

    def load_digit(self, image):
        """A 28x28 uint8 digit, centred on the pad, to edit."""
        pad = self.pad
        canvas = np.zeros((pad.height, pad.width))
        left = (pad.width - 28) // 2
        canvas[:, left : left + 28] = np.asarray(image, dtype=np.float64).reshape(28, 28)[: pad.height] / 255.0
        pad.load(canvas)
        self.pen_down = False
        self.changed()


class DrawView(View):
    """The pad, what the network receives, and its answer."""

    class Drawn(Message):
        """What the network receives now (None: nothing drawn): the Inside view can show it."""

        def __init__(self, digit):
            super().__init__()
            self.digit = digit

    KEY_SOURCES = (DrawPad,)

    def compose(self) -> ComposeResult:
        with Horizontal(id="draw-main"):
            with Vertical(id="draw-left"):
                yield DrawPad(self.options.ascii_only, id="pad")
                yield Label("", id="draw-status")
            with Vertical(id="draw-right"):
                yield Label("What the network receives:", classes="dim")
                yield DigitArt(self.options.ascii_only, id="draw-input")
                yield Static("", id="draw-answer")

    def on_mount(self):
        self._run, self._pending, self._loads = None, False, 0
        self._export_csv = "my-digits.csv"
        self._export_lock = threading.Lock()
        self._posted_drawings = 0
        self._predict()

    def focus_target(self):
        return self.query_one(DrawPad)

    @property
    def prediction_due(self):
        """A prediction waits on its timer (the drawing changed since the last one)."""
        return self._pending

    def show_run(self, run, changed):
        self._run = run
        if "predictions" in changed or "phase" in changed:
            self._predict()

    def on_draw_pad_changed(self, message):
        self._show_status()  # at once: the pen and brush are read from it as they change
        if message.drawing and not self._pending:  # at most a few predictions a second while drawing
            self._pending = True
            self.set_timer(PREDICT_EVERY, self._predict)

    def on_draw_pad_edit_requested(self, message):
        run = self._run
        if run is None or run.val_images is None or not len(run.val_images):
            self.notify("No digits loaded yet.", severity="warning")
            return
        row = run.browser_row
        if row is None:  # no digit shown in the browser yet: a random one, seeded by the count
            self._loads += 1
            row = int(np.random.default_rng(self._loads).integers(len(run.val_images)))
        self.query_one(DrawPad).load_digit(run.val_images[row])

    def on_draw_pad_export_requested(self, message):
        digit = mnist_style(self.query_one(DrawPad).pad.pixels)
        if digit is None:
            self.notify("Nothing drawn yet.", severity="warning")
            return
        inputs = [("--data", name) for name in input_files(getattr(self.app, "data_path", None))]
        self.app.push_screen(ExportScreen(self._export_csv, inputs), lambda answer: self._export(digit, answer))

    def _export(self, digit, answer):
        """Write the files in a thread: appending rewrites the whole CSV
        (atomically), which for a long file would freeze the screen."""
        if answer is not None:
            self._export_csv = answer[0]
            self.run_worker(
                lambda: self._write_export(digit, *answer), thread=True, group="export", exit_on_error=False
            )

    def _write_export(self, digit, path, label):
        try:  # any error is said: an export's bug must not reach the worker (see WorkerMixin)
            with self._export_lock:  # one export at a time: two appends at once would lose a row
                image = next_free_name(path.removesuffix(".csv"), ".pgm")
                write_pgm(image, digit)
                count = append_row(path, digit, label) if label is not None else None
        except Exception as error:  # noqa: BLE001 - DigitTuiError and OSError as a rule; anything else said too
            known = isinstance(error, (DigitTuiError, OSError))
            line = printable(getattr(error, "strerror", None) or error, 200)
            line = line if known else f"unexpected error: {type(error).__name__}: {line}"
            self.app.notify(line, severity="error", markup=False)  # notify is safe from a thread
            return
        added = "" if count is None else f"; added as digit {count} of {path} (label {label})"
        self.app.notify(f"Saved {image}{added}", markup=False)

    def _predict(self):
        self._pending = False
        pad = self.query_one(DrawPad)
        digit = mnist_style(pad.pad.pixels)
        self.query_one("#draw-input", DigitArt).image = digit
        if pad.drawings != self._posted_drawings:  # the drawing changed (not the weights): Inside may show it
            self._posted_drawings = pad.drawings
            self.post_message(self.Drawn(digit))
        self.query_one("#draw-answer", Static).update(self._answer(digit))
        self._show_status()

    def _show_status(self):
        pad = self.query_one(DrawPad)
        pen = "down" if pad.pen_down else "up"
        self.query_one("#draw-status", Label).update(
            f"pen {pen}   brush {pad.pad.radius}   strokes {len(pad.pad.strokes)}"
        )

    def _answer(self, digit):
        run = self._run
        if digit is None:
            return Text("Nothing drawn yet: drag with the mouse, or move with the arrows and press space.", style="dim")
        if run is None or run.snapshot is None:
            return Text("No model yet: the first epoch brings one.", style="dim")
        scale = run.pixel_scale
        probs = probabilities(run.snapshot, normalise(digit.reshape(1, 784), scale))[0]
        predicted = int(np.argmax(probs))
        head = Text.assemble(
            ("predicted ", "dim"), (run.class_label(predicted), "bold"), (f"  {probs[predicted]:.0%} sure", "dim")
        )
        return Text.assemble(head, "\n", probability_columns(probs, predicted, ascii_only=self.options.ascii_only))
