"""BLAS threads: set at run time through OpenBLAS (core.threads decides how many: tests/test_threads.py)."""

import json

import pytest
from helpers import write_csv

from core.blas import PARALLEL_WORK, available_cores, blas_threads, set_blas_threads
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


def test_small_steps_are_below_the_limit_and_the_deep_preset_above_it():
    counts = [Architecture(hidden=h).parameter_count for h in [(10,), (128,), (256, 128)]]
    assert counts == [7_960, 101_770, 235_146]
    assert PARALLEL_WORK > 7_960 * 32  # 784-10-10 at batch 32: never tries two threads
    assert PARALLEL_WORK <= 7_960 * 64  # the default preset (784-10-10, batch 64) may try them, as measured
    assert PARALLEL_WORK <= 235_146 * 128  # so may the deep preset


def test_a_run_too_short_for_a_trial_keeps_one_thread_every_time(tmp_path, digits, capsys):
    """One step an epoch: the policy never sees enough one-thread steps to
    try two, so the same seed gives the same run, run after run."""
    path = write_csv(tmp_path / "train.csv", *digits)
    chosen = set()
    for _ in range(3):
        assert main(["train", "--data", str(path), "--epochs", "1", "--hidden", "256,128", "--json"]) == 0
        chosen.add(json.loads(capsys.readouterr().out.splitlines()[-1])["blas_threads"])
    assert chosen == {1}


@needs_openblas
def test_the_flag_overrides_the_measurement(tmp_path, digits, capsys):
    path = write_csv(tmp_path / "train.csv", *digits)
    assert main(["train", "--data", str(path), "--epochs", "1", "--blas-threads", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["blas_threads"] == 1
    assert blas_threads() == 1
