"""The Runs view's chart: the selected runs' validation loss and accuracy
overlaid on shared axes, with a legend. A pure renderable over
``render.LineChart``, wrapped by a thin widget in ``views.runs``.

Each run keeps its look (a colour and a marker) whichever runs are
selected and in whatever order: it is chosen from a hash of the run's name.
Should two selected runs hash to the same look, the one started later takes
the next free one, so no two curves on screen look alike (up to 40 runs;
10 without colour, where the marker alone tells runs apart).
"""

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.text import Text

from core.text import printable

from .render import LineChart

COLOURS = ("cyan", "magenta", "yellow", "green", "bright_blue", "red", "bright_cyan", "bright_magenta")
# Five markers beside eight colours: 5 and 8 share no factor, so the 40 looks
# are every pair, and neighbouring slots differ in both colour and marker.
UNICODE_MARKERS = ("\u2022", "\u00d7", "+", "o", "*")
ASCII_MARKERS = ("*", "o", "+", "x", "%", "=", "&", "$", "~", ">")  # no colour to help: more markers
BASELINE_MARKER = {False: "\u2588", True: "#"}  # a full block, drawn bold: the baseline stands out
BOTH_MARKER = {False: "\u25c6", True: "@"}  # LineChart's mark for a cell that several curves share
SMOOTHING = 0.6  # the weight of the past in the moving average (TensorBoard's default)
SIDE_BY_SIDE = 60  # columns from which the two charts sit side by side, each at least 29 wide
LEGEND_LINES = 3  # at most; a longer legend ends with "+N more"
LEGEND_NAME = 48  # characters of a run's name in the legend, cut in the middle


@dataclass(frozen=True)
class Look:
    colour: str
    marker: str


@dataclass(frozen=True)
class Curve:
    """One run's curves: validation loss and accuracy per epoch (NaN where
    an epoch's line lacks the number)."""

    name: str
    loss: Sequence[float]
    accuracy: Sequence[float]
    look: Look
    baseline: bool = False


def looks(names_by_age: Sequence[str], ascii_only: bool = False) -> dict[str, Look]:
    """A look for each of ``names_by_age`` (the selected runs, oldest first):
    the one its name hashes to, else the next that no older run shows (its
    colour and marker; without colour, its marker)."""
    markers = ASCII_MARKERS if ascii_only else UNICODE_MARKERS
    count = len(markers) if ascii_only else len(COLOURS) * len(markers)
    every = [Look(COLOURS[slot % len(COLOURS)], markers[slot % len(markers)]) for slot in range(count)]
    chosen: dict[str, Look] = {}
    for name in names_by_age:
        shown = {look.marker if ascii_only else look for look in chosen.values()}
        start = zlib.crc32(name.encode("utf-8", "surrogateescape")) % count
        candidates = every[start:] + every[:start]
        free = (look for look in candidates if (look.marker if ascii_only else look) not in shown)
        chosen[name] = next(free, candidates[0])  # more runs than looks: one is shared
    return chosen


def smooth(values: Sequence[float], weight: float = SMOOTHING) -> list[float]:
    """The exponential moving average of ``values``, corrected for its start
    (as TensorBoard does), so the first points are not pulled toward zero.
    A NaN stays a NaN and does not spoil the points after it."""
    smoothed, average, total_weight = [], 0.0, 0.0
    for value in values:
        if not np.isfinite(value):
            smoothed.append(float("nan"))
            continue
        average = weight * average + (1 - weight) * value
        total_weight = weight * total_weight + (1 - weight)
        smoothed.append(average / total_weight)
    return smoothed


class RunsChart:
    """The legend, then the loss and accuracy charts: side by side from
    SIDE_BY_SIDE columns, else one above the other."""

    def __init__(self, curves: Sequence[Curve], ascii_only: bool = False, smoothed: bool = False) -> None:
        self.curves, self.ascii_only, self.smoothed = curves, ascii_only, smoothed

    def __rich_console__(self, console, options):
        for line in self.lines(max(options.max_width, 20), max(options.height or 12, 6)):
            yield line
            yield Segment.line()

    def lines(self, width: int, height: int) -> list[Text]:
        """The whole chart as ``height`` lines of at most ``width`` cells."""
        if not self.curves:
            hint = "space selects a run to draw its curves here; * pins one as the baseline"
            return [Text(hint, style="dim", no_wrap=True, overflow="crop")] + [Text("")] * (height - 1)
        legend = self.legend(width, min(LEGEND_LINES, max(height - 6, 1)))
        room = max(height - len(legend), 4)
        loss, accuracy = self._charts()
        if width >= SIDE_BY_SIDE:
            left = (width - 2) // 2
            charts = _beside(self._draw(loss, left, room), self._draw(accuracy, width - 2 - left, room), left + 2)
        else:
            top = max(room // 2, 3)
            charts = self._draw(loss, width, top) + self._draw(accuracy, width, room - top)
        return legend + charts

    def legend(self, width: int, most: int) -> list[Text]:
        """Marker and name of each run (the baseline first), as many to a line
        as fit, in ``most`` lines at most; the rest counted in '+N more'."""
        runs = [self._entry(curve) for curve in sorted(self.curves, key=lambda curve: not curve.baseline)]
        several = [Text(f"{BOTH_MARKER[self.ascii_only]} several", style="bold")] if len(runs) > 1 else []
        lines = [Text(no_wrap=True, overflow="crop")]
        for number, entry in enumerate(runs + several):
            line = lines[-1]
            if line.cell_len and line.cell_len + 2 + entry.cell_len > width:
                if len(lines) == most:
                    if number < len(runs):  # runs left out; "several" alone may go unsaid
                        _end_with_more(line, len(runs) - number, width)
                    break
                line = Text(no_wrap=True, overflow="crop")
                lines.append(line)
            if line.cell_len:
                line.append("  ")
            line.append_text(entry)
        for line in lines:
            line.truncate(width)
        return lines

    def _entry(self, curve: Curve) -> Text:
        marker = BASELINE_MARKER[self.ascii_only] if curve.baseline else curve.look.marker
        text = Text(f"{marker} ", style=f"bold {curve.look.colour}" if curve.baseline else curve.look.colour)
        text.append(printable(curve.name, LEGEND_NAME))  # a folder's name: anything a file system allows
        if curve.baseline:
            text.append(" (baseline)", style="bold")
        return text

    def _charts(self) -> tuple[LineChart, LineChart]:
        suffix = ", smoothed" if self.smoothed else ""
        made = []
        for title, field, y_format in (("val loss", "loss", "{:.3f}"), ("val accuracy", "accuracy", "{:.1%}")):
            series = []
            for curve in self.curves:
                values = list(getattr(curve, field))
                values = smooth(values) if self.smoothed else values
                if not any(np.isfinite(values)):
                    continue  # no number to draw (an edited file): the legend still names it
                style = f"bold {curve.look.colour}" if curve.baseline else curve.look.colour
                marker = BASELINE_MARKER[self.ascii_only] if curve.baseline else curve.look.marker
                series.append((curve.name, values, style, marker))
            both = ("several", BOTH_MARKER[self.ascii_only], "bold")
            made.append(LineChart(title + suffix, series, ascii_only=self.ascii_only, y_format=y_format, both=both))
        return made[0], made[1]

    def _draw(self, chart: LineChart, width: int, height: int) -> list[Text]:
        """``chart`` in ``width`` x ``height``; its header is the title alone
        (the legend above names the runs); long runs are sampled to fit."""
        epochs = max((len(values) for _, values, _, _ in chart.series), default=0)
        if epochs > width:  # a chart cannot show more epochs than it has columns
            picks = np.linspace(0, epochs - 1, width).round().astype(int)
            sampled = [
                (name, [values[i] for i in picks if i < len(values)], style, marker)
                for name, values, style, marker in chart.series
            ]
            chart.series = [series for series in sampled if any(np.isfinite(series[1]))]
            chart.last_epoch = epochs
        if not chart.series:
            return [Text(chart.title, style="bold"), Text("  no epochs recorded", style="dim")] + [Text("")] * (
                height - 2
            )
        lines = chart.lines(width, height)
        lines[0] = Text(chart.title, style="bold", no_wrap=True, overflow="crop")
        lines[0].truncate(width)
        return lines


def _beside(left: list[Text], right: list[Text], column: int) -> list[Text]:
    """Two charts' lines side by side, the right one from ``column``."""
    joined = []
    for number in range(max(len(left), len(right))):
        line = left[number].copy() if number < len(left) else Text("")
        line.truncate(column - 2)
        line.pad_right(column - line.cell_len)
        if number < len(right):
            line.append_text(right[number])
        joined.append(line)
    return joined


def _end_with_more(line: Text, left: int, width: int) -> None:
    more = f"  +{left} more"
    line.truncate(max(width - len(more), 0))
    line.append(more, style="dim")
