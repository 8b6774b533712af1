"""A cache of parsed CSV files: the first load of a 42,000-row train.csv
takes about a second, a cached one a small fraction of that.

Each entry is an uncompressed .npz (loaded with allow_pickle=False) in the
user's cache folder ($DIGIT_TUI_CACHE_DIR, else $XDG_CACHE_HOME/digit-tui,
else ~/.cache/digit-tui), one per source file, named by a hash of its
absolute path. An entry is tied to the file's content, not its size and
date: it records the SHA-256 of the bytes it was parsed from (about 0.06 s
for 110 MB), so an edit that keeps both (`cp -p`, `rsync -t`, `touch -r`)
is parsed afresh. The digest is taken before parsing and again after, and
an entry is stored only if they agree, so a file replaced during a parse
never stores old rows under a new key. An entry is checked as strictly as a
parsed file before it is used, and read without ever blocking on a special
file. The cache is only a shortcut: any doubt (no room, no permission, a
damaged or foreign entry) means the file is parsed as if there were no
cache. DIGIT_TUI_CACHE=off turns it off.
"""

import hashlib
import os

import numpy as np

from core.atomic import atomic_write
from core.errors import DigitTuiError
from core.types import ByteArray, LabelArray

from .dataset import CLASSES, PIXELS, Dataset
from .files import Source, open_source

FORMAT = 2  # bump when the entry layout changes: old entries are then ignored


def folder() -> str:
    explicit = os.environ.get("DIGIT_TUI_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "digit-tui")


def enabled() -> bool:
    return os.environ.get("DIGIT_TUI_CACHE", "on").lower() not in ("off", "0", "no")


def content_digest(source: Source) -> str:
    """SHA-256 of an open source's bytes (the stream is left at its start)."""
    source.stream.seek(0)
    digest = hashlib.file_digest(source.stream, "sha256").hexdigest()
    source.stream.seek(0)
    return digest


def _entry(path: str) -> str:
    """One entry per source path: a changed file replaces its entry."""
    name = hashlib.sha256(os.path.abspath(path).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return os.path.join(folder(), name + ".npz")


def load(path: str, digest: str) -> Dataset | None:
    """The cached Dataset for these exact bytes, or None."""
    if not enabled():
        return None
    try:
        with open_source(_entry(path), allow_streams=False) as entry, np.load(entry.stream) as archive:
            if str(archive["key"]) != f"{digest}|{FORMAT}":  # np.load never unpickles: allow_pickle is False
                return None
            images = archive["images"]
            labels = archive["labels"] if bool(archive["has_labels"]) else None
    except Exception:  # noqa: BLE001 - any doubt about an entry (zlib, zip, .npy header errors...) means: parse
        return None
    return Dataset(images, labels, path) if _plausible(images, labels) else None


def _plausible(images: ByteArray, labels: LabelArray | None) -> bool:
    """What a parsed CSV always is; an entry that is anything else is not used."""
    if images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != PIXELS or len(images) == 0:
        return False
    if labels is None:
        return True
    return (
        labels.dtype == np.int64
        and labels.shape == (len(images),)
        and int(labels.min()) >= 0
        and int(labels.max()) < CLASSES
    )


def store(path: str, digest: str, dataset: Dataset) -> None:
    """Remember ``dataset`` as parsed from bytes with ``digest``; quietly does nothing if it cannot."""
    if not enabled():
        return
    try:
        entry = _entry(path)
        os.makedirs(os.path.dirname(entry), exist_ok=True)
        labels = dataset.labels if dataset.labels is not None else np.zeros(0, np.int64)
        with atomic_write(entry) as stream:
            np.savez(
                stream,
                key=np.array(f"{digest}|{FORMAT}"),
                images=dataset.images,
                labels=labels,
                has_labels=np.array(dataset.labels is not None),
            )
    except (OSError, DigitTuiError):  # no room, no permission, a special file where the entry goes
        pass
