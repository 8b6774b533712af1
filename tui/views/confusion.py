"""The Confusion view: the validation confusion matrix; Enter opens a cell's digits."""

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Label

from core.class_names import DIGIT_NAMES
from core.metrics import confusion_matrix

from ..widgets import ConfusionGrid
from .base import View


def legend_text(names: Sequence[str]) -> Text:
    """'0 T-shirt/top  1 Trouser ...': the whole names, which the headers
    cut to five cells (or replace by numbers). Empty for the digits."""
    if tuple(names) == DIGIT_NAMES:
        return Text("")
    text = Text()
    for number, name in enumerate(names):
        if number:
            text.append("\n" if number == len(names) // 2 else "  ")  # two lines, never a name split from its number
        text.append(f"{number} ", style="dim")  # also the browser's key for the class
        text.append(name, style="bold")
    return text


def help_text(names: Sequence[str]) -> Text:
    what = "digit" if tuple(names) == DIGIT_NAMES else "class"
    return Text(
        f"Rows: true {what}. Columns: predicted. ! marks the largest mistakes.\n"
        "Arrows move the cursor [ ]; Enter browses the digits of its cell."
    )


class ConfusionView(View):
    """The confusion matrix of the validation set; Enter opens a cell's digits."""

    KEY_SOURCES = (ConfusionGrid,)
    DEFAULT_CSS = "#confusion-legend { width: 100%; height: auto; margin-top: 1; }"

    def compose(self) -> ComposeResult:
        yield Label(help_text(DIGIT_NAMES), id="confusion-help")
        yield ConfusionGrid(id="confusion-grid")
        yield Label("", id="confusion-legend")

    def focus_target(self):
        return self.query_one(ConfusionGrid)

    def show_run(self, run, changed):
        grid = self.query_one(ConfusionGrid)
        if "data" in changed:
            grid.class_names = run.class_names
            self.query_one("#confusion-help", Label).update(help_text(run.class_names))
            legend = self.query_one("#confusion-legend", Label)
            legend.update(legend_text(run.class_names))
            legend.display = run.class_names != DIGIT_NAMES
        if "predictions" in changed and run.val_probabilities is not None and run.val_labels is not None:
            predictions = run.val_probabilities.argmax(axis=1)
            grid.confusion = confusion_matrix(run.val_labels, predictions)
        elif "data" in changed:
            grid.confusion = None
