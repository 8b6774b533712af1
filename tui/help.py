"""The help screen: what each number means, and every key, by view.

The keys come from the bindings themselves (the app's, the screen's focus
keys, and each registered view's), so the help cannot drift from what the
keys do. Bindings with the same description and tooltip share one line.
"""

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from .dialogs import Dialog
from .views import VIEWS

METRICS = [
    (
        "running loss / acc",
        "mean cross-entropy and accuracy of the epoch's mini-batches, each taken before "
        "its update, with dropout and on augmented digits when the run augments them, "
        "so often worse than validation (the table's loss, acc)",
    ),
    ("val loss / acc", "the same on the held-out validation digits, with the epoch's final weights; never trained on"),
    (
        "best val acc",
        "the highest validation accuracy of this run so far, and its epoch (a tie goes to the lower val loss), "
        "marked on the charts by a dotted line; a run ends with that epoch's weights unless --keep last",
    ),
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
# Textual's own focus keys, described as ours are.
FOCUS_TOOLTIPS = {
    "app.focus_next": "Move the focus to the next part of the screen",
    "app.focus_previous": "Move the focus to the previous part of the screen",
}
WIDE = 110  # from this width the help shows in two columns (at 120x40 it scrolls a few lines, visibly)


def key_sections(app):
    """[(title, [(keys, description, tooltip)])]: everywhere, then each view.
    The views' own keys make one line, from the registry."""
    views = Binding(
        ",".join(spec.key for spec in VIEWS),
        "show_view",
        "Views",
        tooltip="Show a view: " + ", ".join(spec.title for spec in VIEWS),
    )
    app_keys = [b for b in app.BINDINGS if not b.action.startswith("show_view(")]
    focus_keys = [
        Binding(b.key, b.action, b.description, tooltip=FOCUS_TOOLTIPS[b.action])
        for b in Screen.BINDINGS
        if b.action in FOCUS_TOOLTIPS
    ]
    everywhere = [views, *app_keys, *focus_keys]
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


ARROWS = ({"↑", "↓", "←", "→"}, {"^", "v", "<-", "->"}, {"up", "down", "left", "right"})


def _join_keys(keys):
    """'0-9', 'arrows/hjkl', 't/b/c/d' or 'pgup / pgdn': short enough for the key column."""
    if len(keys) > 2 and all(k.isdigit() and len(k) == 1 for k in keys):
        return f"{keys[0]}-{keys[-1]}"
    for arrows in ARROWS:
        if arrows <= set(keys):
            rest = [k for k in keys if k not in arrows]
            vim = {"h", "j", "k", "l"} <= set(rest)
            rest = [k for k in rest if not (vim and k in "hjkl")]
            return "/".join(["arrows", *(["hjkl"] if vim else []), *rest])
    return ("/" if all(len(k) == 1 for k in keys) else " / ").join(keys)


def keys_text(sections):
    """Each section's keys and what they do (the footer shows the short names),
    each section a grid: a long description wraps under itself, not under the keys."""
    parts = []
    for number, (title, rows) in enumerate(sections):
        parts.append(Text(("\n" if number else "") + title, style="bold underline"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, min_width=14, style="bold")
        grid.add_column(ratio=1)
        for keys, _, tooltip in rows:
            grid.add_row(Text(f"  {keys}"), Text(tooltip))
        parts.append(grid)
    return Group(*parts)


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
    text.append("\nEscape closes this help. It scrolls: PgDn, PgUp, the arrows, the mouse wheel.", style="dim")
    return text


class HelpScreen(Dialog):
    """The metrics and keys, in two columns when the window is wide enough."""

    BINDINGS = [Binding("escape,question_mark", "close", "Close", tooltip="Close the help")]

    def __init__(self, sections):
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-box"):
            # Said at the top, where it is seen: in ASCII mode there is no scrollbar.
            yield Static("Escape closes this help. PgDn, PgUp, the arrows and the wheel scroll it.", classes="dim")
            with VerticalScroll(id="help-scroll"), Grid(id="help-grid"):
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
