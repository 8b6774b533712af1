"""Read a Textual SVG screenshot back as screen lines, so that a snapshot
test that fails on CI (where only its output is kept) can say what differed."""

import difflib
import html
import re
from pathlib import Path

STYLE_PREFIX = re.compile(r"terminal-(\d+-)?")  # rich numbers each export's classes
CELL_WIDTH, LINE_HEIGHT = 12.2, 24.4  # rich's export_svg: one cell, one line
TEXT = re.compile(r'<text class="([^"]*)" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>')
BACKGROUND = re.compile(r'<rect fill="(#[0-9a-fA-F]+)" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="[\d.]+" shape')


def _row_and_column(x, y, top):
    return round((float(y) - top) / LINE_HEIGHT), round(float(x) / CELL_WIDTH)


def svg_screen_lines(svg):
    """One string per screen line: its text, then where each text style and
    each background colour starts (column:class, column:colour)."""
    texts, styles, backgrounds = {}, {}, {}
    for style, x, y, content in TEXT.findall(svg):
        if "title" in style:
            continue
        row, column = _row_and_column(x, y, 20)
        texts.setdefault(row, []).append((column, html.unescape(content).replace("\xa0", " ")))
        styles.setdefault(row, []).append((column, STYLE_PREFIX.sub("", style)))
    for colour, x, y in BACKGROUND.findall(svg):
        row, column = _row_and_column(x, y, 1.5)
        backgrounds.setdefault(row, []).append((column, colour.lower()))
    rows = sorted(set(texts) | set(backgrounds))
    return [
        _place(texts.get(row, [])) + f"  | {_changes(styles.get(row, []))} | {_changes(backgrounds.get(row, []))}"
        for row in rows
    ]


def _place(pieces):
    """The line's text, each piece at its own column (exports split and space runs differently)."""
    cells: list[str] = []
    for column, text in sorted(pieces):
        cells.extend(" " * (column + len(text) - len(cells)))
        cells[column : column + len(text)] = text
    return "".join(cells).rstrip()


def _changes(runs):
    """'column:value' where the value changes along the line (exports split runs differently)."""
    marks, last = [], None
    for column, value in sorted(runs):
        if value != last:
            marks.append(f"{column}:{value}")
        last = value
    return " ".join(marks)


def line_diff(expected, actual, limit=60):
    """The differing lines, at most ``limit`` of them."""
    lines = list(difflib.unified_diff(expected, actual, "expected", "seen", n=0, lineterm=""))
    return "\n".join(lines[:limit]) or "(the lines read back agree: the screen changed after, or in what they omit)"


def snapshot_path(request):
    """Where pytest-textual-snapshot keeps this test's SVG."""
    test_file = Path(request.node.fspath)
    return test_file.parent / "__snapshots__" / test_file.stem / f"{request.node.name}.svg"
