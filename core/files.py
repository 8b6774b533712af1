"""Opening a file to read without ever blocking on it.

``open`` on a FIFO that nobody writes waits forever, and a worker thread
stuck there keeps the app from quitting. So inputs are opened non-blocking
and looked at (``fstat``) before anything is read; the caller decides what
to do with a file that is not a regular one.
"""

import os
import stat
from typing import BinaryIO

from .errors import DigitTuiError
from .text import printable
from .types import StrPath


def open_descriptor(path: StrPath, error_class: type[DigitTuiError]) -> tuple[int, int]:
    """(descriptor, st_mode) for ``path``, opened for reading, blocking again
    once opened; ``error_class`` (a DigitTuiError) names the file for a
    missing file, a folder or a refusal."""
    shown = printable(path)
    if os.path.exists(path) and not os.access(path, os.R_OK):  # as the kernel would say, root aside
        raise error_class(f"{shown}: permission denied")
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error_class(f"{shown}: no such file or folder") from None
    except PermissionError:
        raise error_class(f"{shown}: permission denied") from None
    except OSError as error:
        raise error_class(f"{shown}: cannot open ({error.strerror or error})") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise error_class(f"{shown}: is a folder, expected a file")
        os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, mode


def kind_of(mode: int) -> str:
    """A short name for a file that is not a regular one."""
    if stat.S_ISFIFO(mode):
        return "FIFO or pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def open_regular(path: StrPath, error_class: type[DigitTuiError], what: str = "file") -> BinaryIO:
    """A binary file object for a regular file; anything else is refused."""
    descriptor, mode = open_descriptor(path, error_class)
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise error_class(f"{printable(path)}: is a {kind_of(mode)}, not a {what}")
    return os.fdopen(descriptor, "rb")
