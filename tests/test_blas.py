"""BLAS threads: set at run time through OpenBLAS, chosen by measurement."""

import json
import time

import pytest

from core.blas import available_cores, blas_threads, fastest_thread_count, set_blas_threads
from helpers import write_csv
from tui.cli import main

needs_openblas = pytest.mark.skipif(blas_threads() is None, reason="NumPy's BLAS is not OpenBLAS here")


@needs_openblas
def test_set_and_read_back():
    previous = blas_threads()
    try:
        assert set_blas_threads(1) and blas_threads() == 1
        assert set_blas_threads(available_cores()) and blas_threads() == available_cores()
    finally:
        set_blas_threads(previous)


@needs_openblas
@pytest.mark.skipif(available_cores() < 2, reason="one core: there is nothing to choose")
def test_the_measurement_keeps_the_faster_count():
    # Steps whose duration depends on the thread count, 4x apart, stand in for training steps.
    cores = available_cores()
    faster_with_all = lambda: time.sleep(0.002 if blas_threads() == 1 else 0.0005)  # noqa: E731
    faster_with_one = lambda: time.sleep(0.0005 if blas_threads() == 1 else 0.002)  # noqa: E731
    assert fastest_thread_count(faster_with_all) == cores and blas_threads() == cores
    assert fastest_thread_count(faster_with_one) == 1 and blas_threads() == 1
    # equal times: one thread, which spares the rest of the machine
    assert fastest_thread_count(lambda: time.sleep(0.001)) == 1


@needs_openblas
def test_the_flag_overrides_the_measurement(tmp_path, digits, capsys):
    path = write_csv(tmp_path / "train.csv", *digits)
    assert main(["train", "--data", str(path), "--epochs", "1", "--blas-threads", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["blas_threads"] == 1
    assert blas_threads() == 1
