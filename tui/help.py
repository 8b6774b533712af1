"""The help screen: what each number means, and every key, by view.

The keys come from the bindings themselves (the app's, the screen's focus
keys, and each registered view's), so the help cannot drift from what the
keys do. Bindings with the same description and tooltip share one line.
"""

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from .views import VIEWS

METRICS = [
    (
        "running loss / acc",
        "mean cross-entropy and accuracy of the epoch's mini-batches, each taken before "
        "its update, with dropout (the table's loss, acc)",
    ),
    ("val loss / acc", "the same on the held-out validation digits, with the epoch's final weights; never trained on"),
    ("best val acc", "the highest validation accuracy of this run so far, and its epoch"),
    ("learning rate", "the step size this epoch, after the schedule"),
    ("samples/s", "training digits per second of training steps (evaluation not counted)"),
    ("step / elapsed", "updates so far; time since the run began, pauses excluded"),
    ("ETA", "time left in the epoch and in the run, at the pace so far"),
    ("batch loss", "recent mini-batch losses; the line should trend down"),
    ("row 4*", "a partial epoch: training stopped in it; its numbers are the stopped weights'"),
    (
        "confusion matrix",
        "row = true digit, column = prediction; the diagonal is right; the largest mistakes (ties too) are marked !",
    ),
]
WIDE = 110  # from this width the help shows in two columns and fits 120x40 without scrolling


def key_sections(app):
    """[(title, [(keys, description, tooltip)])]: everywhere, then each view."""
    everywhere = list(app.BINDINGS) + [
        b for b in Screen.BINDINGS if b.action in ("app.focus_next", "app.focus_previous")
    ]
    everywhere.append(
        Binding(
            app.COMMAND_PALETTE_BINDING,
            "command_palette",
            "Commands",
            tooltip="Every command, searchable (the theme too)",
        )
    )
    sections = [("Everywhere", _rows(app, everywhere))]
    for spec in VIEWS:
        bindings = list(getattr(spec.view, "BINDINGS", []))
        for source in spec.view.KEY_SOURCES:
            bindings += source.BINDINGS
        sections.append((f"{spec.title} view ({spec.key})", _rows(app, bindings)))
    return sections


def _rows(app, bindings):
    """One row per tooltip, its keys joined: 'right / l'. Bindings that share
    a tooltip (p's Pause and Resume, the four arrows) share the row."""
    rows = {}
    for binding in bindings:
        description = binding.description or binding.action
        tooltip = binding.tooltip or description
        _, keys = rows.setdefault(tooltip, (description, []))
        for key in binding.key.split(","):
            shown = app.get_key_display(Binding(key.strip(), ""))
            if shown not in keys:
                keys.append(shown)
    return [(_join_keys(keys), description, tooltip) for tooltip, (description, keys) in rows.items()]


def _join_keys(keys):
    if len(keys) > 2 and all(k.isdigit() and len(k) == 1 for k in keys):
        return f"{keys[0]}-{keys[-1]}"
    return " / ".join(keys)


def keys_text(sections):
    """Each section's keys and what they do (the footer shows the short names)."""
    text = Text()
    for title, rows in sections:
        text.append(f"{title}\n", style="bold underline")
        for keys, _, tooltip in rows:
            text.append(f"  {keys:<12}", style="bold")
            text.append(f"{tooltip}\n")
        text.append("\n")
    return text


def split_sections(sections):
    """Two groups of whole sections with about the same number of lines."""
    sizes = [len(rows) + 2 for _, rows in sections]
    half, total = sum(sizes) / 2, 0
    for index, size in enumerate(sizes):
        total += size
        if total >= half:
            return sections[: index + 1], sections[index + 1 :]
    return sections, []


def metrics_text():
    text = Text()
    text.append("What the numbers mean\n", style="bold underline")
    for name, meaning in METRICS:
        text.append(f"  {name}", style="bold")
        text.append(f": {meaning}.\n")
    text.append("\nEscape closes this help; in a small window it scrolls (PgDn, PgUp).", style="dim")
    return text


class HelpScreen(ModalScreen):
    """The metrics and keys, in two columns when the window is wide enough."""

    BINDINGS = [Binding("escape,question_mark", "close", "Close", tooltip="Close the help")]

    def __init__(self, sections):
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-box"), VerticalScroll(id="help-scroll"), Grid(id="help-grid"):
            left, right = split_sections(self.sections)
            yield Static(keys_text(left), id="help-keys")
            yield Static(keys_text(right), id="help-keys-2")
            yield Static(metrics_text(), id="help-metrics")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self):
        self.set_class(self.app.size.width >= WIDE, "-wide")
        self.query_one("#help-scroll").focus()  # arrows and PgDn scroll at once

    def action_close(self):
        self.dismiss(None)
