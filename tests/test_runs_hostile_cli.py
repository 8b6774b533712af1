"""The red-team cases of issue #15 through the front ends: `digit-tui runs`
and `train` never hang, fail or lose a --save over what other runs' folders
hold, rm needs the whole name with --yes and never deletes a run still
training, --json is strict, and the Runs view survives every hostile folder.
Commands that could hang run in a subprocess; the waits are hang guards."""

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers import wait_until
from runs_fixtures import BASE, write_config, write_json, write_run
from test_runs_view import TINY, show_runs, table

import core.run_record
from core.run_process import writer_identity
from core.run_store import METRICS_FILE, OUTCOME_FILE, list_runs
from tui.app import DigitApp
from tui.cli import main
from tui.recording import runs_folder
from tui.runs_cli import LINE_LIMIT
from tui.views.runs import RunsChartWidget

ROOT = Path(__file__).resolve().parent.parent
HANG_GUARD = 120  # seconds


@pytest.fixture(autouse=True)
def wide_output(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)


def cli(*args, **env):
    """``digit-tui ARGS`` in its own process (a hang fails the test, never the suite)."""
    environ = dict(os.environ) | env
    command = [sys.executable, "-m", "tui", *args]
    return subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, timeout=HANG_GUARD)


def train_args(tiny_csv, *flags):
    return ["train", "--data", tiny_csv, "--epochs", "1", "--hidden", "8", "--json", *flags]


def strict_json(data):
    """Parsed the way a strict reader would: UTF-8 only, no NaN or Infinity."""

    def refuse(name):
        raise AssertionError(f"not JSON: {name}")

    return json.loads(data.decode("utf-8"), parse_constant=refuse)


# ---- H1, H2: other runs' folders never hang or fail a listing or a train ------------------------


def test_a_fifo_metrics_file_hangs_nothing_and_train_still_saves(tiny_csv, tmp_path):
    folder = write_config(runs_folder(), "20260314-0926-fifo")
    os.mkfifo(os.path.join(folder, METRICS_FILE))
    listed = cli("runs")
    assert listed.returncode == 0, listed.stderr
    assert b"metrics.jsonl: is a FIFO or pipe, not a regular file" in listed.stdout
    shown = cli("runs", "show", "20260314-0926-fifo")
    assert shown.returncode == 0 and shown.stdout.count(b"FIFO") == 1  # said once, not per reader
    save = tmp_path / "model.npz"
    trained = cli(*train_args(tiny_csv, "--save", str(save)))  # its end prunes: it lists every run
    assert trained.returncode == 0, trained.stderr
    assert save.exists() and strict_json(trained.stdout.splitlines()[-1])["run"] is not None


@pytest.mark.parametrize(
    "started, zone",
    [("0001-01-01T00:00:00", "Pacific/Kiritimati"), ("9999-12-31T23:59:59", "Pacific/Kiritimati"),
     ("9999-12-31T23:59:59", "Etc/GMT+12")],
)  # fmt: skip
def test_a_start_at_the_calendars_edge_is_a_note_in_every_time_zone(tiny_csv, tmp_path, started, zone):
    write_config(runs_folder(), "edge", started=started)
    listed = cli("runs", "--json", TZ=zone)
    assert listed.returncode == 0, listed.stderr
    [run] = strict_json(listed.stdout)
    assert run["started"] is not None or "out of range" in run["note"]
    save = tmp_path / "model.npz"
    trained = cli(*train_args(tiny_csv, "--save", str(save)), TZ=zone)
    assert trained.returncode == 0, trained.stderr
    assert save.exists()


def test_any_error_in_pruning_is_one_warning_and_the_run_stands(tiny_csv, tmp_path, capsys, monkeypatch):
    def broken(root, keep):
        raise ValueError("a bug reading other runs")

    monkeypatch.setattr(core.run_record, "prune_models", broken)
    save = tmp_path / "model.npz"
    assert main(train_args(tiny_csv, "--save", str(save))) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.splitlines()[-1])
    assert save.exists() and summary["run"] is not None and summary["status"] == "completed"
    assert captured.err.count("\n") == 1 and "not pruned: ValueError: a bug reading other runs" in captured.err


def test_a_unicode_digit_for_keep_models_and_a_word_for_record_warn(tiny_csv, capsys, monkeypatch):
    monkeypatch.setenv("DIGIT_TUI_KEEP_MODELS", "\u00b2")
    monkeypatch.setenv("DIGIT_TUI_RECORD", "disabled")
    assert main(train_args(tiny_csv)) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.splitlines()[-1])["run"] is not None  # recording stays on
    lines = captured.err.splitlines()
    assert len(lines) == 2 and "DIGIT_TUI_KEEP_MODELS" in lines[1] and "DIGIT_TUI_RECORD=disabled" in lines[0]


# ---- M4, M5, L3: deleting ----------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_rm_with_yes_needs_the_whole_name(capsys, monkeypatch):
    write_config(runs_folder(), "20260314-0926-default")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["runs", "rm", "20260314", "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "whole name" in err and "20260314-0926-default" in err
    assert [info.name for info in list_runs(runs_folder())] == ["20260314-0926-default"]
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert main(["runs", "rm", "20260314"]) == 0  # asked, naming the whole run
    assert "delete run 20260314-0926-default," in capsys.readouterr().err
    assert list_runs(runs_folder()) == []


def test_rm_refuses_a_run_still_training_before_asking(capsys, monkeypatch):
    now = datetime.now(timezone.utc).isoformat()
    write_config(runs_folder(), "live", started=now, **writer_identity())  # this process: alive
    for command, stdin in (
        (["runs", "rm", "live", "--yes"], io.StringIO("")),
        (["runs", "rm", "live"], Terminal("y\n")),
    ):
        monkeypatch.setattr(sys, "stdin", stdin)
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "still training" in err and "[y/N]" not in err and err.count("\n") == 1
    assert [info.name for info in list_runs(runs_folder())] == ["live"]


def test_a_run_deleted_under_its_trainer_is_not_named_as_recorded(tiny_csv, capsys, monkeypatch):
    import shutil

    real = core.run_record.RunRecorder._record_epoch

    def then_removed(recorder, event):
        real(recorder, event)
        shutil.rmtree(recorder.folder)  # as another process's rm would

    monkeypatch.setattr(core.run_record.RunRecorder, "_record_epoch", then_removed)
    assert main(train_args(tiny_csv)) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.splitlines()[-1])["run"] is None
    assert "no longer recorded" in captured.err
    assert main(train_args(tiny_csv)[:-1]) == 0  # the table, not --json
    assert "run recorded as" not in capsys.readouterr().out


def test_a_long_named_run_is_deleted_by_the_cli(capsys):
    name = "20260314-0926-" + "y" * 236
    write_config(runs_folder(), name)
    assert main(["runs", "rm", name, "--yes"]) == 0
    assert list_runs(runs_folder()) == []


# ---- L1, L2: strict JSON and bounded lines ----------------------------------------------------


def write_edited_run(root):
    """A run whose files hold Infinity, NaN, a name byte that is no UTF-8 and results out of range."""
    config = BASE.to_dict() | {"lr": float("inf"), "momentum": float("nan"), "batch_size": 10**400}
    folder = write_config(root, "edited", config=config)
    outcome = {"format": 1, "outcome": "completed", "best_val_accuracy": 5.0, "final_val_accuracy": -0.5}
    write_json(folder, OUTCOME_FILE, outcome | {"train_seconds": 1e308, "epochs": 3})
    write_json(folder, "test.json", {"format": 1, "test_accuracy": 5.0})
    lines = [{"epoch": 1, "val_accuracy": 1e308, "val_loss": 1e308, "elapsed": 1e308}]
    lines += [{"epoch": 2, "val_accuracy": -1e308, "val_loss": -2.0, "lr": 10**400}]
    with open(os.path.join(folder, METRICS_FILE), "w") as stream:
        stream.write("".join(json.dumps(line) + "\n" for line in lines))
    os.mkdir(os.path.join(os.fsencode(root), b"run-\xff"))


def test_json_output_is_strict_and_text_output_bounded(tmp_path):
    write_edited_run(runs_folder())
    listed = cli("runs", "--json")
    assert listed.returncode == 0, listed.stderr
    runs = {run["name"]: run for run in strict_json(listed.stdout)}
    assert set(runs) == {"edited", "run-\\xff"}
    edited = runs["edited"]
    assert edited["config"]["lr"] is None and edited["best_val_accuracy"] is None
    assert edited["test_accuracy"] is None and edited["train_seconds"] is None
    assert "out of range (edited by hand?)" in edited["note"]
    shown = cli("runs", "show", "edited", "--json")
    assert shown.returncode == 0, shown.stderr
    detail = strict_json(shown.stdout)
    assert [sorted(line) for line in detail["metrics"]] == [["epoch", "partial", "val_loss"], ["epoch", "partial"]]
    assert "metrics.jsonl: 5 value(s) out of range dropped (edited by hand?)" in detail["metrics_notes"]
    for command in (("runs",), ("runs", "show", "edited")):
        text = cli(*command)
        assert text.returncode == 0, text.stderr
        out = text.stdout.decode("utf-8")
        assert "500.00%" not in out and "inf%" not in out and "-50.00%" not in out  # results out of range: blank
        assert max(len(line) for line in out.splitlines()) <= LINE_LIMIT


# ---- M1, M2 in the app: every hostile folder, sorted by every column, charted --------------------


async def test_the_runs_view_sorts_and_charts_hostile_runs(tiny_csv, monkeypatch):
    monkeypatch.setenv("DIGIT_TUI_RECORD", "off")
    root = runs_folder()
    os.makedirs(root)
    write_edited_run(root)
    write_config(root, "edge", started="0001-01-01T00:00:00")
    write_run(root, "20260314-0926-normal", 0, BASE, [0.9, 0.5], [0.7, 0.8])
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(100, 30)) as pilot:
        await show_runs(app, pilot, 4)
        for row in range(4):
            table(app).move_cursor(row=row)
            await pilot.press("space")
        await wait_until(pilot, lambda: len(app.query_one(RunsChartWidget).curves) == 4)
        for _ in range(len(table(app).columns) + 1):  # every column, both ways (lr too)
            await pilot.press(">", "<")
        await pilot.pause()
        assert app.is_running and table(app).row_count == 4


def test_show_draws_the_last_epochs_of_a_long_run_and_says_so(capsys, monkeypatch):
    import tui.runs_cli

    monkeypatch.setattr(tui.runs_cli, "SHOWN_EPOCHS", 3)
    write_run(runs_folder(), "20260314-0926-long", 0, BASE, [0.9, 0.8, 0.7, 0.6, 0.5], [0.5, 0.6, 0.7, 0.8, 0.9])
    assert main(["runs", "show", "20260314-0926-long"]) == 0
    out = capsys.readouterr().out
    assert "the table shows the last 3 of the 5 epochs read (--json: all)" in out
    assert "60.00%" not in out.split("per epoch")[1] and "70.00%" in out.split("per epoch")[1]
    assert main(["runs", "show", "20260314-0926-long", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["metrics"]) == 5
