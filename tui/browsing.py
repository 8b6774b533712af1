"""Which validation digits the browser shows, in what order: pure logic.

A filter turns (labels, probabilities) into an ordered list of row numbers;
the browser keeps a position in that list. Everything a key does here is
one NumPy pass at most, so a 60,000-digit set browses as fast as 100.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.class_names import DIGIT_NAMES
from core.text import printable

FILTERS = ("all", "misclassified", "least confident")


@dataclass(frozen=True)
class Selection:
    """The active filter: one of FILTERS, or the confusion cell (true, predicted)."""

    name: str = "all"
    cell: tuple = None

    @property
    def label(self):
        return self.describe()

    def describe(self, names: Sequence[str] = DIGIT_NAMES) -> str:
        """The filter in words, a cell's classes by their ``names``."""
        if self.cell is not None:
            return f"true {names[self.cell[0]]}, predicted {names[self.cell[1]]}"
        return self.name

    def next_filter(self):
        """all -> misclassified -> least confident -> all (a cell goes back to all)."""
        if self.cell is not None:
            return Selection("all")
        return Selection(FILTERS[(FILTERS.index(self.name) + 1) % len(FILTERS)])


def ordered_rows(selection, labels, probabilities):
    """Row numbers of the validation set that ``selection`` shows, in order."""
    predictions = probabilities.argmax(axis=1)
    if selection.cell is not None:
        true, predicted = selection.cell
        return np.flatnonzero((labels == true) & (predictions == predicted))
    if selection.name == "misclassified":
        return np.flatnonzero(labels != predictions)
    if selection.name == "least confident":
        # stable sort, so equal confidences keep the set's order
        return np.argsort(probabilities.max(axis=1), kind="stable")
    return np.arange(len(labels))


def find_next(rows, position, wanted, step):
    """The next position (wrapping) after ``position`` in direction ``step``
    whose row satisfies ``wanted``; None if no row does. ``wanted`` takes
    an array of rows and returns a boolean array, so the search is one
    NumPy pass however far the next match is."""
    count = len(rows)
    if not count:
        return None
    offsets = np.arange(1, count + 1)
    candidates = (position + step * offsets) % count  # the positions in search order
    matches = np.broadcast_to(np.asarray(wanted(np.asarray(rows)[candidates]), dtype=bool), candidates.shape)
    found = int(np.argmax(matches))
    return int(candidates[found]) if matches[found] else None


def jump_position(text: str, count: int) -> int:
    """The 0-based position for the digit number typed in ``text`` (1-based,
    as the browser shows it, of ``count``). ValueError saying what is wrong."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not (cleaned.isascii() and cleaned.isdigit()):  # int() would also take "+3", " 3" or "٣"
        raise ValueError(f"type a whole number from 1 to {count:,}")
    cleaned = cleaned.lstrip("0") or "0"
    if len(cleaned) > len(str(count)) or not 1 <= int(cleaned) <= count:  # never int() of a huge text
        raise ValueError(f"there is no digit {printable(cleaned, 20)} here: the numbers go from 1 to {count:,}")
    return int(cleaned) - 1
