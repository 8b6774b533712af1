"""Run folders made to break a reader (the red-team report of issue #15),
read by core.run_store: a FIFO or device for any file, dates at the edge of
the calendar, numbers out of range or too large for a float, names too
long to rename, pids reused, environment values in other scripts, and a
metrics file too large to read. Each class of defect, not one example.
Readers that could block run in a daemon thread with a hang guard."""

import json
import os
import threading
from datetime import datetime, timedelta, timezone

import pytest
from runs_fixtures import BASE, START, write_config, write_json

from core.run_files import LIST_TAIL, METRICS_LIMIT
from core.run_process import boot_id, process_start, writer_identity
from core.run_store import (
    CONFIG_FILE,
    METRICS_FILE,
    OUTCOME_FILE,
    TEST_FILE,
    RunsError,
    list_runs,
    models_to_keep,
    read_metrics,
    read_run,
    record_setting,
    recording_enabled,
    remove_run,
)
from tui.runs_settings import setting_rows
from tui.runs_table import COLUMNS, fit_columns, sorted_runs, varying_columns

HANG_GUARD = 60  # seconds: a hang fails the test instead of stopping the suite
HAS_PROC = os.path.exists(f"/proc/{os.getpid()}/stat")


def within_guard(function):
    """``function()``, run in a daemon thread: a test fails, never hangs, when it blocks."""
    results = []
    thread = threading.Thread(target=lambda: results.append(function()), daemon=True)
    thread.start()
    thread.join(HANG_GUARD)
    assert results, f"blocked for {HANG_GUARD} s"
    return results[0]


def epoch_line(epoch, **values):
    return json.dumps({"epoch": epoch, "partial": False, "val_loss": 0.5, "val_accuracy": 0.8} | values) + "\n"


# ---- H1: nothing in a run folder blocks, every file is checked before it is read ----------


@pytest.mark.parametrize("file", [CONFIG_FILE, METRICS_FILE, OUTCOME_FILE, TEST_FILE])
@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_special_file_in_place_of_any_run_file_is_a_note_never_a_hang(tmp_path, file, kind):
    folder = tmp_path / "run"
    if file == CONFIG_FILE:
        folder.mkdir()
    else:
        write_config(str(tmp_path), "run")
    if kind == "fifo":
        os.mkfifo(folder / file)
    elif kind == "device":
        os.symlink("/dev/zero", folder / file)  # endless: a reader that trusts it never ends
    else:
        (folder / file).mkdir()
    [info] = within_guard(lambda: list_runs(str(tmp_path)))
    assert info.note is not None and file in info.note and "\n" not in info.note, info.note
    metrics = within_guard(lambda: read_metrics(str(folder)))
    assert metrics.epochs == [] and (file != METRICS_FILE or metrics.problem is not None)


# ---- H2: a start time at the edge of the calendar --------------------------------------


@pytest.mark.parametrize("started", ["0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_start_at_the_edge_of_the_calendar_is_listed_and_sorted(tmp_path, started):
    write_config(str(tmp_path), "edge", started=started)
    write_config(str(tmp_path), "normal")
    runs = list_runs(str(tmp_path))  # sorts by the start's timestamp
    edge = next(info for info in runs if info.name == "edge")
    assert edge.started is None or edge.started.timestamp() is not None
    if edge.started is None:
        assert "start time" in edge.note and "out of range" in edge.note
    for column in COLUMNS:
        sorted_runs(runs, column, True)


def test_a_naive_start_in_year_one_is_a_note(tmp_path):
    write_config(str(tmp_path), "edge", started="0001-01-01T00:00:00")  # local time before year 1 in UTC+
    info = read_run(str(tmp_path / "edge"), "edge")
    if info.started is None:  # out of range in this machine's time zone (always so in UTC and east of it)
        assert "out of range (edited by hand?)" in info.note
    write_config(str(tmp_path), "words", started="yesterday")
    assert "is not a time" in read_run(str(tmp_path / "words"), "words").note


# ---- M1, M2, L2: numbers out of range or too large for a float ----------------------------


def test_numbers_out_of_their_range_are_dropped_and_named(tmp_path):
    folder = write_config(str(tmp_path), "edited")
    outcome = {"format": 1, "outcome": "completed", "epochs": -3, "best_epoch": 2, "best_val_accuracy": 5.0}
    outcome |= {"final_val_accuracy": -1e308, "train_seconds": 1e308, "final_epoch": True}
    write_json(folder, OUTCOME_FILE, outcome)
    write_json(folder, TEST_FILE, {"format": 1, "test_accuracy": 1e308})
    info = read_run(folder, "edited")
    assert (info.epochs, info.best_epoch, info.best_val_accuracy, info.final_val_accuracy) == (None, 2, None, None)
    assert (info.train_seconds, info.final_epoch, info.test_accuracy) == (None, None, None)
    assert "outcome.json: epochs -3, final_epoch True, best_val_accuracy 5.0" in info.note
    assert "test.json: test_accuracy 1e+308 out of range (edited by hand?)" in info.note


def test_metrics_out_of_range_are_dropped_and_counted(tmp_path):
    folder = write_config(str(tmp_path), "edited")
    lines = [
        epoch_line(1, val_accuracy=1e308, val_loss=-1.0, elapsed=1e308),
        epoch_line(2, val_accuracy=-1e308, running_accuracy=5.0, lr=10**400),
        epoch_line(3, val_accuracy=0.75, val_loss=None, elapsed=12.5),  # null: a diverged loss, no edit
    ]
    (tmp_path / "edited" / METRICS_FILE).write_text("".join(lines))
    metrics = read_metrics(folder)
    assert [line["epoch"] for line in metrics.epochs] == [1, 2, 3] and metrics.dropped == 6
    assert "val_accuracy" not in metrics.epochs[0] and "val_loss" not in metrics.epochs[0]
    assert metrics.epochs[2]["val_accuracy"] == 0.75 and metrics.epochs[2]["elapsed"] == 12.5
    assert "6 value(s) out of range dropped (edited by hand?)" in " ".join(metrics.notes())
    info = read_run(folder, "edited")  # unfinished: its listing is from the metrics
    assert (info.best_val_accuracy, info.final_val_accuracy, info.train_seconds) == (0.75, 0.75, 12.5)
    assert "out of range dropped" in info.note


def test_whole_numbers_too_large_for_a_float_sort_and_show(tmp_path):
    write_config(str(tmp_path), "huge", config=BASE.to_dict() | {"lr": 10**400, "batch_size": 10**30, "l2": -(10**400)})
    write_config(str(tmp_path), "normal", started=(START + timedelta(minutes=1)).isoformat())
    runs = list_runs(str(tmp_path))
    for column in COLUMNS:
        for high_first in (True, False):
            ordered = sorted_runs(runs, column, high_first)
            assert sorted(info.name for info in ordered) == ["huge", "normal"]
    assert sorted_runs(runs, next(c for c in COLUMNS if c.header == "lr"), True)[-1].name == "huge"  # unknown: last
    varying, _ = varying_columns(runs)
    fit = fit_columns(varying, runs, 80)
    assert all(len(column.text(info)) <= 120 for column in fit.columns for info in runs)
    assert all(len(one) <= 60 and len(two) <= 60 for _, one, two, _ in setting_rows(runs[0], runs[1]))


# ---- L1: strict JSON out of anything ----------------------------------------------------


def test_to_json_is_strict_json_whatever_the_folder_holds(tmp_path):
    config = BASE.to_dict() | {"lr": float("inf"), "momentum": float("nan"), "\ud800key": ["\udcff"]}
    write_config(str(tmp_path), "inf", config=config, source="data-\udcfe.csv")
    os.mkdir(os.path.join(os.fsencode(str(tmp_path)), b"run-\xff"))
    runs = list_runs(str(tmp_path))
    text = json.dumps([info.to_json() for info in runs], allow_nan=False)  # raises on NaN or infinity
    text.encode("utf-8")  # raises on a lone surrogate
    values = {item["name"]: item for item in json.loads(text)}
    assert set(values) == {"inf", "run-\\xff"}
    assert values["inf"]["config"]["lr"] is None and values["inf"]["config"]["\\ud800key"] == ["\\xff"]
    assert values["inf"]["source"] == "data-\\xfe.csv"


# ---- L3: removing a run with a long name; M5: never a running one ----------------------------


def test_a_run_named_250_characters_can_be_removed(tmp_path):
    name = "20260314-0926-" + "x" * 236
    assert len(name) == 250
    write_config(str(tmp_path), name)
    remove_run(str(tmp_path), name)
    assert os.listdir(tmp_path) == []


def test_a_run_still_training_cannot_be_removed(tmp_path):
    write_config(str(tmp_path), "live", started=datetime.now(timezone.utc).isoformat(), **writer_identity())
    assert read_run(str(tmp_path / "live"), "live").outcome == "running"
    with pytest.raises(RunsError, match="still training"):
        remove_run(str(tmp_path), "live")
    assert os.path.isdir(tmp_path / "live")


# ---- L4: a pid given to another process ------------------------------------------------------


@pytest.mark.skipif(not HAS_PROC, reason="process start times come from /proc")
def test_a_pid_that_now_belongs_to_a_later_process_is_not_the_run(tmp_path):
    me = writer_identity()
    assert me["pid_start"] == process_start(os.getpid()) is not None
    old = {"pid": me["pid"], "host": me["host"]}
    cases = {
        "same": ({} | me, "running"),
        "reused": (me | {"pid_start": me["pid_start"] + 1}, "unfinished"),  # another start: another process
        "rebooted": (me | {"boot": "another-boot"}, "unfinished" if boot_id() else "running"),
        # Folders from before the start was recorded: did the run begin before this process did?
        "old-format-before": (old | {"started": "2000-01-01T00:00:00+00:00"}, "unfinished"),
        "old-format-after": (old | {"started": datetime.now(timezone.utc).isoformat()}, "running"),
    }
    for name, (fields, outcome) in cases.items():
        write_config(str(tmp_path), name, **fields)
        assert read_run(str(tmp_path / name), name).outcome == outcome, name


# ---- M3, L5: environment values ------------------------------------------------------------


@pytest.mark.parametrize("text", ["\u00b2", "\u0661\u0662", "1_0", "+3", " 3 4", "9" * 5000, "1000001"])
def test_keep_models_takes_ascii_digits_only(text):
    with pytest.raises(RunsError, match="DIGIT_TUI_KEEP_MODELS"):
        models_to_keep({"DIGIT_TUI_KEEP_MODELS": text})
    assert models_to_keep({"DIGIT_TUI_KEEP_MODELS": " 7 "}) == 7


def test_record_takes_a_documented_word_and_warns_for_anything_else():
    for text in ("off", "OFF", "No", "0", "false"):
        assert record_setting({"DIGIT_TUI_RECORD": text}) == (False, None)
    for text in ("", "on", "Yes", "1", "TRUE"):
        assert record_setting({"DIGIT_TUI_RECORD": text}) == (True, None)
    for text in ("disabled", "never", "garbage", "\uff2f\uff26\uff26", "off\x1b[31m"):
        enabled, problem = record_setting({"DIGIT_TUI_RECORD": text})
        assert enabled and "DIGIT_TUI_RECORD" in problem and "recording stays on" in problem
        assert "\x1b" not in problem and "\n" not in problem
        assert recording_enabled(False, {"DIGIT_TUI_RECORD": text})


# ---- L6: a huge metrics file is never read whole ---------------------------------------------


class CountingReads:
    """A file object that counts the bytes read from it."""

    read_bytes = 0

    def __init__(self, stream):
        self.stream = stream

    def read(self, size=-1):
        data = self.stream.read(size)
        CountingReads.read_bytes += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stream.close()


def test_a_huge_metrics_file_is_listed_from_its_end_and_shown_in_part(tmp_path, monkeypatch):
    import core.run_files

    folder = write_config(str(tmp_path), "long")
    with open(os.path.join(folder, METRICS_FILE), "wb") as stream:
        stream.write(epoch_line(1, val_accuracy=0.99).encode())  # far from the end: never read by a listing
        stream.truncate(256 << 20)  # 256 MB of nothing (sparse: costs no disk)
        stream.seek(0, os.SEEK_END)
        stream.write(b"\n")
        for epoch in range(900_000, 900_003):
            stream.write(epoch_line(epoch, val_accuracy=0.5, best_val_accuracy=0.9, best_epoch=17).encode())
    real, CountingReads.read_bytes = core.run_files.open_regular, 0
    monkeypatch.setattr(core.run_files, "open_regular", lambda *args: CountingReads(real(*args)))
    [info] = list_runs(str(tmp_path))
    assert (info.epochs, info.best_val_accuracy, info.best_epoch, info.final_val_accuracy) == (900_002, 0.9, 17, 0.5)
    config_size = os.path.getsize(os.path.join(folder, CONFIG_FILE))
    assert CountingReads.read_bytes <= config_size + LIST_TAIL + 1
    metrics = read_metrics(folder)
    assert [line["epoch"] for line in metrics.epochs] == [900_000, 900_001, 900_002]
    assert metrics.skipped == (256 << 20) + 1 and metrics.unreadable == 0  # the start of a cut line too
    assert CountingReads.read_bytes <= config_size + LIST_TAIL + METRICS_LIMIT + 2
    assert any("not read" in note for note in metrics.notes())
