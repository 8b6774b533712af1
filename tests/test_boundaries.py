"""House rules checked by tests: the core stays UI-free, the sample stays intact."""

import gzip
import hashlib
import subprocess
import sys

import numpy as np

from data import SAMPLE_SHA256, sample_path


def test_core_and_data_never_import_textual_or_rich():
    code = (
        "import sys, core, data, core.training, data.loading; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_starting_the_cli_imports_neither_pandas_nor_textual():
    code = (
        "import sys, tui.cli; tui.cli.build_parser(); "
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'textual'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_bundled_sample_checksum_and_class_counts():
    with open(sample_path(), "rb") as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == SAMPLE_SHA256
    with gzip.open(sample_path(), "rt") as stream:
        header = stream.readline().strip().split(",")
        labels = np.array([int(line.split(",", 1)[0]) for line in stream])
    assert header[0] == "label" and header[1] == "pixel0" and header[-1] == "pixel783" and len(header) == 785
    assert np.bincount(labels, minlength=10).tolist() == [500] * 10
