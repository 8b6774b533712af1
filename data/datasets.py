"""The full datasets ``digit-tui download NAME`` fetches, and where they live.

Each is the four MNIST-layout IDX files, gzipped, in one folder per dataset
under the data folder: $DIGIT_TUI_DATA_DIR, else $XDG_DATA_HOME/digit-tui,
else ~/.local/share/digit-tui. ``DATASETS`` is looked up at call time, so a
test can swap an entry (its sources and checksums) with monkeypatch.
"""

import os
from dataclasses import dataclass

from core.class_names import DIGIT_NAMES
from core.errors import DataError
from core.text import printable

# The same four names for every dataset; the loader's folder lookup picks
# train-* for part "train" and t10k-* for part "test".
FILE_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@dataclass(frozen=True)
class Published:
    """One downloadable dataset: its sources (base URLs, tried in order), the
    published MD5 of each file in FILE_NAMES order, its terms of use, and
    the names of its classes 0-9 (as its authors list them)."""

    name: str
    title: str
    sources: tuple[str, ...]
    md5s: tuple[str, ...]
    licence: str
    citation: str
    classes: tuple[str, ...] = DIGIT_NAMES

    def md5_of(self, file_name: str) -> str:
        return self.md5s[FILE_NAMES.index(file_name)]


DATASETS: dict[str, Published] = {
    "mnist": Published(
        name="mnist",
        title="MNIST handwritten digits",
        sources=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        md5s=(
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "d53e105ee54ea40749a09fcbcd1e9432",
            "9fb629c4189551a2d022fa330f9573f3",
            "ec29112dd5afa0611ce80d1b7f02629c",
        ),
        licence="Creative Commons Attribution-Share Alike 3.0; copyright Yann LeCun and Corinna Cortes",
        citation=(
            "Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, Gradient-based learning applied to "
            "document recognition, Proceedings of the IEEE 86(11):2278-2324, 1998"
        ),
    ),
    "fashion-mnist": Published(
        name="fashion-mnist",
        title="Fashion-MNIST (Zalando article images)",
        sources=(
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ),
        md5s=(
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "25c81989df183df01b3e8a0aad5dffbe",
            "bef4ecab320f06d8554ea6380940ec79",
            "bb300cfdad3c16e7a12a480ee83cd310",
        ),
        licence="MIT License; copyright (c) 2017 Zalando SE",
        citation=(
            "H. Xiao, K. Rasul and R. Vollgraf, Fashion-MNIST: a Novel Image Dataset for "
            "Benchmarking Machine Learning Algorithms, arXiv:1708.07747, 2017"
        ),
        classes=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
    ),
    "kmnist": Published(
        name="kmnist",
        title="Kuzushiji-MNIST (cursive Japanese characters)",
        sources=("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
        md5s=(
            "bdb82020997e1d708af4cf47b453dcf7",
            "e144d726b3acfaa3e44228e80efcd344",
            "5c965bf0a639b31b8f53240b1b52f4d7",
            "7320c461ea6c1c855c0b718fb2a4b134",
        ),
        licence=(
            "Creative Commons Attribution-Share Alike 4.0; 'KMNIST Dataset' (created by CODH), "
            "adapted from 'Kuzushiji Dataset' (created by NIJL and others), doi:10.20676/00000341"
        ),
        citation=(
            "T. Clanuwat, M. Bober-Irizar, A. Kitamoto, A. Lamb, K. Yamamoto and D. Ha, "
            "Deep Learning for Classical Japanese Literature, arXiv:1812.01718, 2018"
        ),
        # The hiragana お き す つ な は ま や れ を, in romaji: kana are two
        # cells wide in a terminal (columns would not line up), missing from
        # many console fonts, and unreadable under --ascii or LANG=C.
        classes=("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
    ),
}

DEFAULT_NAME = "mnist"


def data_folder() -> str:
    """The folder that holds one subfolder per downloaded dataset."""
    explicit = os.environ.get("DIGIT_TUI_DATA_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "digit-tui")


def dataset_folder(name: str) -> str:
    return os.path.join(data_folder(), name)


def classes_of(path: str) -> tuple[str, ...]:
    """The class names of the dataset file at ``path``: a downloaded
    dataset's when the file is in that dataset's folder (however the folder
    was named: by the dataset's name, its path, a link), else the digits."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    for entry in DATASETS.values():
        if folder == os.path.realpath(dataset_folder(entry.name)):
            return entry.classes
    return DIGIT_NAMES


def published(name: str) -> Published:
    """The table entry for ``name``; DataError listing the known names if none."""
    entry = DATASETS.get(name)
    if entry is None:
        raise DataError(f"{printable(name)}: no such dataset (choose from {', '.join(DATASETS)})")
    return entry


def downloaded_folder(name: str) -> str:
    """The folder of a downloaded dataset, once all four files are in it.

    Only their presence is checked: ``download`` accepts a file only after
    its MD5 matched, and hashing 60 MB on every load would cost more than
    the check is worth."""
    folder = dataset_folder(name)
    missing = [file for file in FILE_NAMES if not os.path.isfile(os.path.join(folder, file))]
    if missing:
        what = "is not downloaded" if len(missing) == len(FILE_NAMES) else f"is incomplete (no {missing[0]})"
        raise DataError(f"{name}: {what} in {printable(folder)}; run: digit-tui download {name}")
    return folder
