"""How a training setting is declared: its label, help, type and range.

Each field of ``TrainConfig`` carries one ``Setting`` in its metadata. That
one declaration gives the command line its flag, the app's form its field,
``TrainConfig.validate`` its check and both their help text, so a setting
can never mean one thing in the form and another on the command line.
"""

import math
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

from .errors import ConfigError

# Big enough for any network this project trains, small enough that a typo
# (--hidden 100000000) is refused instead of asking for terabytes.
MAX_UNITS = 4096
MAX_HIDDEN_LAYERS = 8

# What a setting holds: a whole number, a number, a choice's name, or hidden layer sizes.
SettingValue: TypeAlias = int | float | str | tuple[int, ...]
T = TypeVar("T")


@dataclass(frozen=True)
class Setting:
    """One training setting. ``kind`` is "int", "float", "hidden" or
    "choice"; numbers lie in [low, high], or (low, high] when ``low_open``
    and [low, high) when ``high_open``."""

    label: str
    help: str
    kind: str
    choices: tuple[str, ...] = ()
    low: float = -math.inf  # only number settings use their limits, and each declares both
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    name: str = ""  # the TrainConfig field, filled in by ``TrainConfig.settings()``

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def metavar(self) -> str | None:
        return {"int": "N", "float": "X", "hidden": "SIZES"}.get(self.kind)

    def range_text(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "hidden":
            return f"comma-separated sizes of 1-{MAX_UNITS} units, at most {MAX_HIDDEN_LAYERS} layers, or none"
        low = ("(" if self.low_open else "[") + _number(self.low)
        high = _number(self.high) + (")" if self.high_open else "]")
        return f"{'a whole number' if self.kind == 'int' else 'a number'} in {low}, {high}"

    def parse(self, text: object) -> SettingValue:
        """The value typed as ``text`` (a flag or a form field), checked; raise
        ConfigError naming the setting otherwise."""
        text = str(text).strip()
        value: SettingValue
        if self.kind == "choice":
            value = text
        elif self.kind == "hidden":
            value = _parse_hidden(text, self)
        else:
            value = _parse_number(text, self)
        self.check(value)
        return value

    def check(self, value: Any) -> None:  # Any: it checks untrusted values (flags, forms, model files)
        """Raise ConfigError unless ``value`` is allowed."""
        if self.kind == "choice":
            if value not in self.choices:
                raise ConfigError(f"{self.label}: {_show(value)} is not {self.range_text()}")
        elif self.kind == "hidden":
            if len(value) > MAX_HIDDEN_LAYERS or any(not 1 <= size <= MAX_UNITS for size in value):
                raise ConfigError(f"{self.label}: {_show(','.join(map(str, value)))} is not {self.range_text()}")
        elif not self._in_range(value):
            raise ConfigError(f"{self.label}: {_show(value)} is not {self.range_text()}")

    def _in_range(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if isinstance(value, float) and not math.isfinite(value):  # ints are finite (and may not fit a float)
            return False
        if self.kind == "int" and value != int(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def format(self, value: Any) -> str:  # Any: the value of this setting, whose type depends on ``kind``
        """The value as the form shows it, and as ``parse`` reads it back."""
        if self.kind == "hidden":
            return ",".join(map(str, value)) or "none"
        if self.kind == "float":
            return f"{value:g}"
        return str(value)


def setting(default: T, label: str, help: str, kind: str, **limits: Any) -> T:
    """A dataclass field carrying its ``Setting``; typed as its default, as
    ``dataclasses.field`` is, so that ``TrainConfig``'s fields keep their types."""
    return field(default=default, metadata={"setting": Setting(label, help, kind, **limits)})


def _parse_number(text: str, setting: Setting) -> int | float:
    try:
        value = int(text) if setting.kind == "int" else float(text)
    except ValueError:
        raise ConfigError(f"{setting.label}: {_show(text)} is not {setting.range_text()}") from None
    return value


def _parse_hidden(text: str, setting: Setting) -> tuple[int, ...]:
    """'10' -> (10,), '256,128' -> (256, 128), 'none' -> () (no hidden layer).

    Empty is refused, not taken for none: an unset shell variable
    (--hidden "$SIZES") must not silently change the network."""
    if not text:
        raise ConfigError(f"{setting.label}: empty; write none for no hidden layer")
    if text.lower() == "none":
        return ()
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(f"{setting.label}: {_show(text)} is not {setting.range_text()}") from None


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else f"{value:,}".replace(",", "")


def _show(value: object) -> str:
    """A user's value inside a message: quoted, control characters escaped, bounded."""
    text = repr(str(value)) if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
