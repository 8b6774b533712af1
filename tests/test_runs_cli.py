"""`digit-tui train` recording its run, and `digit-tui runs`, `runs show`,
`runs rm`. Every test has its own DIGIT_TUI_DATA_DIR (conftest), so runs
land under tmp_path; the waits are hang guards, never timings."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.run_store import CONFIG_FILE, METRICS_FILE, MODEL_FILES, list_runs, read_metrics, read_run
from tui.cli import main
from tui.recording import outcome_recorded, runs_folder, start_recording

ROOT = Path(__file__).resolve().parent.parent
HANG_GUARD = 120  # seconds


@pytest.fixture(autouse=True)
def wide_output(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)  # tables as a pipe gets them: every column on one line


def train_json(capsys, tiny_csv, *flags):
    code = main(["train", "--data", tiny_csv, "--epochs", "2", "--hidden", "8", "--json", *flags])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out.splitlines()[-1]), captured.err


def runs_json(capsys):
    assert main(["runs", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ---- train records its run -----------------------------------------------------------


def test_train_records_its_run_and_names_it(tiny_csv, capsys):
    summary, _ = train_json(capsys, tiny_csv, "--lr", "0.01")
    name = summary["run"]
    assert re.fullmatch(r"\d{8}-\d{4}-default-hidden-8-lr-0.01-epochs-2", name), name  # changed from "default"
    folder = Path(runs_folder()) / name
    assert folder.parent.parent == Path(os.environ["DIGIT_TUI_DATA_DIR"])
    info = read_run(str(folder), name)
    assert (info.outcome, info.epochs, info.final_val_accuracy) == ("completed", 2, summary["val_accuracy"])
    assert info.source == tiny_csv and info.models == ("best", "final")


def test_no_record_and_record_off_keep_no_record(tiny_csv, capsys, monkeypatch):
    summary, _ = train_json(capsys, tiny_csv, "--no-record")
    assert summary["run"] is None
    monkeypatch.setenv("DIGIT_TUI_RECORD", "off")
    summary, _ = train_json(capsys, tiny_csv)
    assert summary["run"] is None
    assert not os.path.exists(runs_folder())
    monkeypatch.setenv("DIGIT_TUI_RECORD", "on")
    assert train_json(capsys, tiny_csv)[0]["run"] is not None


def test_a_runs_folder_that_cannot_be_written_costs_a_warning_not_the_run(tiny_csv, capsys, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("DIGIT_TUI_DATA_DIR", str(blocker))
    summary, err = train_json(capsys, tiny_csv)
    assert summary["run"] is None and summary["status"] == "completed"
    assert err.count("\n") == 1 and "warning" in err and "not recorded" in err


def test_a_bad_keep_models_value_warns_and_keeps_the_default(tiny_csv, capsys, monkeypatch):
    monkeypatch.setenv("DIGIT_TUI_KEEP_MODELS", "lots")
    summary, err = train_json(capsys, tiny_csv)
    assert summary["run"] is not None
    assert "DIGIT_TUI_KEEP_MODELS" in err and "20" in err


def test_keep_models_prunes_older_runs_models_not_their_metrics(tiny_csv, capsys, monkeypatch):
    monkeypatch.setenv("DIGIT_TUI_KEEP_MODELS", "1")
    first = train_json(capsys, tiny_csv)[0]["run"]
    second = train_json(capsys, tiny_csv, "--seed", "1")[0]["run"]
    root = Path(runs_folder())
    assert not any((root / first / file).exists() for file in MODEL_FILES.values())
    assert len(read_metrics(str(root / first)).epochs) == 2
    assert all((root / second / file).exists() for file in MODEL_FILES.values())


def test_outcome_recorded_marks_failed_and_interrupted_runs(tmp_path):
    from core import TrainConfig

    for raised, outcome in ((ValueError("boom"), "failed"), (KeyboardInterrupt(), "interrupted")):
        recorder = start_recording(False, TrainConfig(), "x", "default")
        with pytest.raises(type(raised)), outcome_recorded(recorder):
            raise raised
        info = read_run(recorder.folder, recorder.name)
        assert info.outcome == outcome
        assert (info.note == "ValueError: boom") if outcome == "failed" else info.note is None
    with outcome_recorded(None):  # recording off: nothing to mark
        pass


# ---- real processes: killed and terminated ---------------------------------------------


def start_training(tiny_csv, tmp_path, *flags):
    env = dict(os.environ, DIGIT_TUI_DATA_DIR=str(tmp_path / "data"))
    metrics = tmp_path / "metrics.jsonl"
    command = [sys.executable, "-m", "tui", "train", "--data", tiny_csv, "--epochs", "100000"]
    command += ["--hidden", "32", "--metrics", str(metrics), "--json", *flags]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return process, metrics, tmp_path / "data" / "runs"


def wait_for_epochs(process, metrics, count):
    deadline = time.monotonic() + HANG_GUARD
    while not (metrics.exists() and metrics.read_text().count("\n") >= count):
        assert process.poll() is None, process.communicate()[1].decode()
        assert time.monotonic() < deadline, f"fewer than {count} epochs within {HANG_GUARD} s"
        time.sleep(0.02)


def test_a_killed_training_keeps_every_finished_epoch_in_its_run(tiny_csv, tmp_path):
    process, metrics, root = start_training(tiny_csv, tmp_path)
    try:
        wait_for_epochs(process, metrics, 3)
    finally:
        process.kill()  # SIGKILL: no handler runs, nothing is flushed on the way out
        process.communicate(timeout=HANG_GUARD)
    seen = [json.loads(line) for line in metrics.read_text().splitlines() if line.endswith("}")]
    [info] = list_runs(str(root))
    recorded = read_metrics(info.folder)
    # The recorder writes each epoch before --metrics does: all of those are in the run, and more may be.
    assert len(seen) >= 3 and len(recorded.epochs) >= len(seen)
    assert [line["epoch"] for line in recorded.epochs] == list(range(1, len(recorded.epochs) + 1))
    for mine, theirs in zip(recorded.epochs, seen):
        assert mine["val_accuracy"] == theirs["val_accuracy"] and mine["running_loss"] == theirs["running_loss"]
    assert recorded.unreadable <= 1  # at most the line being written when it died
    assert (info.outcome, info.epochs) == ("unfinished", len(recorded.epochs))


@pytest.mark.usefixtures("terminal_signals")
def test_a_terminated_training_is_recorded_as_interrupted(tiny_csv, tmp_path):
    process, metrics, root = start_training(tiny_csv, tmp_path)
    try:
        wait_for_epochs(process, metrics, 2)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=HANG_GUARD)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=HANG_GUARD)
    assert process.returncode == 143
    [info] = list_runs(str(root))
    assert info.outcome == "interrupted" and info.epochs is not None and info.epochs >= 1
    assert info.models == ("best", "final")


SAVE_THEN_SIGTERM = """
import os, signal, sys
import numpy as np

real_savez, calls = np.savez, []

def savez_terminated_once(stream, **arrays):
    if "meta" in arrays and not calls:  # the run's first model (not the CSV cache's save)
        calls.append(1)
        stream.write(b"x" * 100_000)
        stream.flush()
        os.kill(os.getpid(), signal.SIGTERM)
    return real_savez(stream, **arrays)

np.savez = savez_terminated_once
from tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.usefixtures("terminal_signals")
def test_sigterm_while_the_run_saves_its_models_still_records_an_outcome(tiny_csv, capsys):
    command = [sys.executable, "-c", SAVE_THEN_SIGTERM, "train", "--data", tiny_csv, "--epochs", "2", "--json"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD)
    assert result.returncode == 143, result.stderr
    [info] = list_runs(runs_folder())
    assert (info.outcome, info.epochs) == ("interrupted", 2)
    assert not [name for name in os.listdir(info.folder) if name.endswith(".part")]


# ---- digit-tui runs ---------------------------------------------------------------------------


def test_runs_lists_newest_first_and_hides_columns_that_never_change(tiny_csv, capsys):
    first = train_json(capsys, tiny_csv, "--lr", "0.01")[0]["run"]
    second = train_json(capsys, tiny_csv, "--lr", "0.003")[0]["run"]
    listed = runs_json(capsys)
    assert [run["name"] for run in listed] == [second, first]
    assert listed[0]["config"]["lr"] == 0.003 and listed[0]["outcome"] == "completed"
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = lines[0].split()
    assert header[:2] == ["name", "outcome"] and header[-2:] == ["when", "lr"]  # the results first
    assert "optimiser" not in header and "architecture" not in header and "test" not in header
    assert "the same in every run: architecture 784-8-10, optimiser adam, augment none" in out
    assert out.index(second) < out.index(first)
    row = next(line for line in lines if line.startswith(first))
    assert "0.01" in row and "completed" in row


def test_runs_with_one_run_shows_its_settings(tiny_csv, capsys):
    train_json(capsys, tiny_csv)
    assert main(["runs"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert "architecture" in header and "optimiser" in header and "test" not in header


def test_runs_with_none_says_where_they_would_be(capsys):
    assert main(["runs"]) == 0
    assert "no runs recorded yet" in capsys.readouterr().out
    assert runs_json(capsys) == []


def test_runs_show_prints_settings_and_every_epoch(tiny_csv, capsys):
    name = train_json(capsys, tiny_csv, "--epochs", "3")[0]["run"]
    assert main(["runs", "show", name]) == 0
    out = capsys.readouterr().out
    assert f"run {name}: completed" in out and "optimiser" in out and "adam" in out and '"adam"' not in out
    assert "batch size" in out and "batch_size" not in out and "preset" in out
    epoch_rows = [line for line in out.splitlines() if line.strip("│ ").split(" ")[0] in ("1", "2", "3")]
    assert len(epoch_rows) == 3
    assert main(["runs", "show", name, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [line["epoch"] for line in shown["metrics"]] == [1, 2, 3] and shown["run"]["name"] == name


def test_broken_and_newer_runs_are_listed_with_a_note(tiny_csv, capsys):
    name = train_json(capsys, tiny_csv)[0]["run"]
    root = Path(runs_folder())
    (root / "half").mkdir()
    (root / "newer").mkdir()
    (root / "newer" / CONFIG_FILE).write_text('{"format": 7}')
    (root / "edited").mkdir()
    (root / "edited" / CONFIG_FILE).write_text('{"format": 1, "config": {"hidden": "\\u001b[31m", "lr": [1]}}')
    (root / "edited" / METRICS_FILE).write_text('{"epoch": 1, "val_accuracy": "high"}\n{"epo')
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert name in out and "half: no config.json" in out and "newer: made by a newer digit-tui (format 7)" in out
    assert "\x1b" not in out
    assert runs_json(capsys)[0]["name"] in (name, "half", "newer", "edited")
    for broken in ("half", "newer", "edited"):
        assert main(["runs", "show", broken]) == 0
        assert "\x1b" not in capsys.readouterr().out


@pytest.mark.parametrize("name", ["nope", "../data", "a/b", "..", ""])
def test_show_and_rm_refuse_a_name_that_is_not_a_run(tiny_csv, capsys, name):
    train_json(capsys, tiny_csv)
    for command in (["runs", "show", name], ["runs", "rm", "--yes", name]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith("digit-tui: error: ") and err.count("\n") == 1
    assert len(list_runs(runs_folder())) == 1
    assert Path(os.environ["DIGIT_TUI_DATA_DIR"]).is_dir()


def test_show_and_rm_take_a_start_of_a_name_that_only_one_run_has(tiny_csv, capsys, monkeypatch):
    first = train_json(capsys, tiny_csv, "--lr", "0.01")[0]["run"]
    second = train_json(capsys, tiny_csv, "--lr", "0.003")[0]["run"]
    start = os.path.commonprefix([first, second])
    unique = first[: len(start) + 1]
    assert main(["runs", "show", unique]) == 0
    assert f"run {first}: completed" in capsys.readouterr().out
    assert main(["runs", "show", start]) == 2  # both runs start so: both named, nothing shown
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2 runs start with" in err and first in err and second in err
    assert main(["runs", "rm", "--yes", start]) == 2
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert main(["runs", "rm", unique]) == 0
    err = capsys.readouterr().err
    assert f"delete run {first}," in err and f"deleted run {first}" in err  # asked, naming the whole run
    assert [info.name for info in list_runs(runs_folder())] == [second]


def test_at_80_columns_the_list_keeps_the_results_whole_and_cuts_the_name(capsys, monkeypatch):
    from runs_fixtures import write_run

    from core import TrainConfig

    names = []
    for number in range(7):  # the try-out's runs: long names, settings that differ
        name = f"20261126-02{number:02d}-default-augment-affine-keep-last-patience-{number}"
        config = TrainConfig(keep="last" if number % 2 else "best", patience=number, lr=0.001 * (number + 1))
        accuracies = [0.9, 0.95 + number / 1000, 0.94 + number / 1000][: 2 + number % 2]
        outcome = ("completed", "early stopped")[number % 2]
        write_run(runs_folder(), name, 10 * number, config, [0.5] * len(accuracies), accuracies, outcome, 0.9412)
        names.append(name)
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["runs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines)
    assert lines[0].split() == ["name", "outcome", "best", "val", "final", "val", "epochs", "time"]
    rows = lines[2:9]
    for name, row in zip(reversed(names), rows):  # newest first
        assert row.startswith(name[:14]) and name not in row and "\u2026" in row  # cut at its end
        number = int(name[-1])
        assert ("completed", "early stopped")[number % 2] in row  # whole, never "early stopp..."
        assert f"{0.94 + number / 1000 if number % 2 else 0.95 + number / 1000:.2%}" in row
        assert re.search(r"\d\.\d\d s$", row.rstrip())  # the time, on the same line
    out = "\n".join(lines)
    assert "the same in every run: architecture 784-10-10" in out and "test 94.12%" in out
    assert "not shown at this width: when, lr, keep, patience" in out


def test_show_says_a_stopped_runs_final_accuracy_is_from_its_part_epoch(tiny_csv, capsys):
    from runs_fixtures import write_run

    from core import TrainConfig

    accuracies = [0.9, 0.965, 0.963]  # the third epoch cut short by a stop
    write_run(runs_folder(), "stopped-run", 0, TrainConfig(), [0.5, 0.4, 0.45], accuracies, "stopped", partial=True)
    assert main(["runs", "show", "stopped"]) == 0
    out = capsys.readouterr().out
    assert "epochs 2," in out and "best 96.50% (epoch 2), final 96.30% (epoch 3, stopped part-way)" in out
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert "96.30%*" in out and "* final val from an epoch that a stop cut short" in out


class Terminal(io.StringIO):
    """Standard input as a terminal, where the user types what it holds."""

    def isatty(self):
        return True


def test_rm_without_a_terminal_and_without_yes_refuses(tiny_csv, capsys, monkeypatch):
    name = train_json(capsys, tiny_csv)[0]["run"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert main(["runs", "rm", name]) == 2
    assert "--yes" in capsys.readouterr().err
    assert [info.name for info in list_runs(runs_folder())] == [name]


@pytest.mark.parametrize(
    "answer, deleted", [("y\n", True), ("YES\n", True), ("n\n", False), ("\n", False), ("", False)]
)
def test_rm_asks_on_a_terminal(tiny_csv, capsys, monkeypatch, answer, deleted):
    name = train_json(capsys, tiny_csv)[0]["run"]
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    assert main(["runs", "rm", name]) == 0
    assert "[y/N]" in capsys.readouterr().err
    assert os.path.exists(os.path.join(runs_folder(), name)) is not deleted


def test_rm_with_yes_deletes_only_that_run(tiny_csv, capsys, monkeypatch):
    keep = train_json(capsys, tiny_csv)[0]["run"]
    gone = train_json(capsys, tiny_csv, "--seed", "2")[0]["run"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["runs", "rm", gone, "--yes"]) == 0
    assert [info.name for info in list_runs(runs_folder())] == [keep]
