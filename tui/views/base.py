"""What every view is: a tab of the app that renders the run state."""

from dataclasses import dataclass

from textual.containers import Vertical


@dataclass(frozen=True)
class ViewOptions:
    """How the app was started, as far as drawing is concerned."""

    ascii_only: bool = False
    show_timing: bool = True  # off in tests and snapshots, whose times would differ


class View(Vertical):
    """Base of the views registered in ``tui.views.VIEWS``.

    The app calls ``show_run`` whenever the run state changes, saying what
    changed (a set of words: "phase", "data", "began", "progress", "runs",
    "epochs", "predictions", "ended"), and never reaches into a view
    otherwise. ``KEY_SOURCES`` names the widget classes inside the view whose
    bindings the help lists under the view's name, beside its own."""

    KEY_SOURCES = ()

    def __init__(self, options, **kwargs):
        super().__init__(**kwargs)
        self.options = options

    def show_run(self, run, changed):
        """Draw what ``changed`` in ``run`` (a tui.run_state.RunState)."""

    def focus_target(self):
        """The widget that takes the keys when the view is shown."""
        return None
