"""Open any supported dataset: a file or a folder, format told by content.

    load_dataset()                  the bundled sample
    load_dataset("train.csv")       Kaggle CSV (plain or .gz)
    load_dataset("mnist.npz")       Keras-layout .npz
    load_dataset("train-images-idx3-ubyte.gz")  IDX, with its labels file beside it
    load_dataset("some/folder")     the first known file name found inside
    load_dataset("/dev/fd/63")      a pipe, such as <(zcat train.csv.gz)
    load_dataset("mnist")           a dataset fetched by `digit-tui download mnist`
    load_test_part("mnist")         its official test part (t10k-*), or None

Each file is opened once (see ``files``): the format is told from the first
bytes of that open file and the loader reads on from it.
"""

import gzip
import os
import zipfile
import zlib
from dataclasses import replace

from core.errors import DataError
from core.text import printable
from core.types import StrPath

from . import cache
from .bundled import sample_path
from .csv_format import load_csv
from .dataset import Dataset, check_pixels
from .datasets import DATASETS, classes_of, downloaded_folder
from .files import Source, open_source
from .idx_format import load_idx
from .npz_format import load_npz

FOLDER_CANDIDATES = {
    "train": [
        "train.csv",
        "train.csv.gz",
        "mnist.npz",
        "train-images-idx3-ubyte",
        "train-images-idx3-ubyte.gz",
        "train-images.idx3-ubyte",
    ],
    "test": [
        "test.csv",
        "test.csv.gz",
        "mnist.npz",
        "t10k-images-idx3-ubyte",
        "t10k-images-idx3-ubyte.gz",
        "t10k-images.idx3-ubyte",
    ],
}


def load_dataset(path: StrPath | None = None, part: str = "train", allow_streams: bool = True) -> Dataset:
    """A Dataset from ``path`` (the bundled sample when None).

    ``part`` is "train" or "test": which file a folder or an .npz offers.
    ``allow_streams`` lets pipes and terminals be read (the command line);
    the app passes False, so nothing it opens can block.
    Raises DataError, naming the file, for anything unusable."""
    path = resolve_dataset_name(os.fspath(sample_path() if path is None else path))
    if os.path.isdir(path):
        path = _file_in_folder(path, part)
    with open_source(path, allow_streams) as source:
        dataset = _load(source, part, allow_streams)
    classes = classes_of(path)
    if classes != dataset.classes:  # a copy: the CSV cache may hold the original
        dataset = replace(dataset, classes=classes)
    return check_pixels(dataset)


def load_test_part(path: StrPath | None) -> Dataset | None:
    """The official test part of the dataset at ``path``, or None if it has
    none: a folder's t10k-* files (or test.csv, if labelled), an .npz's
    x_test and y_test, the t10k-* files beside a train-* images file.

    None, rather than the training part again, for everything else: the
    bundled sample, a single CSV, an .npz without x_test, an unlabelled
    test.csv, a pipe (which can be read only once). Read after training, so
    it never delays the start; DataError if the test files are damaged."""
    if path is None:
        return None
    test_file = _test_file(resolve_dataset_name(os.fspath(path)))
    if test_file is None:
        return None
    dataset = load_dataset(test_file, part="test", allow_streams=False)
    return dataset if dataset.labels is not None else None


def _test_file(path: str) -> str | None:
    """The file that holds ``path``'s test part, if any (not yet checked for labels)."""
    if os.path.isdir(path):
        found = next((name for name in FOLDER_CANDIDATES["test"] if os.path.isfile(os.path.join(path, name))), None)
        if found is None:
            return None
        path = os.path.join(path, found)
        if found not in FOLDER_CANDIDATES["train"]:
            return path  # t10k-*, test.csv: only the test part reads it
    if not os.path.isfile(path):
        return None  # a pipe: already read, for training
    if zipfile.is_zipfile(path):
        return path if _npz_has_test_part(path) else None
    folder, name = os.path.split(path)
    if name.startswith("train-images"):  # MNIST's naming: t10k-images-... beside it
        beside = os.path.join(folder, "t10k-" + name.removeprefix("train-"))
        return beside if os.path.isfile(beside) else None
    return None


def _npz_has_test_part(path: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False  # the training part was read from it: a damaged file is said then
    return {"x_test.npy", "y_test.npy"} <= names


def resolve_dataset_name(path: str) -> str:
    """``path`` itself, or for a downloaded dataset's name ("mnist",
    "fashion-mnist", "kmnist") its folder. A file or folder of that name in
    the working directory wins: a user's own ./mnist must still load.
    DataError, naming the download command, if the dataset is missing."""
    if path in DATASETS and not os.path.lexists(path):
        return downloaded_folder(path)
    return path


def _load(source: Source, part: str, allow_streams: bool) -> Dataset:
    kind = _detect(source)
    if kind == "npz":
        return load_npz(source, part)
    if kind == "idx":
        labels_path = labels_beside(source.path) if source.regular else None
        if labels_path is None:
            return load_idx(source, None)
        with open_source(labels_path, allow_streams) as labels:
            return load_idx(source, labels)
    if kind == "idx-labels":
        raise DataError(f"{printable(source.path)}: is an IDX labels file; give the matching images file instead")
    if not source.regular:
        return load_csv(source)  # a pipe: nothing to tie a cache entry to
    digest = cache.content_digest(source)
    dataset = cache.load(source.path, digest)
    if dataset is None:
        dataset = load_csv(source)
        if cache.content_digest(source) == digest:  # the file did not change while it was parsed
            cache.store(source.path, digest, dataset)
    return dataset


def detect_format(path: str) -> tuple[str, bool]:
    """ "csv", "npz", "idx" or "idx-labels" for the file at ``path``, and
    whether it is gzipped, from its first bytes."""
    with open_source(path) as source:
        return _detect(source), source.compressed


def _detect(source: Source) -> str:
    head = source.head(4)
    if source.compressed:
        try:
            source.stream.seek(0)
            head = gzip.GzipFile(fileobj=source.stream, mode="rb").read(4)
        except (EOFError, OSError, zlib.error):
            raise DataError(f"{printable(source.path)}: the gzip data is truncated or corrupt") from None
        finally:
            source.stream.seek(0)
    if not head:
        raise DataError(f"{printable(source.path)}: the file is empty")
    if head[:4] == b"PK\x03\x04" and not source.compressed:
        return "npz"
    if head[:4] == b"\x00\x00\x08\x01":
        return "idx-labels"
    if head[:2] == b"\x00\x00":  # text never starts with NUL: an IDX file, maybe a bad one
        return "idx"
    return "csv"


def _file_in_folder(folder: str, part: str) -> str:
    for name in FOLDER_CANDIDATES[part]:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    raise DataError(
        f"{printable(folder)}: no dataset found in this folder (looked for {', '.join(FOLDER_CANDIDATES[part])})"
    )


def labels_beside(images_path: str) -> str | None:
    """The labels file that MNIST's naming pairs with an images file, or None."""
    folder, name = os.path.split(images_path)
    for images_part, labels_part in (("images-idx3", "labels-idx1"), ("images.idx3", "labels.idx1")):
        if images_part in name:
            base = name.replace(images_part, labels_part)
            stem = base[:-3] if base.endswith(".gz") else base
            for candidate in (stem, stem + ".gz"):
                if os.path.isfile(os.path.join(folder, candidate)):
                    return os.path.join(folder, candidate)
    return None
