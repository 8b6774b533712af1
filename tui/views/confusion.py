"""The Confusion view: the validation confusion matrix; Enter opens a cell's digits."""

from textual.app import ComposeResult
from textual.widgets import Label

from core.metrics import confusion_matrix

from ..widgets import ConfusionGrid
from .base import View


class ConfusionView(View):
    """The confusion matrix of the validation set; Enter opens a cell's digits."""

    KEY_SOURCES = (ConfusionGrid,)

    def compose(self) -> ComposeResult:
        yield Label(
            "Rows: true digit. Columns: predicted. ! marks the largest mistakes.\n"
            "Arrows move the cursor [ ]; Enter browses the digits of its cell.",
            id="confusion-help",
        )
        yield ConfusionGrid(id="confusion-grid")

    def focus_target(self):
        return self.query_one(ConfusionGrid)

    def show_run(self, run, changed):
        if "predictions" in changed and run.val_probabilities is not None and run.val_labels is not None:
            predictions = run.val_probabilities.argmax(axis=1)
            self.query_one(ConfusionGrid).confusion = confusion_matrix(run.val_labels, predictions)
        elif "data" in changed:
            self.query_one(ConfusionGrid).confusion = None
