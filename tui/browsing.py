"""Which validation digits the browser shows, in what order: pure logic.

A filter turns (labels, probabilities) into an ordered list of row numbers;
the browser keeps a position in that list.
"""

from dataclasses import dataclass

import numpy as np

FILTERS = ("all", "misclassified", "least confident")


@dataclass(frozen=True)
class Selection:
    """The active filter: one of FILTERS, or the confusion cell (true, predicted)."""

    name: str = "all"
    cell: tuple = None

    @property
    def label(self):
        if self.cell is not None:
            return f"true {self.cell[0]}, predicted {self.cell[1]}"
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
    whose row satisfies ``wanted``; None if no row does."""
    count = len(rows)
    for offset in range(1, count + 1):
        candidate = (position + step * offset) % count
        if wanted(rows[candidate]):
            return candidate
    return None
