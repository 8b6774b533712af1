"""The Runs view's actions on one run (``views.runs.RunsView``, whose
state they read): open its model, compare its settings with another run's,
delete it after asking."""

import os
from typing import TYPE_CHECKING

from core.errors import DigitTuiError
from core.run_store import MODEL_FILES, remove_run
from core.text import printable

from .dialogs import ConfirmScreen
from .recording import runs_folder
from .runs_compare import CompareScreen, Side

if TYPE_CHECKING:
    from .views.runs import RunsView


def open_run(view: "RunsView") -> None:
    """The highlighted run's best model (else its last), opened as ``o`` would."""
    info = view.highlighted()
    if info is None:
        return
    if info.name == view.live_name:
        view.app.notify("This run is still training: its models are written when it ends.", markup=False)
        return
    kind = next((kind for kind in ("best", "final") if kind in info.models), None)
    if kind is None:
        view.app.notify(
            f"{printable(info.name, 80)} has no model kept (older runs' models are pruned; "
            "DIGIT_TUI_KEEP_MODELS keeps more).",
            severity="warning",
            markup=False,
        )
        return
    view.post_message(view.OpenModel(os.path.join(info.folder, MODEL_FILES[kind])))


def compare_runs(view: "RunsView") -> None:
    """The highlighted run's settings beside the baseline's; with none,
    beside a selected run's (the first in the table), else the next row's."""
    rows = view.rows
    first = view.highlighted()
    if first is None:
        return
    by_name = {info.name: info for info in rows}
    others = [(view.baseline, "baseline")] if view.baseline else []
    others += [(info.name, "selected") for info in rows if info.name in view.selected]
    second = next((Side(by_name[name], role) for name, role in others if name != first.name and name in by_name), None)
    if second is None and len(rows) > 1:
        index = rows.index(first)
        second = Side(rows[index + 1], "next row") if index + 1 < len(rows) else Side(rows[index - 1], "row above")
    if second is None:
        view.app.notify("There is no other run to compare with.", markup=False)
        return
    role = "baseline" if first.name == view.baseline else "cursor"
    view.app.push_screen(CompareScreen(Side(first, role), second, view.options.ascii_only))


def delete_run(view: "RunsView") -> None:
    """Ask, then delete the highlighted run; never one still being written."""
    info = view.highlighted()
    if info is None:
        return
    shown = printable(info.name, 80)
    if info.name == view.live_name or info.outcome == "running":
        where = "here: stop it first" if info.name == view.live_name else "in another digit-tui"
        view.app.notify(f"{shown} is still training {where}.", severity="warning", markup=False)
        return
    question = f"Delete run {shown}, its metrics and models?"
    view.app.push_screen(ConfirmScreen(question), lambda yes: _remove(view, info.name) if yes else None)


def _remove(view: "RunsView", name: str) -> None:
    try:
        remove_run(runs_folder(), name)
    except DigitTuiError as error:
        view.app.notify(str(error), severity="error", timeout=10, markup=False)
    else:
        view.app.notify(f"Deleted run {printable(name, 80)}", markup=False)
    view.selected.discard(name)
    view.metrics.pop(name, None)
    view.metric_notes.pop(name, None)
    if view.baseline == name:
        view.baseline = None
    view.reload()
