"""The Digits view: one validation digit at a time, beside the prediction."""

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label

from core.class_names import DIGIT_NAMES

from ..augment_preview import AugmentScreen
from ..browsing import Selection, find_next, ordered_rows
from ..dialogs import JumpScreen
from ..widgets import DigitArt, Prediction
from .base import View


class BrowserView(View, can_focus=True):
    """One validation digit at a time, beside the network's prediction."""

    BINDINGS = [
        Binding("right,l", "move(1)", "Next", tooltip="Next digit in the current filter"),
        Binding("left,h", "move(-1)", "Prev", tooltip="Previous digit in the current filter"),
        Binding("pagedown", "move(10)", "+10", show=False, tooltip="Ten digits forward"),
        Binding("pageup", "move(-10)", "-10", show=False, tooltip="Ten digits back"),
        Binding("home", "jump(0)", "First", show=False, tooltip="First digit"),
        Binding("end", "jump(-1)", "Last", show=False, tooltip="Last digit"),
        Binding("g", "ask_position", "Go to", show=False, tooltip="Go to digit number N (asks for N)"),
        Binding("m", "next_wrong(1)", "Wrong", tooltip="Next misclassified digit"),
        Binding("M", "next_wrong(-1)", "Prev wrong", show=False, tooltip="Previous misclassified digit"),
        Binding("f", "cycle_filter", "Filter", tooltip="Filter: all, mistakes, least confident"),
        Binding("a", "show_augmented", "Augmented", show=False, tooltip="This digit beside augmented versions of it"),
        # One help line for the ten: same description and tooltip (see tui.help).
        *[
            Binding(
                str(d),
                f"next_class({d})",
                "Next of digit",
                show=False,
                tooltip="Next digit whose true label is that key",
            )
            for d in range(10)
        ],
    ]

    def __init__(self, options, **kwargs):
        super().__init__(options, **kwargs)
        self.images = self.labels = self.probabilities = self.predictions = None
        self.class_names = DIGIT_NAMES
        self.selection = Selection()
        self.config = None
        self.rows = np.arange(0)
        self.position = 0
        self._drawn_row = -1  # the row whose image DigitArt shows (None: no digit)

    def compose(self) -> ComposeResult:
        with Horizontal(id="browser-main"):
            yield DigitArt(self.options.ascii_only, id="digit")
            yield Prediction(self.options.ascii_only, id="prediction")
        yield Label("", id="position")

    class Shown(Message):
        """The browser now shows this validation row (None: none)."""

        def __init__(self, row):
            super().__init__()
            self.row = row

    def focus_target(self):
        return self

    def show_run(self, run, changed):
        self.config = run.snapshot_config or run.config  # the settings the weights shown came from
        if "data" in changed:
            self.class_names = self.query_one("#prediction", Prediction).class_names = run.class_names
            self.set_data(run.val_images, run.val_labels)
        if "predictions" in changed and run.val_probabilities is not None and self.labels is not None:
            self.set_probabilities(run.val_probabilities)

    def set_data(self, images, labels):
        self.images, self.labels, self.probabilities, self.predictions = images, labels, None, None
        self._drawn_row = -1  # new images: whatever row comes next is drawn
        self.selection, self.position = Selection(), 0
        self._refilter(keep_row=False)

    def set_probabilities(self, probabilities):
        """New predictions (after an epoch): keep showing the same digit."""
        self.probabilities = probabilities
        self.predictions = probabilities.argmax(axis=1)  # once an epoch, not once a key
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
            self.post_message(self.Shown(row))
            self.query_one("#digit", DigitArt).image = None if row is None else self.images[row]
        probabilities = None if row is None or self.probabilities is None else self.probabilities[row]
        self.query_one("#prediction", Prediction).state = (
            None if row is None else (int(self.labels[row]), probabilities)
        )
        label = self.selection.describe(self.class_names)
        if self.labels is None:
            status = "Loading the validation digits..."
        elif row is None:
            status = f"No digits match the filter: {label}   (f: change filter)"
        else:
            status = f"{self.position + 1} / {len(self.rows)}   filter: {label}   (row {row})   a: augmented"
        self.query_one("#position", Label).update(Text(status), layout=False)  # names are never markup

    def action_move(self, step):
        if len(self.rows):
            self.position = min(max(self.position + step, 0), len(self.rows) - 1)
            self._draw()

    def action_jump(self, position):
        if len(self.rows):
            self.position = position % len(self.rows)
            self._draw()

    def action_ask_position(self):
        if not len(self.rows):
            return self.notify("No digits to go to in this filter.", severity="warning")
        self.app.push_screen(JumpScreen(len(self.rows), self.position + 1), self._go_to)

    def _go_to(self, position):
        """The dialog's answer: a position in the current filter, or None."""
        if position is not None and position < len(self.rows):  # the filter may have shrunk meanwhile
            self.position = position
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
        self._jump_to(lambda rows: self.predictions[rows] != self.labels[rows], step)

    def action_next_class(self, digit):
        self._jump_to(lambda rows: self.labels[rows] == digit, 1)

    def action_show_augmented(self):
        row = self.current_row
        if row is None or self.config is None:
            return self.notify("No digit to show.", severity="warning")
        self.app.push_screen(AugmentScreen(self.images[row], self.config, self.options.ascii_only, seed=int(row)))

    def action_cycle_filter(self):
        if self.probabilities is None:
            return self.notify("Filters need predictions: wait for the first epoch.", severity="warning")
        self.select(self.selection.next_filter())
