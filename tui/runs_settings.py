"""Two runs' settings side by side, as rows of plain text: what the compare
dialog (``runs_compare``) and ``digit-tui runs show`` list. Pure functions
of ``core.run_store.RunInfo``: no rich, no textual. Every value comes from
a file a user may have edited, so each cell is made with core.text.printable."""

import json
from typing import Any

from core.config import TrainConfig
from core.run_store import RunInfo
from core.settings import Setting
from core.text import printable

from .runs_table import CELL_LIMIT


def setting_rows(first: RunInfo, second: RunInfo) -> list[tuple[str, str, str, bool]]:
    """(setting, the first's value, the second's, whether they differ) for
    the data both were trained on, the preset each is named after, and every
    setting either run has, as the settings form shows it ("batch size",
    "256,128"); those that differ first, each group in the settings' order.
    A key this digit-tui does not know (a newer one's, an edited file's) is
    shown as it is in the file."""
    one, two = first.config or {}, second.config or {}
    rows = [_row("data", first.source, second.source), _row("preset", first.preset, second.preset)]
    known = {item.name: item for item in TrainConfig.settings()}
    for item in known.values():
        if item.name in one or item.name in two:
            rows.append(_setting_row(item, one, two))
    for key in list(one) + [key for key in two if key not in one]:
        if key not in known:
            rows.append(_setting_row(None, one, two, key))
    rows = [row for row in rows if row[1] or row[2]]  # neither run knows it: nothing to say
    return [row for row in rows if row[3]] + [row for row in rows if not row[3]]


def _row(label: str, one: str | None, two: str | None) -> tuple[str, str, str, bool]:
    return (label, printable(one or "", CELL_LIMIT), printable(two or "", CELL_LIMIT), one != two)


def _setting_row(
    item: Setting | None, one: dict[str, Any], two: dict[str, Any], key: str = ""
) -> tuple[str, str, str, bool]:
    key = item.name if item is not None else key
    differ = one.get(key, _MISSING) != two.get(key, _MISSING)
    label = item.label if item is not None else printable(key, 40)
    return (label, _value_text(item, one, key), _value_text(item, two, key), differ)


_MISSING = object()


def _value_text(item: Setting | None, config: dict[str, Any], key: str) -> str:
    """The value as the settings form shows it, when it is of the setting's
    kind; anything else (an edited file) as its JSON."""
    if key not in config:
        return ""
    value = config[key]
    if item is not None and _of_kind(item, value):
        try:
            return printable(item.format(tuple(value) if item.kind == "hidden" else value), CELL_LIMIT)
        except OverflowError:  # a whole number with hundreds of digits, as a float
            pass
    return printable(json.dumps(value), CELL_LIMIT)


def _of_kind(item: Setting, value: object) -> bool:
    if item.kind == "hidden":
        return isinstance(value, list) and all(type(size) is int for size in value)
    if item.kind == "choice":
        return isinstance(value, str)
    return isinstance(value, (int, float)) and not isinstance(value, bool)
