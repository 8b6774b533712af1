"""Which files a dataset path reads, so that no output can overwrite one.

``--data`` may name a folder (the loader picks a file inside), an IDX images
file (its labels file beside it is read too), or nothing (the bundled
sample). An output path is checked against every one of those files, not
only against the words the user typed.
"""

import os

from core.errors import DataError

from .bundled import sample_path
from .loading import FOLDER_CANDIDATES, labels_beside, resolve_dataset_name


def input_files(path: str | None, part: str = "train") -> list[str]:
    """The files reading ``path`` would open (those that exist)."""
    try:  # a downloaded dataset's name: its folder
        path = sample_path() if path is None else resolve_dataset_name(os.fspath(path))
    except DataError:
        return []  # not downloaded: reading it fails before any output is written
    if os.path.isdir(path):
        names = [os.path.join(path, name) for name in FOLDER_CANDIDATES[part]]
        candidates = [name for name in names if os.path.isfile(name)][:1]
    else:
        candidates = [path]
    files = []
    for candidate in candidates:
        files.append(candidate)
        try:
            labels = labels_beside(candidate)
        except (DataError, OSError):
            labels = None
        if labels is not None:
            files.append(labels)
    return files
