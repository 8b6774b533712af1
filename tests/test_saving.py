"""Nothing lost: atomic saves under SIGKILL, failed saves, Ctrl+C, divergence."""

import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import DIVERGING, synthetic_digits, write_csv

from core import Architecture, Network, load_model, save_model
from core.errors import ModelFileError
from tui.app import DigitApp
from tui.cli import main
from tui.session import write_submission

ROOT = Path(__file__).resolve().parent.parent

SAVER = """
import sys
import numpy as np
from core import Architecture, Network, save_model
networks = [Network.create(Architecture(hidden=(1024, 1024)), "he", np.random.default_rng(seed)) for seed in (0, 1)]
count = 0
while True:
    save_model(sys.argv[1], networks[count % 2].snapshot())
    count += 1
    if count == 1:
        print("saved", flush=True)
"""


def test_sigkill_during_saves_never_leaves_a_broken_model(tmp_path):
    target = tmp_path / "model.npz"
    expected = [
        Network.create(Architecture(hidden=(1024, 1024)), "he", np.random.default_rng(seed)).parameters()[0][0, :4]
        for seed in (0, 1)
    ]
    rng = np.random.default_rng(0)
    for _attempt in range(4):
        saver = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(target)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert saver.stdout.readline().strip() == "saved"
        time.sleep(rng.uniform(0.0, 0.3))  # somewhere in the middle of a later save
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        first_row = load_model(target).snapshot.weights[0][0][0, :4]
        assert any(np.array_equal(first_row, weights) for weights in expected)
    # SIGKILL cannot be cleaned up after: only hidden temporary files may remain
    assert all(p.name == "model.npz" or p.name.startswith(".digit-tui-") for p in tmp_path.iterdir())


def small_network(hidden=(4,)):
    return Network.create(Architecture(hidden=hidden), "he", np.random.default_rng(0))


@pytest.fixture
def previous(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, small_network().snapshot())
    return path


def test_save_into_a_read_only_folder_keeps_the_previous_file(previous, monkeypatch):
    before = previous.read_bytes()
    if os.geteuid() == 0:  # root may write anywhere: give mkstemp the error a user gets

        def refuse(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    else:
        previous.parent.chmod(0o500)
    try:
        with pytest.raises(ModelFileError, match="cannot save the model: Permission denied"):
            save_model(previous, small_network((7,)).snapshot())
    finally:
        previous.parent.chmod(0o700)
    assert previous.read_bytes() == before


def test_save_onto_a_full_disk_keeps_the_previous_file(previous, monkeypatch):
    before = previous.read_bytes()

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ModelFileError, match="No space left on device"):
        save_model(previous, small_network((7,)).snapshot())
    assert previous.read_bytes() == before
    assert sorted(p.name for p in previous.parent.iterdir()) == ["model.npz"]  # no temporary left


def test_submission_write_failure_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "submission.csv"
    write_submission(path, [1, 2, 3])
    before = path.read_text()
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left")))
    with pytest.raises(Exception, match="cannot write the submission: No space left"):
        write_submission(path, [4, 5])
    assert path.read_text() == before


@pytest.mark.usefixtures("terminal_signals")
def test_ctrl_c_during_train_exits_130_with_no_model(tmp_path):
    images, labels = synthetic_digits(100)
    data = write_csv(tmp_path / "train.csv", images, labels)
    model, metrics = tmp_path / "model.npz", tmp_path / "run.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui",
            "train",
            "--data",
            str(data),
            "--epochs",
            "100000",
            "--save",
            str(model),
            "--metrics",
            str(metrics),
            "--json",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (metrics.exists() and metrics.read_text().count("\n") >= 2):  # training has begun
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:  # say where it hung: every thread's stack (PYTHONFAULTHANDLER)
        process.send_signal(signal.SIGABRT)
        out, err = process.communicate()
        pytest.fail(f"no exit within 30 s of Ctrl+C; its threads:\n{err[-6000:]}")
    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == "digit-tui: interrupted" and "Traceback" not in err
    assert not model.exists() and out == ""


def test_divergence_in_the_cli(tmp_path, capsys):
    images, labels = synthetic_digits(60)
    data = write_csv(tmp_path / "train.csv", images, labels)
    code = main(
        [
            "train",
            "--data",
            str(data),
            *DIVERGING,
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert "training diverged" in captured.err and "learning rate 100" in captured.err
    assert '"status": "diverged"' in captured.out


async def test_divergence_and_a_failed_save_in_the_app(tmp_path):
    images, labels = synthetic_digits(60)
    data = write_csv(tmp_path / "train.csv", images, labels)
    from core import TrainConfig

    app = DigitApp(TrainConfig(optimizer="sgd", lr=100.0, epochs=5, batch_size=8), data_path=str(data))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(app.query_one("#run-status").render())
        assert "diverged" in status.lower() and "learning rate 100" in status
        assert all(np.all(np.isfinite(w)) for pair in app.state.snapshot.weights for w in pair)
        state = app.state
        app.save_weights(
            str(tmp_path / "no-such-folder" / "m.npz"),
            state.snapshot,
            state.snapshot_config,
            state.latest,
            state.source,
        )
        await pilot.pause()
        assert not (tmp_path / "no-such-folder").exists()
        assert any("cannot save the model" in n.message for n in app._notifications)
        await pilot.press("b")
        assert app.query_one("TabbedContent").active == "browser"
