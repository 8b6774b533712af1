"""What a model's ten classes are called, and which names are refused.

The digits "0".."9" unless the model learnt another dataset (Fashion-MNIST's
"Coat", KMNIST's "ki"). Names read from a model file are shown in tables,
headers and messages, so each must be a short line of visible text.
"""

import unicodedata

from .text import printable

CLASSES = 10
# Files from before the names were stored are digit models.
DIGIT_NAMES: tuple[str, ...] = tuple(str(digit) for digit in range(CLASSES))
# A class name is a word or two ("Ankle boot"); a longer one is no name but
# an attempt to fill the screen.
MAX_CLASS_NAME = 40
# Letters that draw nothing although Unicode does not call them spaces.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u2800", "\u3164", "\uffa0"}


def show_value(value: object) -> str:
    """A value from a file inside a message: containers by their kind (their
    text could be a megabyte), anything else quoted and bounded."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return printable(repr(value), 40)


def class_names_problem(value: object) -> str | None:
    """What makes ``value`` unusable as the ten class names, or None.

    The names are shown in tables, headers and messages, so each is a short
    line of text: no control or format characters (an escape sequence in a
    name would reach the terminal), no blank name, none twice (a prediction
    would be ambiguous)."""
    if not isinstance(value, list):
        return f"{show_value(value)} is not a list of names"
    if len(value) != CLASSES:
        return f"{len(value):,} names, but the model has {CLASSES} classes"
    for number, name in enumerate(value):
        if not isinstance(name, str):
            return f"the name of class {number} is {show_value(name)}, not text"
        if len(name) > MAX_CLASS_NAME:
            return f"the name of class {number} is {len(name):,} characters long, more than {MAX_CLASS_NAME}"
        if not name.strip() or name != name.strip():
            return f"the name of class {number} ({show_value(name)}) is blank or has spaces around it"
        if printable(name, MAX_CLASS_NAME) != name:
            return f"the name of class {number} ({show_value(name)}) holds control characters"
        if not any(_visible(char) for char in name):
            return f"the name of class {number} ({show_value(name)}) has no visible character"
        if name.isdigit() and name != str(number):
            return f"class {number} is named {show_value(name)}, another class's number"
    if len(set(value)) != len(value):
        return "two classes have the same name"
    return None


def _visible(char: str) -> bool:
    """Whether ``char`` draws something: not a space, a mark that only
    decorates the one before it, a format or private character, a blank."""
    return unicodedata.category(char)[0] not in "ZMC" and char not in _BLANK_LETTERS
