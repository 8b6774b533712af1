"""Atomic file writes: the target path holds either the old file or the
complete new one, never a half-written file, even if the process is killed."""

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from .outputs import not_regular_error
from .types import StrPath

NEW_FILE_MODE = 0o666  # what open() would ask for; the umask then narrows it


@contextmanager
def atomic_write(path: StrPath, mode: str = "wb", keep_partial: bool = False) -> Iterator[IO[Any]]:
    """Yield a file object in the target's folder; on success, fsync it and
    rename it over ``path`` (``os.replace`` is atomic within one file system).
    On any error (KeyboardInterrupt included) the temporary file is removed
    and ``path`` is untouched.

    A symlink is followed: the link's final target is replaced, so the link
    stays a link. A target that exists but is not a regular file (a device, a
    FIFO, a socket, a folder) is refused with OutputError, without opening it.
    The new file gets the permission bits of the file it replaces, or those
    open() would give a new file. Other OSErrors propagate for callers to
    wrap.

    ``keep_partial``: on an error, what was written still replaces the target
    (a log whose finished lines matter more than the old file); only a kill
    leaves the old file, and the lines so far in the hidden temporary file."""
    target = os.path.realpath(path)
    permissions = _permissions_for(path, target)
    folder = os.path.dirname(target)
    handle: int | None  # None once the stream below owns the descriptor
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".digit-tui-", suffix=".part")
    renamed = False
    try:
        _set_permissions(handle, permissions)
        stream = os.fdopen(handle, mode)
        handle = None  # the stream owns (and closes) the descriptor now
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
        renamed = True
        _sync_folder(folder)
    except BaseException:
        if handle is not None:
            os.close(handle)
        if not renamed and keep_partial:
            os.replace(temporary, target)
        elif not renamed:
            _remove_quietly(temporary)
        raise


def _permissions_for(path: StrPath, target: str) -> int:
    """The mode bits the new file should get; refuses non-regular targets.

    Checked with stat, never open: opening a FIFO blocks until a reader comes,
    and replacing /dev/null with a regular file breaks the whole system."""
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        return NEW_FILE_MODE & ~current_umask()
    if not stat.S_ISREG(existing.st_mode):
        raise not_regular_error(path, existing.st_mode)  # name what the user typed
    return stat.S_IMODE(existing.st_mode)


def _set_permissions(handle: int, permissions: int) -> None:
    """mkstemp makes 0600 files; without this every save would silently turn
    a shared 0644 model into 0600. Best effort: some file systems (vfat, some
    FUSE mounts) refuse chmod, and keeping mkstemp's private 0600 is then the
    safe outcome, better than losing the save."""
    try:
        os.fchmod(handle, permissions)
    except OSError:
        pass


def current_umask() -> int:
    """The process umask. Linux reports it in /proc/self/status; the
    os.umask set-and-restore fallback briefly changes it for every thread,
    so a file another thread creates in that instant could get mode 0666."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split(":", 1)[1].strip(), 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable. Best effort: some systems and file
    systems cannot open or fsync a folder, and the data is already safe."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _remove_quietly(temporary: str) -> None:
    try:
        os.unlink(temporary)
    except OSError:
        pass  # never hide the error that got us here behind a cleanup error
