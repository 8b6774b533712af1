"""Pure drawing functions and renderables: no app state, easy to test.

Widgets in ``widgets.py`` wrap these, the way Textual's own ProgressBar and
Sparkline keep their drawing in a renderable.
"""

import math
from collections.abc import Sequence

import numpy as np
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.renderables.bar import Bar

from core.class_names import DIGIT_NAMES

# The longest class name the probability bars show whole (Fashion-MNIST's
# "T-shirt/top"); a longer one, from someone's model file, is cut.
BAR_LABEL_WIDTH = 11
# Darkest to brightest; each character stands for a vertical pair of pixels.
ASCII_RAMP = " .:-=+*#%@"
UPPER_HALF = "\u2580"  # the top pixel is the foreground, the bottom the background


def digit_art(image, ascii_only=False):
    """A 28x28 digit as 14 lines of 28 cells, two pixels (one above the
    other) per cell. Unicode: an upper half block whose foreground is the top
    pixel's grey and background the bottom's. ASCII: one ramp character for
    the pair's mean brightness."""
    pixels = np.asarray(image, dtype=np.uint8).reshape(28, 28)
    top, bottom = pixels[0::2], pixels[1::2]
    text = Text(no_wrap=True, overflow="crop")
    for row in range(14):
        if row:
            text.append("\n")
        if ascii_only:
            mean = (top[row].astype(int) + bottom[row]) / 2
            levels = np.minimum((mean * len(ASCII_RAMP) / 256).astype(int), len(ASCII_RAMP) - 1)
            text.append("".join(ASCII_RAMP[level] for level in levels))
        else:
            for upper, lower in zip(top[row], bottom[row]):
                text.append(UPPER_HALF, Style(color=_grey(upper), bgcolor=_grey(lower)))
    return text


def _grey(value):
    level = int(value)
    return f"rgb({level},{level},{level})"


def fit_cells(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` terminal cells (a wide
    character counts two)."""
    return set_cell_size(text, width)


def rjust_cells(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells and right-aligned in them."""
    text = fit_cells(text, width).rstrip()
    return " " * (width - cell_len(text)) + text


def short_names(names: Sequence[str], width: int) -> list[str]:
    """Class names for a header ``width`` cells wide: each cut to fit; the
    numbers 0-9 instead if two cut names would read the same (a legend
    then says which is which)."""
    cut = [fit_cells(name, width).rstrip() for name in names]
    return cut if len(set(cut)) == len(cut) else list(DIGIT_NAMES)


def probability_bars(probabilities, true_label, width=20, ascii_only=False, names=DIGIT_NAMES):
    """Ten lines 'k ████▌     12.3%', the true class and the prediction
    marked; with class names other than the digits, each line starts with
    its name ('Coat ████▌ 12.3%') and the bars are shorter by as much."""
    predicted = int(np.argmax(probabilities))
    full, blank = ("#", ".") if ascii_only else ("\u2588", " ")
    label_width = min(max(cell_len(name) for name in names), BAR_LABEL_WIDTH)
    width = max(width - (label_width - 1), 5)
    text = Text(no_wrap=True)
    for digit, probability in enumerate(probabilities):
        filled = int(round(float(probability) * width))
        marker = "<" if digit == predicted else " "
        style = (
            "bold green"
            if digit == true_label == predicted
            else ("bold red" if digit == predicted else ("bold" if digit == true_label else ""))
        )
        text.append(fit_cells(names[digit], label_width) + " ", style="bold" if digit == true_label else "")
        text.append(full * filled + blank * (width - filled), style=style or "dim")
        text.append(f" {float(probability):6.1%} {marker}".rstrip(), style=style)
        if digit < 9:
            text.append("\n")
    return text


def text_sparkline(values, width, ramp=ASCII_RAMP):
    """One line of ``width`` characters, each the mean of a slice of
    ``values`` on a brightness ramp: a sparkline for terminals without
    Unicode block characters."""
    if not len(values) or width < 1:
        return Text("." * max(width, 0), style="dim")
    data = np.asarray(values, dtype=float)
    slices = np.array_split(data, min(width, len(data)))
    means = np.array([part.mean() for part in slices])
    low, high = means.min(), means.max()
    shares = (means - low) / (high - low) if high > low else np.full(len(means), 0.5)
    levels = np.minimum((shares * (len(ramp) - 1)).round().astype(int), len(ramp) - 1)
    # the blank at the ramp's bottom would look like missing data: start at '.'
    return Text("".join(ramp[max(level, 1)] for level in levels))


def style_runs(chars, styles):
    """Group cells into (text, style) runs. A blank takes the style of the run
    it falls in, since a space shows no foreground colour: "x  x" in one
    colour is one run, which the terminal receives as one colour code."""
    runs = []
    for char, style in zip(chars, styles):
        if runs and (char == " " or style == runs[-1][1]):
            runs[-1][0].append(char)
        else:
            runs.append([[char], style])
    return [("".join(run), style) for run, style in runs]


class AsciiBar(Bar):
    """Textual's progress bar drawn as '#' for done and '.' for to do, so it
    reads without colour and without Unicode."""

    def __rich_console__(self, console, options):
        width = self.width or options.max_width
        start, end = (min(max(round(v), 0), width) for v in self.highlight_range)
        text = Text("." * start, style=self.background_style, end="")
        text.append("#" * max(end - start, 0), style=self.highlight_style)
        text.append("." * (width - max(end, start)), style=self.background_style)
        yield text


class LineChart:
    """Per-epoch series on labelled axes: y labels at the left, epochs below.

    ``series`` is a list of (name, values, style, marker); all the same length.
    A cell where points of more than one series land shows ``both`` (a
    (name, marker, style) triple) instead, so no series hides another; by
    default '@' in ASCII and a diamond in Unicode, in bold. The legend lists
    it whenever there are two series or more, so the header does not shift
    as the curves meet and part. ``best_epoch`` (1-based) is marked on the
    x axis, with a legend entry: the epoch of the best validation accuracy,
    whose weights a run keeps by default.
    """

    def __init__(
        self,
        title,
        series,
        y_range=None,
        ascii_only=False,
        y_format="{:.2f}",
        last_epoch=None,
        both=None,
        x_label="epoch",
        best_epoch=None,
    ):
        self.x_label = x_label
        self.best_epoch = best_epoch
        self.title = title
        self.last_epoch = last_epoch  # the x axis's right label, when the series are a sample
        self.series = series
        self.y_range = y_range
        self.ascii_only = ascii_only
        self.y_format = y_format
        self.both = both or ("both", "@" if ascii_only else "\u25c6", "bold")

    def __rich_console__(self, console, options):
        width = max(options.max_width, 20)
        height = max((options.height or 8), 4)
        for line in self.lines(width, height):
            yield line
            yield Segment.line()

    def lines(self, width, height):
        """The chart as ``height`` Text lines of at most ``width`` cells."""
        counts = [len(values) for _, values, _, _ in self.series]
        epochs = max(counts, default=0)
        header = self._header(width)
        plot_rows = height - 2
        if epochs == 0:
            return [header, Text("  waiting for the first epoch...", style="dim")] + [Text("")] * plot_rows
        low, high = self._range()
        label_width = max(len(self.y_format.format(v)) for v in (low, high)) + 1
        plot_width = max(width - label_width - 1, 4)
        # which series have a point in each cell: one draws its marker, several the 'both' marker
        owners = [[set() for _ in range(plot_width)] for _ in range(plot_rows)]
        for number, (_, values, _, _) in enumerate(self.series):
            for index, value in enumerate(values):
                if np.isnan(value):
                    continue  # a diverged epoch: no point, rather than no chart
                column = 0 if epochs == 1 else round(index * (plot_width - 1) / (epochs - 1))
                share = 0.0 if high == low else (value - low) / (high - low)
                if not math.isfinite(share):  # a span too wide for a float (edited metrics): no point
                    continue
                row = plot_rows - 1 - round(min(max(share, 0.0), 1.0) * (plot_rows - 1))
                owners[row][column].add(number)
        _, both_marker, both_style = self.both
        grid = [[" "] * plot_width for _ in range(plot_rows)]
        styles = [[""] * plot_width for _ in range(plot_rows)]
        for row in range(plot_rows):
            for column, numbers in enumerate(owners[row]):
                if len(numbers) > 1:
                    grid[row][column], styles[row][column] = both_marker, both_style
                elif numbers:
                    _, _, style, marker = self.series[next(iter(numbers))]
                    grid[row][column], styles[row][column] = marker, style
        self._mark_best(grid, styles, plot_width, epochs)
        lines = [header]
        for row in range(plot_rows):
            value = high - (high - low) * row / max(plot_rows - 1, 1)
            label = self.y_format.format(value) if row in (0, plot_rows - 1, plot_rows // 2) else ""
            line = Text(label.rjust(label_width) + ("|" if self.ascii_only else "\u2502"), style="dim")
            for run, style in style_runs(grid[row], styles[row]):
                line.append(run, style=style)
            lines.append(line)
        last = str(self.last_epoch or epochs)
        axis = f"1{self.x_label.center(plot_width - len(last) - 1)}{last}"
        lines.append(Text(" " * (label_width + 1) + axis[:plot_width], style="dim"))
        return lines

    def _mark_best(self, grid, styles, plot_width, epochs):
        """A dotted vertical line at the best epoch, in the cells no point uses."""
        last_epoch = self.last_epoch or epochs
        if not self.best_epoch or last_epoch < 1:
            return
        share = 0.0 if last_epoch == 1 else (self.best_epoch - 1) / (last_epoch - 1)
        column = round(min(share, 1.0) * (plot_width - 1))
        for row, cells in enumerate(grid):
            if cells[column] == " ":
                cells[column], styles[row][column] = self._best_marker(), "green"

    def _best_marker(self):
        return ":" if self.ascii_only else "\u250a"

    def _header(self, width):
        """The title and the legend, cut to ``width``: the gaps narrow first,
        then the 'both' entry goes (the best epoch's mark stays: it is the
        one that says what the dotted line is), then the legend is cropped."""
        series = [(f"{marker} {name}", style) for name, _, style, marker in self.series]
        both = []
        if len(self.series) > 1:
            name, marker, style = self.both
            both = [(f"{marker} {name}", style)]
        best = [(f"{self._best_marker()} best {self.best_epoch}", "green")] if self.best_epoch else []
        for entries, gap in (
            (series + both + best, "  "),
            (series + both + best, " "),
            (series + best, " "),
            (series, " "),
        ):
            header = Text(self.title, style="bold", no_wrap=True, overflow="crop")
            for entry, style in entries:
                header.append(gap)
                header.append(entry, style=style)
            if header.cell_len <= width:
                break
        header.truncate(width)
        return header

    def _range(self):
        if self.y_range is not None:
            return self.y_range
        values = [v for _, series, _, _ in self.series for v in series if np.isfinite(v)]
        low, high = min(values), max(values)
        return (low, high) if high > low else (low - 0.5, high + 0.5)


class PadArt:
    """The pad as text: an upper half block per cell (top pixel in the
    foreground, bottom in the background), or in ASCII one character per
    pixel pair. The cursor's cell is shown reversed ('+' in ASCII)."""

    def __init__(self, pad, ascii_only=False, show_cursor=True):
        self.pad, self.ascii_only, self.show_cursor = pad, ascii_only, show_cursor

    def __rich_console__(self, console, options):
        pixels, (cursor_x, cursor_y) = self.pad.pixels, self.pad.cursor
        for row in range(0, self.pad.height, 2):
            top, bottom = pixels[row], pixels[min(row + 1, self.pad.height - 1)]
            cursor_col = cursor_x if self.show_cursor and row // 2 == cursor_y // 2 else None
            yield from self._line(top, bottom, cursor_col)
            yield Segment.line()

    def _line(self, top, bottom, cursor_col):
        if self.ascii_only:
            chars = [_ascii_pair(upper, lower) for upper, lower in zip(top, bottom)]
            if cursor_col is not None:
                chars[cursor_col] = "+"
            yield Segment("".join(chars))
            return
        runs = []
        for col, (upper, lower) in enumerate(zip(top, bottom)):
            style = Style(color=_pad_grey(upper), bgcolor=_pad_grey(lower), reverse=col == cursor_col)
            if runs and runs[-1][1] == style:
                runs[-1][0].append(UPPER_HALF)
            else:
                runs.append(([UPPER_HALF], style))
        for chars, style in runs:
            yield Segment("".join(chars), style)


def _ascii_pair(upper, lower):
    """' ' blank, "'" top pixel, '.' bottom pixel, ':' both, by their ink."""
    return " '.:"[int(upper > 0.5) + 2 * int(lower > 0.5)]


def _pad_grey(value):
    level = int(round(float(value) * 255))
    return f"rgb({level},{level},{level})"


SPARK_LEVELS = " \u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"


def probability_columns(probabilities, predicted=None, rows=4, ascii_only=False):
    """The ten class probabilities as columns of bars (three cells a class,
    ``rows`` high, in eighths of a cell), the digits underneath: compact
    enough to sit under a 28x14 digit."""
    heights = np.round(np.asarray(probabilities, dtype=float) * rows * 8).astype(int)
    text = Text(no_wrap=True)
    for row in range(rows, 0, -1):
        for digit, height in enumerate(heights):
            filled = min(max(height - (row - 1) * 8, 0), 8)
            glyph = ("#" if filled >= 4 else " ") if ascii_only else SPARK_LEVELS[filled]
            text.append(f" {glyph} ", style="bold green" if digit == predicted else "")
        text.append("\n")
    for digit in range(10):
        text.append(f" {digit} ", style="bold reverse" if digit == predicted else "dim")
    return text
