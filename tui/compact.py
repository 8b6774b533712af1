"""Fewer bytes to the terminal: one segment per run of one style.

Textual writes every segment of a line as a full colour code, the text and a
reset, about 20 bytes beyond the text itself. Widgets drawn cell by cell (a
chart's markers, a table's cells, a sparkline's bars) thus cost several times
their text, which over SSH is most of what the app sends.
"""

from rich.segment import Segment
from textual.strip import Strip


class CompactLines:
    """Widget mixin: each line goes out with its same-styled neighbours
    joined. What is drawn stays the same; the mouse metadata is dropped, so
    use it only on widgets that are looked at, not clicked."""

    def render_lines(self, crop):
        return [join_segments(strip) for strip in super().render_lines(crop)]


def join_segments(strip):
    """The same cells in as few segments as possible: neighbours of one style
    are joined, and blanks join a neighbour whose background they share."""
    joined = []
    for text, style, control in strip:
        # Rich's clear_meta_and_links, not Strip.discard_meta: the latter keeps
        # the style's cached hash, so styles that differed only in metadata (a
        # table's cells) would still compare unequal and never be joined.
        style = style.clear_meta_and_links() if style else style
        if joined and not control and not joined[-1].control:
            last = joined[-1]
            if style == last.style or (text.isspace() and blank_fits(last.style, style)):
                joined[-1] = Segment(last.text + text, last.style)
                continue
            if last.text.isspace() and blank_fits(style, last.style):
                joined[-1] = Segment(last.text + text, style)
                continue
        joined.append(Segment(text, style, control))
    return Strip(joined, strip.cell_length)


def blank_fits(style, blank_style):
    """Can blanks drawn in ``blank_style`` be drawn in ``style`` instead? A
    space shows only its background, unless an attribute draws on it."""
    if style is None or blank_style is None:
        return style == blank_style
    drawn_on = ("reverse", "underline", "underline2", "strike", "overline", "frame", "encircle", "blink")
    return style.bgcolor == blank_style.bgcolor and not any(
        getattr(s, name) for s in (style, blank_style) for name in drawn_on
    )
