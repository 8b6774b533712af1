"""Opening an input file once, without ever hanging on it.

A dataset is opened exactly once: its format is told from the first bytes of
that same open file, and the loader reads on from it. So a pipe
(``--data <(zcat train.csv.gz)``) works, since nothing reopens it, and a file
replaced while it is read cannot mix two versions.

Opening a FIFO that nobody writes blocks forever, and a worker thread stuck
in ``open`` keeps the app from quitting. So files are opened non-blocking
and looked at (``fstat``) before anything is read: a regular file is read
as usual; a pipe or a terminal is read whole into memory, where the command
line allows it (Ctrl+C interrupts it there); the app refuses them.
"""

import io
import os
import stat
from dataclasses import dataclass

from core.errors import DataError
from core.files import kind_of, open_descriptor
from core.text import printable

GZIP_MAGIC = b"\x1f\x8b"
MAX_STREAM_BYTES = 4 * 1024**3  # what a pipe may deliver: far above any MNIST-like set


@dataclass
class Source:
    """An open input: ``stream`` is binary and seekable; ``regular`` says
    whether it is a regular file (a pipe's bytes were read into memory)."""

    path: str
    stream: io.BufferedIOBase  # an open file, or a BytesIO holding a pipe's bytes
    regular: bool

    @property
    def compressed(self) -> bool:
        return self.head(2) == GZIP_MAGIC

    def head(self, count: int) -> bytes:
        """The first ``count`` bytes, leaving the stream where it was."""
        position = self.stream.tell()
        self.stream.seek(0)
        data = self.stream.read(count)
        self.stream.seek(position)
        return data

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()


def open_source(path: str, allow_streams: bool = True) -> Source:
    """Open ``path`` for reading; DataError names the file for anything that
    cannot be opened or is not a file to read."""
    descriptor, mode = open_descriptor(path, DataError)
    try:
        if stat.S_ISREG(mode):
            return Source(path, os.fdopen(descriptor, "rb"), regular=True)
        if not (allow_streams and (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode))):
            raise DataError(
                f"{printable(path)}: is a {kind_of(mode)}; the app reads regular files only "
                "(digit-tui train and predict read pipes)"
            )
        stream = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with stream:
        return Source(path, io.BytesIO(_read_all(path, stream)), regular=False)


def _read_all(path: str, stream: io.BufferedIOBase) -> bytes:
    """A pipe's whole content, refusing one that never ends."""
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(16 * 1024 * 1024):
        size += len(chunk)
        if size > MAX_STREAM_BYTES:
            raise DataError(f"{printable(path)}: delivers more than {MAX_STREAM_BYTES // 1024**3} GiB")
        parts.append(chunk)
    return b"".join(parts)
