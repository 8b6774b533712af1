"""A cache of parsed CSV files: the first load of a 42,000-row train.csv
takes about a second, a cached one a few milliseconds.

Each entry is an uncompressed .npz (loaded with allow_pickle=False) in the
user's cache folder ($DIGIT_TUI_CACHE_DIR, else $XDG_CACHE_HOME/digit-tui,
else ~/.cache/digit-tui), one per source file, named by a hash of its
absolute path and holding the size and modification time it was made from,
so an edited file is parsed afresh and its entry replaced. The cache is only
a shortcut: any problem with it (no room, no permission, a damaged entry)
means the file is parsed as if there were no cache. DIGIT_TUI_CACHE=off
turns it off.
"""

import hashlib
import os
import zipfile

import numpy as np

from core.atomic import atomic_write

from .dataset import Dataset

FORMAT = 1  # bump when the entry layout changes: old entries are then ignored


def folder():
    explicit = os.environ.get("DIGIT_TUI_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "digit-tui")


def enabled():
    return os.environ.get("DIGIT_TUI_CACHE", "on").lower() not in ("off", "0", "no")


def _entry(path):
    """The entry's file (one per source path: a changed file replaces its
    entry rather than adding one) and the key that says which version it holds."""
    source = os.path.abspath(path)
    stat = os.stat(path)
    name = hashlib.sha256(source.encode()).hexdigest()[:32] + ".npz"
    return os.path.join(folder(), name), f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{FORMAT}"


def load(path):
    """The cached Dataset for ``path``, or None."""
    if not enabled():
        return None
    try:
        entry, key = _entry(path)
        with np.load(entry, allow_pickle=False) as archive:
            if str(archive["key"]) != key:
                return None
            labels = archive["labels"] if bool(archive["has_labels"]) else None
            return Dataset(archive["images"], labels, path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def store(path, dataset):
    """Remember ``dataset`` for ``path``; quietly does nothing if it cannot."""
    if not enabled():
        return
    try:
        entry, key = _entry(path)
        os.makedirs(os.path.dirname(entry), exist_ok=True)
        labels = dataset.labels if dataset.labels is not None else np.zeros(0, np.int64)
        with atomic_write(entry) as stream:
            np.savez(stream, key=np.array(key), images=dataset.images, labels=labels,
                     has_labels=np.array(dataset.labels is not None))
    except OSError:
        pass
