"""The runs kept on disk: where they live, reading them back, removing and pruning.

Every training run (``digit-tui train``, later the app) gets its own folder
under ``runs/`` in the data folder, written only by the process that made
it (``core.run_record``):

    config.json        {"format", "name", "started", "source", "preset", "config",
                        "pid", "host", "pid_start", "boot"}  (the writer: core.run_process)
    metrics.jsonl      one JSON line per epoch, appended and flushed as it ends
    model-best.npz     the weights of the epoch with the best validation accuracy
    model-final.npz    those of the last epoch (both written at the end, pruned in old runs)
    outcome.json       {"format", "outcome", ...} once the run has ended
    test.json          {"test_accuracy"} once the model was scored on a test set

A folder may be half-written (a kill), edited by hand or made by a newer
digit-tui: reading one (``core.run_info``, over ``core.run_files``) never
raises for that, it says what is wrong in ``RunInfo.note``, one line.
Nothing here prints.
"""

import itertools
import os
import re
import shutil
import stat
from collections.abc import Mapping

from .errors import DigitTuiError
from .run_files import (
    CONFIG_FILE,
    FORMAT,
    METRICS_FILE,
    MODEL_FILES,
    OUTCOME_FILE,
    OUTCOMES,
    TEST_FILE,
    Metrics,
    json_safe,
    read_metrics,
)
from .run_info import RunInfo, read_run
from .text import printable

# Read from here by the front ends and the tests: the layout and the readers in one place.
__all__ = [
    "CONFIG_FILE",
    "FORMAT",
    "METRICS_FILE",
    "MODEL_FILES",
    "OUTCOME_FILE",
    "OUTCOMES",
    "TEST_FILE",
    "Metrics",
    "RunInfo",
    "json_safe",
    "read_metrics",
    "read_run",
]
RUNS_FOLDER = "runs"
DEFAULT_KEEP_MODELS = 20
MOST_KEPT = 1_000_000
AMBIGUOUS_SHOWN = 3  # runs named when a start of a name matches several (the error stays one short line)
RECORD_OFF = ("off", "0", "no", "false")
RECORD_ON = ("on", "1", "yes", "true")
_REMOVALS = itertools.count(1)  # the temporary names of folders being removed


class RunsError(DigitTuiError):
    """A run name that is not a run, or a runs folder that cannot be used."""


def runs_root(data_folder: str) -> str:
    """The folder of run folders, inside the user's data folder."""
    return os.path.join(data_folder, RUNS_FOLDER)


def recording_enabled(no_record: bool, environ: Mapping[str, str]) -> bool:
    """False for ``--no-record`` (one run) or DIGIT_TUI_RECORD=off (for good)."""
    return not no_record and record_setting(environ)[0]


def record_setting(environ: Mapping[str, str]) -> tuple[bool, str | None]:
    """(whether DIGIT_TUI_RECORD leaves recording on, a line saying why a
    value is not understood). Off: off, 0, no, false; on: on, 1, yes, true
    or unset, in any case. Anything else keeps recording on, with that line:
    a typo must not lose runs without a word."""
    text = environ.get("DIGIT_TUI_RECORD", "").strip()
    word = text.lower() if text.isascii() else None  # "ＯＦＦ".lower() is no "off"
    if not text or word in RECORD_ON:
        return True, None
    if word in RECORD_OFF:
        return False, None
    choices = "/".join(RECORD_OFF + RECORD_ON)
    return True, f"DIGIT_TUI_RECORD={printable(text, 40)}: not one of {choices}; recording stays on"


def models_to_keep(environ: Mapping[str, str]) -> int:
    """How many of the newest runs keep their models: DIGIT_TUI_KEEP_MODELS,
    default 20; RunsError for anything but ASCII digits (``int`` takes "²"
    and "1_0", and raises on 5000 digits)."""
    text = environ.get("DIGIT_TUI_KEEP_MODELS", "").strip()
    if not text:
        return DEFAULT_KEEP_MODELS
    if not re.fullmatch(r"[0-9]{1,7}", text) or int(text) > MOST_KEPT:
        raise RunsError(f"DIGIT_TUI_KEEP_MODELS={printable(text, 40)}: not a whole number of runs in [0, {MOST_KEPT}]")
    return int(text)


def list_runs(root: str) -> list[RunInfo]:
    """Every run folder under ``root``, newest first; [] when there is none yet."""
    try:
        entries = [entry for entry in os.scandir(root) if _is_run_entry(entry)]
    except FileNotFoundError:
        return []
    except OSError as error:
        raise RunsError(f"{printable(root)}: cannot read the runs folder ({error.strerror or error})") from None
    runs = [read_run(os.path.join(root, entry.name), entry.name) for entry in entries]
    return sorted(runs, key=lambda info: (_sort_time(info), info.name), reverse=True)


def _is_run_entry(entry: os.DirEntry[str]) -> bool:
    """Folders only, never through a link; dotted names are being removed."""
    try:
        return not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _sort_time(info: RunInfo) -> float:
    if info.started is not None:
        return info.started.timestamp()
    try:
        return os.lstat(info.folder).st_mtime
    except OSError:
        return 0.0


def run_folder(root: str, name: str) -> str:
    """The folder of the run ``name``; RunsError for a name that is not one
    (a path, ``..``, a hidden name, a link, a file, nothing)."""
    shown = printable(name, 80)
    if not name or name in (".", "..") or name.startswith(".") or "/" in name or os.sep in name or "\0" in name:
        raise RunsError(f"{shown}: not a run name (digit-tui runs lists them)")
    folder = os.path.join(root, name)
    try:
        mode = os.lstat(folder).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise RunsError(f"{shown}: no such run in {printable(root)} (digit-tui runs lists them)") from None
    except OSError as error:
        raise RunsError(f"{shown}: cannot read the run ({error.strerror or error})") from None
    if not stat.S_ISDIR(mode):
        raise RunsError(f"{shown}: not a run folder (a link or a file) in {printable(root)}")
    return folder


def find_run(root: str, text: str) -> str:
    """The name of the run ``text`` names: the whole name, else the only
    run whose name starts with it (``20261126-0224`` is usually enough).
    RunsError when no run matches, or when several do (they are named)."""
    if not _could_be_a_name(text) or os.path.lexists(os.path.join(root, text)):
        run_folder(root, text)  # refuses a path, a link, a file
        return text
    try:
        entries = [entry for entry in os.scandir(root) if entry.name.startswith(text)]
        matches = sorted(entry.name for entry in entries if _is_run_entry(entry))
    except FileNotFoundError:
        matches = []
    except OSError as error:
        raise RunsError(f"{printable(root)}: cannot read the runs folder ({error.strerror or error})") from None
    if len(matches) == 1:
        return matches[0]
    if not matches:
        shown = printable(text, 80)
        raise RunsError(f"{shown}: no run's name is or starts with it in {printable(root)} (digit-tui runs lists them)")
    shown = printable(text, 40)
    listed = ", ".join(printable(name, 56) for name in matches[:AMBIGUOUS_SHOWN])
    more = f" and {len(matches) - AMBIGUOUS_SHOWN} more" if len(matches) > AMBIGUOUS_SHOWN else ""
    raise RunsError(f"{shown}: {len(matches)} runs start with that ({listed}{more}); give more of the name")


def _could_be_a_name(text: str) -> bool:
    """A start of a run's name: no path, nothing hidden, nothing empty."""
    return bool(text) and not text.startswith(".") and "/" not in text and os.sep not in text and "\0" not in text


def check_not_running(folder: str, name: str) -> None:
    """RunsError when the run in ``folder`` is still being written by a live
    process: deleting it would pull the folder from under that run."""
    if read_run(folder, name).outcome == "running":
        raise RunsError(f"{printable(name, 80)}: still training in another digit-tui process; stop it first")


def remove_run(root: str, name: str) -> None:
    """Delete the run ``name``, models, metrics and all (RunsError if it is
    not a run, or still training). It is first renamed to a short hidden
    name (``.removing-PID-N``: a name of 250 characters plus more would pass
    the file system's 255), so a listing never shows a half-deleted run."""
    folder = run_folder(root, name)
    check_not_running(folder, name)
    hidden = os.path.join(root, f".removing-{os.getpid()}-{next(_REMOVALS)}")
    while os.path.lexists(hidden):  # left by a process of the same pid that died mid-way
        hidden = os.path.join(root, f".removing-{os.getpid()}-{next(_REMOVALS)}")
    try:
        os.rename(folder, hidden)
        shutil.rmtree(hidden)
    except OSError as error:
        raise RunsError(f"{printable(name, 80)}: cannot delete the run ({error.strerror or error})") from None


def prune_models(root: str, keep: int) -> list[str]:
    """Delete the model files of every ended run but the ``keep`` newest;
    metrics and settings stay. Returns the names of the runs pruned. Runs
    still going are never touched (they write their models at the end)."""
    pruned = []
    for info in list_runs(root)[keep:]:
        if not info.ended or not info.models:
            continue
        for kind in info.models:
            try:
                os.unlink(os.path.join(info.folder, MODEL_FILES[kind]))
            except FileNotFoundError:
                pass  # another process pruned it first
        pruned.append(info.name)
    return pruned
