"""Atomic file writes: the target path holds either the old file or the
complete new one, never a half-written file, even if the process is killed."""

import os
import tempfile
from contextlib import contextmanager


@contextmanager
def atomic_write(path, mode="wb"):
    """Yield a file object in the target's folder; on success, fsync it and
    rename it over ``path`` (``os.replace`` is atomic within one file system).
    On any error the temporary file is removed and ``path`` is untouched."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".digit-tui-", suffix=".part")
    try:
        with os.fdopen(handle, mode) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
