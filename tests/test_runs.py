"""Run records on disk (core.run_record, core.run_store): names, what a
folder holds after each way a run can end, and reading folders that are
half-written, edited by hand or from a newer digit-tui. Every test writes
under tmp_path (conftest also points DIGIT_TUI_DATA_DIR at a private one)."""

import json
import os
import socket
import subprocess
import sys
import threading
from datetime import datetime, timezone

import numpy as np
import pytest
from helpers import DIVERGING, synthetic_digits

from core import BatchDone, EpochDone, TrainConfig, load_model, train
from core.config import APP_PRESET, PRESETS
from core.control import RunControl
from core.run_names import differing_settings, nearest_preset, run_name
from core.run_record import RunRecorder, record_test_accuracy
from core.run_store import (
    CONFIG_FILE,
    METRICS_FILE,
    MODEL_FILES,
    OUTCOME_FILE,
    RunsError,
    find_run,
    list_runs,
    models_to_keep,
    prune_models,
    read_metrics,
    read_run,
    recording_enabled,
    remove_run,
    run_folder,
)

NOW = datetime(2026, 11, 26, 1, 52, 7, tzinfo=timezone.utc)
QUICK = TrainConfig(hidden=(16,), epochs=3, batch_size=16)


def split_digits():
    images, labels = synthetic_digits(100, seed=3)
    x = images.astype(np.float32) / 255.0
    return x[:80], labels[:80], x[80:], labels[80:]


def events_of(config):
    return list(train(config, *split_digits()))


def recorded(root, config=QUICK, now=NOW, events=None, **options):
    recorder = RunRecorder.create(str(root), config, "tiny.csv", "default", now, **options)
    for event in events if events is not None else events_of(config):
        recorder.record(event)
    return recorder


def folder_files(folder):
    return sorted(os.listdir(folder))


# ---- names ------------------------------------------------------------------------


def test_a_name_is_the_time_the_nearest_preset_and_each_setting_that_differs_as_name_and_value():
    assert run_name(TrainConfig(lr=0.01, dropout=0.3), NOW) == "20261126-0152-default-lr-0.01-dropout-0.3"
    assert run_name(TrainConfig(), NOW) == "20261126-0152-default"
    changed = TrainConfig(optimizer="sgd", batch_size=32, l2=0.0005, val_fraction=0.1)
    assert run_name(changed, NOW) == "20261126-0152-default-optimizer-sgd-batch-32-l2-0.0005-val-0.1"
    assert run_name(TrainConfig(hidden=()), NOW) == "20261126-0152-default-hidden-none"


def test_a_name_comes_from_the_nearest_preset_not_the_one_started_from():
    # The try-out: "default" picked in the restart form of an app started
    # from "best", then augment, keep and patience changed.
    tuned = PRESETS["default"].with_changes(augment="affine", keep="last", patience=3)
    assert nearest_preset(tuned, APP_PRESET) == "default"
    assert run_name(tuned, NOW, APP_PRESET) == "20261126-0152-default-augment-affine-keep-last-patience-3"
    assert run_name(PRESETS["wide"], NOW, APP_PRESET) == "20261126-0152-wide"
    wider = PRESETS["wide"].with_changes(hidden=(1024, 512))
    assert run_name(wider, NOW, "default") == "20261126-0152-wide-hidden-1024x512"
    for name, config in PRESETS.items():  # each preset is nearest to itself
        assert nearest_preset(config) == name and run_name(config, NOW) == f"20261126-0152-{name}"


def test_a_tie_between_presets_goes_to_the_one_started_from():
    # deep and best differ in lr, epochs and augment; half way between them:
    between = PRESETS["deep"].with_changes(lr=PRESETS["best"].lr, augment="shift")
    assert len(differing_settings(between, PRESETS["deep"])) == len(differing_settings(between, PRESETS["best"])) == 2
    assert nearest_preset(between, "best") == "best" and nearest_preset(between, "deep") == "deep"
    assert nearest_preset(between) == "deep"  # none named: the first in PRESETS' order
    assert nearest_preset(between, "no-such-preset") == "deep"


def test_the_base_preset_is_recorded_in_config_json(tmp_path):
    recorder = RunRecorder.create(str(tmp_path), PRESETS["wide"].with_changes(seed=3), "tiny.csv", "best", NOW)
    with open(os.path.join(recorder.folder, CONFIG_FILE)) as stream:
        assert json.load(stream)["preset"] == "wide"
    assert recorder.name == "20261126-0152-wide-seed-3"
    assert read_run(recorder.folder, recorder.name).preset == "wide"


def test_a_name_with_many_changes_is_cut_and_safe_as_a_folder_name():
    config = TrainConfig(
        hidden=(4096,) * 8, lr=0.0123456, momentum=0.5, batch_size=7, epochs=99, l2=0.5, dropout=0.5, seed=12345
    )
    name = run_name(config, NOW)
    assert len(name) <= 100 and not name.endswith("-")
    assert all(char.isalnum() or char in "._+-" for char in name)


def test_two_runs_started_in_the_same_second_get_two_folders(tmp_path):
    first = RunRecorder.create(str(tmp_path), QUICK, "a", "default", NOW)
    second = RunRecorder.create(str(tmp_path), QUICK, "b", "default", NOW)
    assert second.name == first.name + "-2"
    assert json.loads((tmp_path / first.name / CONFIG_FILE).read_text())["source"] == "a"
    assert json.loads((tmp_path / second.name / CONFIG_FILE).read_text())["source"] == "b"


def test_threads_creating_runs_at_once_never_share_a_folder(tmp_path):
    names, barrier = [], threading.Barrier(8)

    def start():
        barrier.wait()
        names.append(RunRecorder.create(str(tmp_path), QUICK, "x", "default", NOW).name)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(set(names)) == 8
    assert sorted(os.listdir(tmp_path)) == sorted(names)


def test_processes_creating_runs_at_once_never_share_a_folder(tmp_path):
    code = (
        "import sys; from datetime import datetime, timezone; from core import TrainConfig; "
        "from core.run_record import RunRecorder; "
        "r = RunRecorder.create(sys.argv[1], TrainConfig(), sys.argv[2], 'default', "
        "datetime(2026, 11, 26, 1, 52, tzinfo=timezone.utc)); print(r.name)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    processes = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path), f"source{n}"], cwd=root, stdout=subprocess.PIPE)
        for n in range(4)
    ]
    names = [process.communicate(timeout=120)[0].decode().strip() for process in processes]
    assert len(set(names)) == 4
    sources = {json.loads((tmp_path / name / CONFIG_FILE).read_text())["source"] for name in names}
    assert sources == {f"source{n}" for n in range(4)}  # each wrote its own folder, whole


# ---- what a run leaves ---------------------------------------------------------


def test_a_completed_run_has_its_settings_every_epoch_both_models_and_its_outcome(tmp_path):
    events = events_of(QUICK)
    recorder = recorded(tmp_path, events=events)
    folder = tmp_path / recorder.name
    assert folder_files(folder) == sorted([CONFIG_FILE, METRICS_FILE, OUTCOME_FILE, *MODEL_FILES.values()])
    settings = json.loads((folder / CONFIG_FILE).read_text())
    assert settings["format"] == 1 and settings["config"] == QUICK.to_dict() and settings["source"] == "tiny.csv"
    epochs = [event for event in events if isinstance(event, EpochDone)]
    metrics = read_metrics(str(folder))
    assert [line["epoch"] for line in metrics.epochs] == [1, 2, 3] and metrics.unreadable == 0
    assert [line["val_accuracy"] for line in metrics.epochs] == [event.val_accuracy for event in epochs]
    best = max(epochs, key=lambda event: (event.val_accuracy, -event.epoch))
    info = read_run(str(folder), recorder.name)
    assert (info.outcome, info.epochs, info.best_epoch) == ("completed", 3, best.epoch)
    assert info.best_val_accuracy == best.val_accuracy and info.final_val_accuracy == epochs[-1].val_accuracy
    assert info.models == ("best", "final") and info.note is None
    for kind, event in (("best", best), ("final", epochs[-1])):
        saved = load_model(folder / MODEL_FILES[kind])
        for (w, b), (w_event, b_event) in zip(saved.snapshot.weights, event.snapshot.weights):
            assert np.array_equal(w, w_event) and np.array_equal(b, b_event)
        assert saved.info["run"] == recorder.name and saved.config == QUICK.to_dict()


def test_best_and_final_models_differ_when_a_later_epoch_is_worse(tmp_path):
    """An epoch made to look worse than the first: the best model is the first's."""
    events = events_of(QUICK)
    epochs = [event for event in events if isinstance(event, EpochDone)]
    fake = [
        event if event is not epochs[-1] else _with(event, val_accuracy=0.0, best_epoch=epochs[-2].best_epoch)
        for event in events
    ]
    recorder = recorded(tmp_path, events=fake)
    folder = tmp_path / recorder.name
    best, final = (load_model(folder / MODEL_FILES[kind]).snapshot.weights[0][0] for kind in ("best", "final"))
    assert not np.array_equal(best, final)
    assert np.array_equal(final, epochs[-1].snapshot.weights[0][0])
    assert read_run(str(folder), recorder.name).final_val_accuracy == 0.0


def _with(event, **changes):
    from dataclasses import replace

    return replace(event, **changes)


def test_a_diverged_run_says_so_and_keeps_the_last_good_weights(tmp_path):
    flags = dict(zip(DIVERGING[::2], DIVERGING[1::2]))
    config = TrainConfig(optimizer=flags["--optimizer"], lr=float(flags["--lr"]), epochs=5, schedule="constant")
    recorder = recorded(tmp_path, config=config)
    info = read_run(str(tmp_path / recorder.name), recorder.name)
    assert info.outcome == "diverged" and "diverged" in info.note and "learning rate" in info.note
    assert "final" in info.models


def test_an_interrupted_run_keeps_its_finished_epochs_and_their_models(tmp_path):
    events = []
    for event in train(TrainConfig(hidden=(8,), epochs=50, batch_size=16), *split_digits()):
        events.append(event)
        if isinstance(event, EpochDone) and event.epoch == 2:
            break  # as a Ctrl+C between two epochs would leave it
    recorder = recorded(tmp_path, events=events)
    recorder.finish("interrupted")
    info = read_run(str(tmp_path / recorder.name), recorder.name)
    assert (info.outcome, info.epochs, info.models) == ("interrupted", 2, ("best", "final"))
    recorder.finish("failed", "later")  # an ended run stays as it ended
    assert read_run(str(tmp_path / recorder.name), recorder.name).outcome == "interrupted"


def test_a_run_stopped_mid_epoch_says_its_final_accuracy_is_from_that_part_epoch(tmp_path):
    control, events = RunControl(), []
    for event in train(TrainConfig(hidden=(8,), epochs=50, batch_size=16), *split_digits(), control=control):
        events.append(event)
        if isinstance(event, BatchDone) and event.epoch == 3 and event.batch == 2:
            control.stop()  # the next check, after this batch, ends the run in epoch 3
    recorder = recorded(tmp_path, events=events)
    info = read_run(str(tmp_path / recorder.name), recorder.name)
    last = [event for event in events if isinstance(event, EpochDone)][-1]
    assert last.partial and last.epoch == 3
    assert (info.outcome, info.epochs, info.final_epoch, info.final_partial) == ("stopped", 2, 3, True)
    assert info.final_val_accuracy == last.val_accuracy
    # Still being written (no outcome yet): the same, read from its metrics.
    live = recorded(tmp_path / "live", events=[event for event in events if isinstance(event, EpochDone)])
    info = read_run(live.folder, live.name)
    assert (info.outcome, info.epochs, info.final_epoch, info.final_partial) == ("running", 2, 3, True)
    completed = recorded(tmp_path / "completed")
    info = read_run(completed.folder, completed.name)
    assert (info.epochs, info.final_epoch, info.final_partial) == (3, 3, False)


def test_a_run_that_failed_before_any_epoch_has_no_models_and_a_note(tmp_path):
    recorder = recorded(tmp_path, events=[])
    recorder.finish("failed", "DataError: bad row")
    info = read_run(str(tmp_path / recorder.name), recorder.name)
    assert (info.outcome, info.epochs, info.models, info.note) == ("failed", 0, (), "DataError: bad row")
    with pytest.raises(ValueError):
        recorder.finish("exploded")


def test_batches_and_other_events_write_nothing(tmp_path):
    events = [event for event in events_of(QUICK) if isinstance(event, BatchDone)]
    recorder = recorded(tmp_path, events=events)
    assert folder_files(tmp_path / recorder.name) == [CONFIG_FILE]


def test_a_write_that_fails_stops_the_record_not_the_run(tmp_path):
    problems = []
    recorder = RunRecorder.create(str(tmp_path), QUICK, "x", "default", NOW)
    recorder.on_problem = problems.append
    os.rename(tmp_path / recorder.name, tmp_path / "elsewhere")
    (tmp_path / recorder.name).write_text("a file where the folder was")
    for event in events_of(QUICK):
        recorder.record(event)  # never raises
    recorder.finish("interrupted")
    assert len(problems) == 1 and recorder.name in problems[0] and recorder.problem == problems[0]


def test_a_runs_folder_that_cannot_be_made_is_one_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RunsError, match="cannot record the run"):
        RunRecorder.create(str(blocker / "runs"), QUICK, "x", "default", NOW)


def test_test_accuracy_is_added_to_a_run(tmp_path):
    recorder = recorded(tmp_path)
    record_test_accuracy(recorder.folder, 0.9712)
    assert list_runs(str(tmp_path))[0].test_accuracy == 0.9712


# ---- listing folders that are not what they should be ----------------------------


def test_a_torn_last_line_is_skipped_and_every_whole_line_kept(tmp_path):
    recorder = recorded(tmp_path)
    with open(tmp_path / recorder.name / METRICS_FILE, "a") as stream:
        stream.write('{"epoch": 4, "val_acc')
    metrics = read_metrics(recorder.folder)
    assert [line["epoch"] for line in metrics.epochs] == [1, 2, 3] and metrics.unreadable == 1


def test_a_run_killed_mid_way_is_unfinished_and_a_live_one_running(tmp_path):
    recorder = recorded(tmp_path, events=[e for e in events_of(QUICK) if isinstance(e, EpochDone)][:2])
    info = read_run(recorder.folder, recorder.name)
    assert (info.outcome, info.epochs) == ("running", 2)  # this process writes it and lives
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    settings = json.loads((tmp_path / recorder.name / CONFIG_FILE).read_text())
    settings["pid"] = int(dead.stdout)
    (tmp_path / recorder.name / CONFIG_FILE).write_text(json.dumps(settings))
    info = read_run(recorder.folder, recorder.name)
    assert (info.outcome, info.epochs, info.best_val_accuracy is not None) == ("unfinished", 2, True)
    assert settings["host"] == socket.gethostname()


def test_broken_folders_are_listed_with_a_note_and_never_raise(tmp_path):
    good = recorded(tmp_path)
    runs = tmp_path
    (runs / "empty").mkdir()
    (runs / "torn").mkdir()
    (runs / "torn" / CONFIG_FILE).write_text('{"format": 1, "con')
    (runs / "list").mkdir()
    (runs / "list" / CONFIG_FILE).write_text("[1, 2]")
    (runs / "newer").mkdir()
    (runs / "newer" / CONFIG_FILE).write_text('{"format": 99, "config": "whatever it is now"}')
    (runs / "edited").mkdir()
    (runs / "edited" / CONFIG_FILE).write_text('{"format": 1, "config": {"lr": "fast"}, "started": "yesterday"}')
    (runs / "edited" / OUTCOME_FILE).write_text('{"outcome": "exploded", "epochs": "3", "best_val_accuracy": NaN}')
    (runs / "deep").mkdir()
    (runs / "deep" / CONFIG_FILE).write_text("[" * 100_000)
    (runs / "fifo").mkdir()
    os.mkfifo(runs / "fifo" / CONFIG_FILE)
    (runs / "stray-file").write_text("not a run")
    os.symlink(good.folder, runs / "a-link")
    (runs / ".removing-old-1").mkdir()
    by_name = {info.name: info for info in list_runs(str(runs))}
    assert set(by_name) == {good.name, "empty", "torn", "list", "newer", "edited", "deep", "fifo"}
    assert by_name[good.name].note is None
    expected = {
        "empty": "no config.json",
        "torn": "not valid JSON",
        "list": "not a JSON object",
        "newer": "newer digit-tui (format 99)",
        "edited": "unknown outcome",
        "deep": "not valid JSON",
        "fifo": "not a regular file",
    }
    for name, words in expected.items():
        assert words in by_name[name].note, (name, by_name[name].note)
        assert "\n" not in by_name[name].note
    edited = by_name["edited"]
    assert (edited.outcome, edited.epochs, edited.best_val_accuracy, edited.started) == ("unknown", None, None, None)
    assert by_name["newer"].config is None and by_name["newer"].outcome == "unknown"
    json.dumps([info.to_json() for info in by_name.values()])  # every listing can be printed as JSON


def test_runs_are_listed_newest_first(tmp_path):
    names = [recorded(tmp_path, now=NOW.replace(day=day), events=[]).name for day in (3, 9, 5)]
    assert [info.name for info in list_runs(str(tmp_path))] == [names[1], names[2], names[0]]
    assert list_runs(str(tmp_path / "none yet")) == []


# ---- removing and pruning -----------------------------------------------------------


def runs_folder_with_traps(tmp_path):
    """A runs folder holding a link to a folder outside it and a plain file."""
    root = tmp_path / "runs"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", root / "a-link")
    (root / "a-file").write_text("")
    return root


@pytest.mark.parametrize("name", ["", ".", "..", "../outside", "a/b", ".hidden", "missing", "a-link", "a-file"])
def test_a_name_that_is_not_a_run_is_refused(tmp_path, name):
    root = runs_folder_with_traps(tmp_path)
    with pytest.raises(RunsError):
        run_folder(str(root), name)
    with pytest.raises(RunsError):
        remove_run(str(root), name)
    assert (tmp_path / "outside").is_dir() and (root / "a-link").is_symlink()


@pytest.mark.parametrize("name", ["", ".", "..", "../outside", "a/b", ".hidden", "a-link", "a-file", "a-l"])
def test_find_run_refuses_what_is_not_a_run_even_as_a_start(tmp_path, name):
    root = runs_folder_with_traps(tmp_path)
    (root / ".hidden-run").mkdir()  # being removed: never found
    with pytest.raises(RunsError):
        find_run(str(root), name)


def test_find_run_takes_a_whole_name_or_a_start_that_only_one_run_has(tmp_path):
    root = tmp_path / "runs"
    for name in ("20261126-0224-default", "20261126-0224-default-2", "20261126-0230-wide", "20261127-0101-best"):
        (root / name).mkdir(parents=True)
    assert find_run(str(root), "20261126-0224-default") == "20261126-0224-default"  # whole, though a start of another
    assert find_run(str(root), "20261126-0230") == "20261126-0230-wide"
    assert find_run(str(root), "20261127") == "20261127-0101-best"
    with pytest.raises(RunsError, match="2 runs start with") as ambiguous:
        find_run(str(root), "20261126-0224")
    assert "20261126-0224-default, 20261126-0224-default-2" in str(ambiguous.value)
    with pytest.raises(RunsError, match="no run's name is or starts with it"):
        find_run(str(root), "2025")
    with pytest.raises(RunsError, match="no run"):
        find_run(str(tmp_path / "none yet"), "2026")


def test_remove_deletes_the_whole_run(tmp_path):
    keep, gone = recorded(tmp_path), recorded(tmp_path)
    remove_run(str(tmp_path), gone.name)
    assert sorted(os.listdir(tmp_path)) == [keep.name]


def test_models_beyond_the_newest_n_runs_are_pruned_metrics_never(tmp_path):
    names = [recorded(tmp_path, now=NOW.replace(day=day), keep_models=100).name for day in (1, 2, 3, 4)]
    running = RunRecorder.create(str(tmp_path), QUICK, "x", "default", NOW.replace(day=1, hour=0))
    (tmp_path / running.name / MODEL_FILES["final"]).write_text("being written by its run")
    assert prune_models(str(tmp_path), 2) == [names[1], names[0]]
    for name in names:
        left = folder_files(tmp_path / name)
        models = [file for file in left if file.endswith(".npz")]
        assert models == ([] if name in names[:2] else sorted(MODEL_FILES.values()))
        assert METRICS_FILE in left and CONFIG_FILE in left and OUTCOME_FILE in left
    assert (tmp_path / running.name / MODEL_FILES["final"]).exists()  # not ended: not touched


def test_a_run_that_ends_prunes_older_models_by_its_setting(tmp_path):
    first = recorded(tmp_path, now=NOW.replace(day=1))
    recorded(tmp_path, now=NOW.replace(day=2), keep_models=1)
    assert read_run(first.folder, first.name).models == ()
    assert len(read_metrics(first.folder).epochs) == 3


# ---- settings ------------------------------------------------------------------------


def test_recording_is_on_unless_turned_off():
    assert recording_enabled(False, {})
    assert not recording_enabled(True, {})
    for value in ("off", "OFF", "0", "no", "false"):
        assert not recording_enabled(False, {"DIGIT_TUI_RECORD": value})
    assert recording_enabled(False, {"DIGIT_TUI_RECORD": "on"})


def test_models_to_keep_reads_its_variable():
    assert models_to_keep({}) == 20
    assert models_to_keep({"DIGIT_TUI_KEEP_MODELS": "3"}) == 3
    assert models_to_keep({"DIGIT_TUI_KEEP_MODELS": "0"}) == 0
    for bad in ("-1", "many", "2.5", "9" * 30):
        with pytest.raises(RunsError, match="DIGIT_TUI_KEEP_MODELS"):
            models_to_keep({"DIGIT_TUI_KEEP_MODELS": bad})


def test_a_fifo_put_in_place_of_the_metrics_file_fails_the_record_and_never_hangs(tmp_path):
    recorder = RunRecorder.create(str(tmp_path), QUICK, "tiny.csv", "default", NOW)
    os.mkfifo(os.path.join(recorder.folder, METRICS_FILE))
    problems = []
    recorder.on_problem = problems.append
    done = threading.Event()

    def record_all():
        for event in events_of(QUICK):
            recorder.record(event)
        done.set()

    threading.Thread(target=record_all, daemon=True).start()
    assert done.wait(60), "recording blocked on a FIFO"  # a hang guard, not a speed requirement
    assert recorder.problem is not None and "no longer recorded" in recorder.problem and problems


def test_a_runs_metrics_lines_carry_the_blas_thread_decisions(tmp_path):
    from core.events import ThreadsChanged

    events = events_of(QUICK)
    events.insert(1, ThreadsChanged(0, 1, "small steps: 1 thread"))
    recorder = recorded(tmp_path, events=events)
    with open(os.path.join(recorder.folder, METRICS_FILE), encoding="utf-8") as stream:
        lines = [json.loads(line) for line in stream]
    assert lines[0]["blas_threads"] == [{"step": 0, "threads": 1, "reason": "small steps: 1 thread"}]
    assert all("blas_threads" not in line for line in lines[1:])
