"""The app's views, one module each, registered here in one table.

The app builds its tabs, the keys that switch to them, the command palette
entries and the help sections from ``VIEWS``. Adding a view is a new module
with a ``View`` subclass and one line below.
"""

from dataclasses import dataclass

from .base import View, ViewOptions
from .confusion import ConfusionView
from .digits import BrowserView
from .draw import DrawView
from .inside import InsideView
from .runs import RunsView
from .training import TrainingView


@dataclass(frozen=True)
class ViewSpec:
    id: str  # the tab's id, and the argument of the app's show_view action
    title: str  # the tab's label
    key: str  # the key that shows the view
    description: str  # for the footer's tooltip, the palette and the help
    view: type  # a View subclass, built with ViewOptions


VIEWS = [
    ViewSpec("training", "Training", "t", "Progress, metrics and curves", TrainingView),
    ViewSpec("browser", "Digits", "b", "Browse validation digits and predictions", BrowserView),
    ViewSpec("confusion", "Confusion", "c", "The validation confusion matrix", ConfusionView),
    ViewSpec("draw", "Draw", "d", "Draw a digit and see what the network makes of it", DrawView),
    ViewSpec("inside", "Inside", "i", "What each neuron looks for, and why the answer came out", InsideView),
    ViewSpec("runs", "Runs", "u", "Every recorded run: compare their curves, open or delete one", RunsView),
]

__all__ = ["VIEWS", "ViewSpec", "View", "ViewOptions"]
