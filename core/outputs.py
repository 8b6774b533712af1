"""Checking the paths a user asked us to write, before any work is done.

Training can take minutes; finding out afterwards that ``--save`` names a
missing folder, or the training data itself, wastes that time or destroys the
input. So every output path is checked up front. Nothing here creates, opens
or changes anything: only ``os.stat``, ``os.access`` and path arithmetic.
"""

import os
import stat
from collections.abc import Iterable

from .errors import DigitTuiError
from .text import printable
from .types import StrPath


class OutputError(DigitTuiError):
    """An output path we must not or cannot write; the message names it."""


# Most specific first: S_ISREG is handled by the callers.
_KINDS = (
    (stat.S_ISDIR, "directory"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
)


def file_kind(st_mode: int) -> str:
    """A short name for what a stat mode describes, e.g. "FIFO"."""
    if stat.S_ISREG(st_mode):
        return "regular file"
    for test, name in _KINDS:
        if test(st_mode):
            return name
    return "special file"


def not_regular_error(path: StrPath, st_mode: int) -> OutputError:
    """The refusal for a target that exists but is not a regular file.

    Replacing /dev/null with a file breaks the whole system, and opening a
    FIFO blocks until someone reads it, so such targets are refused outright.
    """
    kind = file_kind(st_mode)
    return OutputError(f"{printable(path)}: is a {kind}, not a regular file; refusing to write to it")


def expand_user_path(text: object) -> str:
    """The save dialog's text as a path: surrounding whitespace dropped (a
    pasted name often carries a newline) and a leading ``~`` expanded."""
    if text is None:
        return ""
    return os.path.expanduser(str(text).strip())


def check_output_path(path: StrPath | None, what: str, inputs: Iterable[tuple[str, StrPath | None]] = ()) -> str:
    """Return ``path`` (as a str) if we may write the ``what`` there; else
    raise OutputError with one line naming the path.

    ``what`` names the output in messages ("model", "metrics log").
    ``inputs`` is a sequence of ``(label, path)`` pairs, e.g.
    ``[("--data", args.data)]``: the label is the flag the user typed, so the
    message can say which input would have been overwritten. A pair whose
    path is None or empty is skipped (an optional input not given).
    """
    if path is None or not os.fspath(path).strip():
        # `--save "$UNSET"` arrives as "": it would fail only after training.
        raise OutputError(f"the {what} path is empty")
    path = os.fspath(path)
    shown = printable(path)
    existing = _stat_or_none(path, what)
    if path.endswith(("/", os.sep)) or (existing is not None and stat.S_ISDIR(existing.st_mode)):
        raise OutputError(f"{shown}: is a folder, not a file; give a file name for the {what}")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise not_regular_error(path, existing.st_mode)
    _check_folder(path, what)
    for label, source in inputs:
        if source and _same_file(path, source):
            raise OutputError(f"{shown}: is also an input ({label}); refusing to overwrite an input")
    return path


def _stat_or_none(path: str, what: str) -> os.stat_result | None:
    """``os.stat`` (following symlinks), or None when nothing is there yet.

    A dangling symlink also gives None: writing creates its target. So does
    a folder part that is a file: the folder check explains that better."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:  # e.g. a symlink loop, or a folder we may not search
        raise OutputError(f"{printable(path)}: cannot use it for the {what}: {error.strerror or error}") from None


def _check_folder(path: str, what: str) -> None:
    """The folder the file really lands in must exist and take new files.

    atomic_write creates a temporary file next to the target and renames it,
    so what matters is the folder's write and search permission, not the
    file's own. Symlinks are followed, as atomic_write follows them."""
    folder = os.path.dirname(os.path.realpath(path))
    shown_folder = printable(os.path.dirname(path) or ".")
    if not os.path.isdir(folder):
        problem = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise OutputError(f"{printable(path)}: folder {shown_folder} {problem}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{printable(path)}: cannot write the {what} in folder {shown_folder}: permission denied")


def _same_file(first: str, second: StrPath) -> bool:
    """True when both names reach one file: same inode when both exist (this
    also catches hard links), else the same path once links are resolved."""
    try:
        if os.path.exists(first) and os.path.exists(second):
            return os.path.samefile(first, second)
    except OSError:
        pass  # fall back to comparing names
    return os.path.normcase(os.path.realpath(first)) == os.path.normcase(os.path.realpath(os.fspath(second)))
