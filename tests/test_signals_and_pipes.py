"""Ending well whatever ends the command: Ctrl+C inside the CSV parser,
SIGTERM and SIGHUP (headless and in the app), a full disk, a closed pipe.

Exit codes: 130 Ctrl+C, 128 + the number for SIGTERM (143) and SIGHUP (129),
2 for an output that cannot be written (one line naming it), 141 and no
message for a closed pipe (what a C tool killed by SIGPIPE reports).
The waits below are hang guards, never timings."""

import errno
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import data.loading
from core.errors import DataError
from tui import headless
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.terminal import close_app, launch_in_pty  # noqa: E402 - bench/ is found through ROOT

HANG_GUARD = 60  # seconds; the conditions hold within a second or two on any machine
pytestmark = pytest.mark.usefixtures("terminal_signals")  # whether or not the suite runs in the background


def wait_until(condition, process=None, what="condition"):
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        assert process is None or process.poll() is None, f"exited ({process.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} within {HANG_GUARD} s"
        time.sleep(0.05)


def cli(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "tui", *map(str, args)], cwd=ROOT, **kwargs)


def leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.endswith(".part"))


# ---- Ctrl+C turned into a parser error ------------------------------------------


def test_ctrl_c_that_the_csv_parser_turns_into_an_error_exits_130(tiny_csv, monkeypatch, capsys):
    """pandas' C parser can report an interrupt as a parse error: the CLI
    must still say "interrupted", not blame the file."""
    before = signal.getsignal(signal.SIGINT)

    def interrupted_parse(source):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            deadline = time.monotonic() + HANG_GUARD
            while time.monotonic() < deadline:
                time.sleep(0.01)
        except KeyboardInterrupt:  # what pandas does with it
            raise DataError(f"{source.path}: Error tokenizing data. C error: EOF inside string") from None
        raise AssertionError("SIGINT never arrived")

    monkeypatch.setattr(data.loading, "load_csv", interrupted_parse)
    code = main(["train", "--data", tiny_csv, "--epochs", "1", "--json"])
    err = capsys.readouterr().err
    assert code == 130
    assert err.splitlines() == ["digit-tui: interrupted"]
    assert signal.getsignal(signal.SIGINT) is before  # main() put the caller's handler back

    # the record is per command: the same error without an interrupt is the file's fault
    def bad_file(source):
        raise DataError(f"{source.path}: Error tokenizing data")

    monkeypatch.setattr(data.loading, "load_csv", bad_file)
    assert main(["train", "--data", tiny_csv, "--epochs", "1", "--json"]) == 2
    assert capsys.readouterr().err.startswith("digit-tui: error: ")


def test_a_signal_ignored_at_start_stays_ignored(tiny_csv, monkeypatch, capsys):
    """Under nohup SIGHUP is ignored; the CLI must not undo that."""
    seen = []

    def look(source):
        seen.append(signal.getsignal(signal.SIGHUP))
        raise DataError("stop here")

    monkeypatch.setattr(data.loading, "load_csv", look)
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        assert main(["train", "--data", tiny_csv, "--json"]) == 2
        assert seen == [signal.SIG_IGN] and signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
    capsys.readouterr()


# ---- SIGTERM and SIGHUP headless ---------------------------------------------------


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_or_sighup_during_train_unwinds_and_exits_128_plus_n(tiny_csv, tmp_path, signum, code):
    model, metrics = tmp_path / "out.npz", tmp_path / "m.jsonl"
    process = cli(
        "train",
        "--data",
        tiny_csv,
        "--epochs",
        100000,
        "--save",
        model,
        "--metrics",
        metrics,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: metrics.exists() and metrics.read_text().count("\n") >= 2, process, "training")
        process.send_signal(signum)
        _, err = process.communicate(timeout=HANG_GUARD)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code
    assert err.strip().splitlines()[-1] == "digit-tui: terminated" and "Traceback" not in err
    assert not model.exists() and leftovers(tmp_path) == []


SAVE_THEN_SIGTERM = """
import os, signal, sys, time
import numpy as np

real_savez = np.savez

def savez_then_terminated(stream, **arrays):
    if "meta" not in arrays:  # the CSV cache's save, not the model's
        return real_savez(stream, **arrays)
    stream.write(b"x" * 1_000_000)
    stream.flush()
    print(sorted(name for name in os.listdir(os.path.dirname(sys.argv[-1])) if name.endswith(".part")),
          flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.01)
    raise SystemExit("SIGTERM never arrived")

np.savez = savez_then_terminated
from tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_in_the_middle_of_a_save_removes_the_temporary_file(tiny_csv, tmp_path):
    model = tmp_path / "out.npz"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            SAVE_THEN_SIGTERM,
            "train",
            "--data",
            tiny_csv,
            "--epochs",
            "1",
            "--json",
            "--save",
            str(model),
        ],
        cwd=ROOT,
        env=dict(os.environ, DIGIT_TUI_RECORD="off"),  # the first model saved must be --save's, not the run record's
        capture_output=True,
        text=True,
        timeout=HANG_GUARD * 2,
        check=False,
    )
    assert ".digit-tui-" in result.stdout  # the signal came while the temporary file existed
    assert result.returncode == 143
    assert result.stderr.splitlines() == ["digit-tui: terminated"]
    assert not model.exists() and leftovers(tmp_path) == []


# ---- SIGTERM and SIGHUP in the app -------------------------------------------------


def read_until_closed(leader, process):
    """Everything the app writes until it has exited and its terminal is closed."""
    chunks, deadline = [], time.monotonic() + HANG_GUARD
    while True:
        assert time.monotonic() < deadline, "the app did not exit"
        if select.select([leader], [], [], 0.05)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the app's side of the terminal is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    process.wait(timeout=HANG_GUARD)
    return b"".join(chunks)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_the_app_restores_the_terminal_on_sigterm_and_sighup(tiny_csv, signum, code):
    """As on `q`, Textual's exit leaves the alternate screen and turns mouse
    tracking off and the cursor on; then the app says "terminated" and exits
    128 + the signal's number, like the headless commands."""
    process, leader = launch_in_pty(["--data", tiny_csv, "--epochs", "100000", "--hidden", "8"])
    try:
        seen = b""
        deadline = time.monotonic() + HANG_GUARD
        while b"Training" not in seen:
            assert time.monotonic() < deadline and process.poll() is None, "the app never showed training"
            if select.select([leader], [], [], 0.05)[0]:
                seen += os.read(leader, 65536)
        process.send_signal(signum)
        after = read_until_closed(leader, process)
        assert process.returncode == code
        for sequence in (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?1003l", b"\x1b[?1006l", b"\x1b[?25h"):
            assert sequence in after, sequence
        assert after.rstrip().endswith(b"digit-tui: terminated")
    finally:
        close_app(process, leader)


# ---- full disk ---------------------------------------------------------------------


class FullDisk:
    """A --metrics file on a disk that has just filled up."""

    def __init__(self, path, *args, **kwargs):
        pass

    def write(self, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_full_disk_under_metrics_is_one_line_and_status_2(tiny_csv, tmp_path, monkeypatch, capsys):
    path = tmp_path / "run.jsonl"
    monkeypatch.setattr(headless, "open", FullDisk, raising=False)
    code = main(["train", "--data", tiny_csv, "--epochs", "2", "--metrics", str(path), "--json"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.splitlines() == [f"digit-tui: error: --metrics {path}: no space left on device"]


needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


@pytest.fixture
def model(tiny_csv, tmp_path, capsys):
    path = tmp_path / "model.npz"
    assert main(["train", "--data", tiny_csv, "--epochs", "1", "--save", str(path), "--json"]) == 0
    capsys.readouterr()
    return path


@needs_dev_full
@pytest.mark.parametrize("command", ["train", "evaluate", "evaluate --json"])
def test_full_disk_on_stdout_is_one_line_and_status_2(command, tiny_csv, model):
    name, *flags = command.split()
    args = (
        ["--data", tiny_csv, "--epochs", "1", "--json"]
        if name == "train"
        else ["--model", model, "--data", tiny_csv, *flags]
    )
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "tui", name, *map(str, args)],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=HANG_GUARD * 2,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "digit-tui: error: standard output: no space left on device"
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


# ---- closed pipe -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["train --json", "evaluate", "evaluate --json"])
def test_output_into_a_closed_pipe_exits_141_quietly(command, tiny_csv, model):
    """`digit-tui evaluate | head -n 1` with head gone before the first line."""
    name, *flags = command.split()
    args = (
        ["--data", tiny_csv, "--epochs", "1"] if name == "train" else ["--model", model, "--data", tiny_csv]
    ) + flags
    process = cli(name, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before anything is written
    try:
        _, err = process.communicate(timeout=HANG_GUARD)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 141
    assert err == b""
