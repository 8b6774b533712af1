"""BLAS threads: set at run time through OpenBLAS, by a rule drawn from measurements."""

import json

import pytest
from helpers import write_csv

from core.blas import available_cores, blas_threads, set_blas_threads, threads_for
from core.network import Architecture
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


def test_thread_rule_from_the_measurements():
    counts = [Architecture(hidden=h).parameter_count for h in [(10,), (128,), (256, 128)]]
    assert counts == [7_960, 101_770, 235_146]
    # small steps keep one thread, large ones use every core (see core/blas.py)
    assert threads_for(7_960, 64, cores=2) == 1  # 784-10-10, batch 64
    assert threads_for(101_770, 128, cores=2) == 1  # 784-128-10, batch 128
    assert threads_for(101_770, 512, cores=2) == 2  # 784-128-10, batch 512
    assert threads_for(235_146, 128, cores=2) == 2  # 784-256-128-10, batch 128
    assert threads_for(235_146, 128, cores=1) == 1


def test_headless_choice_is_the_same_every_time(tmp_path, digits, capsys):
    """A fixed rule, not a timing: the same seed must give the same run."""
    path = write_csv(tmp_path / "train.csv", *digits)
    chosen = set()
    for _ in range(3):
        assert main(["train", "--data", str(path), "--epochs", "1", "--hidden", "256,128", "--json"]) == 0
        chosen.add(json.loads(capsys.readouterr().out.splitlines()[-1])["blas_threads"])
    assert len(chosen) == 1


@needs_openblas
def test_the_flag_overrides_the_measurement(tmp_path, digits, capsys):
    path = write_csv(tmp_path / "train.csv", *digits)
    assert main(["train", "--data", str(path), "--epochs", "1", "--blas-threads", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["blas_threads"] == 1
    assert blas_threads() == 1
