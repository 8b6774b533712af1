"""Run folders written by hand, as core.run_record writes them, with fixed
names, times and numbers: the Runs view's tests and its snapshot."""

import json
import os
from datetime import datetime, timedelta, timezone

from core import TrainConfig
from core.run_store import CONFIG_FILE, FORMAT, METRICS_FILE, OUTCOME_FILE, TEST_FILE

START = datetime(2026, 3, 14, 9, 26, tzinfo=timezone.utc)


def write_run(root, name, minutes, config, losses, accuracies, outcome="completed", test=None, partial=False):
    """A run ``minutes`` after START whose epochs have these validation
    losses and accuracies; ``outcome`` None leaves it without outcome.json;
    ``partial``: a stop cut its last epoch short."""
    folder = os.path.join(root, name)
    os.makedirs(folder)
    settings = {
        "format": FORMAT,
        "name": name,
        "started": (START + timedelta(minutes=minutes)).isoformat(),
        "source": "tiny.csv",
        "config": config.to_dict(),
        "pid": 0,  # no such process: a run without an outcome reads as unfinished
        "host": "elsewhere",
    }
    with open(os.path.join(folder, CONFIG_FILE), "w") as stream:
        json.dump(settings, stream)
    with open(os.path.join(folder, METRICS_FILE), "w") as stream:
        for epoch, (loss, accuracy) in enumerate(zip(losses, accuracies), start=1):
            line = {"epoch": epoch, "val_loss": loss, "val_accuracy": accuracy, "elapsed": 1.5 * epoch}
            line["partial"] = partial and epoch == len(losses)
            stream.write(json.dumps(line) + "\n")
    if outcome is not None:
        record = {
            "format": FORMAT,
            "outcome": outcome,
            "epochs": len(losses) - partial,
            "best_epoch": accuracies.index(max(accuracies)) + 1,
            "best_val_accuracy": max(accuracies),
            "final_val_accuracy": accuracies[-1],
            "final_epoch": len(losses),
            "final_partial": partial,
            "train_seconds": 1.5 * len(losses),
        }
        with open(os.path.join(folder, OUTCOME_FILE), "w") as stream:
            json.dump(record, stream)
    if test is not None:
        with open(os.path.join(folder, TEST_FILE), "w") as stream:
            json.dump({"format": FORMAT, "test_accuracy": test}, stream)
    return folder


BASE = TrainConfig(hidden=(16,), epochs=4, batch_size=8)
RUNS = {
    # name: (minutes after START, changed settings, losses, accuracies, outcome, test accuracy)
    "20260314-0926-lr0.01": (0, {"lr": 0.01}, [0.9, 0.5, 0.4, 0.38], [0.71, 0.84, 0.88, 0.89], "completed", 0.8812),
    "20260314-0941-lr0.003": (15, {"lr": 0.003}, [1.2, 0.8, 0.6, 0.5], [0.62, 0.78, 0.85, 0.87], "completed", None),
    "20260314-1003-sgd": (37, {"optimizer": "sgd"}, [2.1, 1.9, 1.2], [0.3, 0.41, 0.6], "stopped", None),
    "20260314-1010-dropout0.3": (44, {"dropout": 0.3}, [1.0, 0.6], [0.7, 0.8], None, None),
}


def write_fixture_runs(root):
    """The four runs above, and a folder with no config.json (a run killed
    as it started, or made by hand). Returns the good runs' names, newest first."""
    for name, (minutes, changes, losses, accuracies, outcome, test) in RUNS.items():
        write_run(root, name, minutes, BASE.with_changes(**changes), losses, accuracies, outcome, test)
    os.makedirs(os.path.join(root, "half-written"))
    return list(reversed(RUNS))


def write_config(root, name, **fields):
    """A run folder with only a config.json (a run without an outcome yet),
    ``fields`` replacing or adding to what a recorder writes. Returns the folder."""
    folder = os.path.join(root, name)
    os.makedirs(folder)
    settings = {
        "format": FORMAT,
        "name": name,
        "started": START.isoformat(),
        "source": "tiny.csv",
        "config": BASE.to_dict(),
        "pid": 0,  # no such process: unfinished
        "host": "elsewhere",
    }
    with open(os.path.join(folder, CONFIG_FILE), "w") as stream:
        json.dump(settings | fields, stream)
    return folder


def write_json(folder, file, record):
    """One more file of a run folder, written as given (NaN and huge numbers allowed)."""
    with open(os.path.join(folder, file), "w") as stream:
        json.dump(record, stream)
