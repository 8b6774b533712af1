"""Recording one training run in its own folder as it goes (the layout is
described in ``core.run_store``).

A front end creates a ``RunRecorder`` once the data is loaded, hands it
every event the training iterator yields, and calls ``finish`` from its
error handlers when the run ends without a ``Finished`` event:

    recorder = RunRecorder.create(root, config, source, preset_name, now)
    try:
        for event in train(...):
            recorder.record(event)
            ...
    except Exception as error:
        recorder.finish("failed", str(error))
        raise

Recording must never end a run: once the folder exists, a write that fails
(a full disk, a folder removed under it) only stops the recording, and
``problem`` (also passed to ``on_problem``, once) says why. Each process
writes only the folder it created, and creates it exclusively, so two runs
started in the same second never share one.
"""

import json
import math
import os
import stat
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from .atomic import atomic_write
from .config import TrainConfig
from .errors import DigitTuiError
from .events import Diverged, EpochDone, Event, Finished, ThreadsChanged
from .inference import Snapshot
from .model_io import save_model
from .run_names import nearest_preset, run_name
from .run_process import writer_identity
from .run_store import (
    CONFIG_FILE,
    DEFAULT_KEEP_MODELS,
    FORMAT,
    METRICS_FILE,
    MODEL_FILES,
    OUTCOME_FILE,
    OUTCOMES,
    TEST_FILE,
    RunsError,
    prune_models,
)
from .text import printable


class RunRecorder:
    """Writes one run's folder; see the module's docstring."""

    def __init__(
        self, root: str, folder: str, config: TrainConfig, source: str, keep_models: int, classes: Sequence[str] | None
    ) -> None:
        self.root, self.folder, self.name = root, folder, os.path.basename(folder)
        self.config, self.source, self.keep_models = config, source, keep_models
        self.classes = classes  # the data's class names for the models (None: the digits)
        self.problem: str | None = None
        self.on_problem: Callable[[str], None] | None = None
        self.ended = False
        self._best: EpochDone | None = None  # its snapshot: the best model so far
        self._thread_changes: list[ThreadsChanged] = []  # BLAS thread decisions since the last epoch line
        self._last: EpochDone | None = None
        self._note: str | None = None  # a divergence's message

    @classmethod
    def create(
        cls,
        root: str,
        config: TrainConfig,
        source: str,
        preset_name: str | None,
        now: datetime,
        keep_models: int = DEFAULT_KEEP_MODELS,
        classes: Sequence[str] | None = None,
    ) -> "RunRecorder":
        """Make the run's folder and write its config.json; RunsError (one
        line) when the runs folder cannot be made or written. ``preset_name``:
        the preset the user started from (it wins a tie for the nearest)."""
        base = nearest_preset(config, preset_name)
        try:
            os.makedirs(root, exist_ok=True)
            folder = _new_folder(root, run_name(config, now, base))
        except OSError as error:
            raise RunsError(f"{printable(root)}: cannot record the run ({_reason(error)})") from None
        recorder = cls(root, folder, config, source, keep_models, classes)
        settings = {
            "format": FORMAT,
            "name": recorder.name,
            "started": now.astimezone().isoformat(),
            "source": source,
            "preset": base,  # the one the name is made from, and the comparison's base
            "config": config.to_dict(),
            **writer_identity(),  # tells a run still going from one killed (whose pid was reused)
        }
        try:
            _write_json(os.path.join(folder, CONFIG_FILE), settings)
        except (OSError, DigitTuiError) as error:
            _remove_empty(folder)
            raise RunsError(f"{printable(folder)}: cannot record the run ({_reason(error)})") from None
        return recorder

    def record(self, event: Event) -> None:
        """Take one training event: an epoch's line, a divergence's note, the
        end's models and outcome. Other events are ignored."""
        if self.ended or self.problem is not None:
            return
        try:
            if isinstance(event, EpochDone):
                self._record_epoch(event)
            elif isinstance(event, Diverged):
                self._note = event.message
            elif isinstance(event, ThreadsChanged):
                self._thread_changes.append(event)  # said in the next epoch's line, as --metrics does
            elif isinstance(event, Finished):
                last = self._last
                final = last.snapshot if last is not None and last.snapshot is not None else event.snapshot
                self._end(event.reason, final, _finished_results(event, last))
        except Exception as error:  # recording never ends a run, not even through a bug of its own
            self._fail(error)

    def finish(self, outcome: str, note: str | None = None) -> None:
        """End a run that stopped without a Finished event ("failed",
        "interrupted"): the models of its last and best finished epochs, if
        any, then its outcome. Does nothing once the run has ended."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")  # a caller's bug, not the user's
        if self.ended or self.problem is not None:
            return
        self._note = note or self._note
        last = self._last
        results = {"epochs": 0} if last is None else _epoch_results(last)
        try:
            self._end(outcome, last.snapshot if last else None, results)
        except Exception as error:
            self._fail(error)

    def still_recorded(self) -> bool:
        """Whether the run's folder is still there and written: False (and
        ``problem`` says why) once it was deleted under the run, so that a
        front end never names a run that is gone."""
        if self.problem is None:
            try:
                there = stat.S_ISDIR(os.lstat(self.folder).st_mode)
            except OSError:
                there = False
            if not there:
                self._report(f"run {printable(self.name, 80)} no longer recorded: its folder was removed")
        return self.problem is None

    def _record_epoch(self, event: EpochDone) -> None:
        line = json.dumps(_finite(_epoch_line(event, self._thread_changes)))
        _append_line(os.path.join(self.folder, METRICS_FILE), line)
        self._thread_changes = []
        self._last = event
        if event.best_epoch == event.epoch and event.snapshot is not None:
            self._best = event

    def _end(self, outcome: str, final: Snapshot | None, results: dict[str, Any]) -> None:
        """Models, outcome, pruning; ``ended`` only once the outcome is
        written, so a Ctrl+C during the saves still leaves "interrupted"."""
        if final is not None:
            self._save_models(final)
        best = self._best
        results |= {
            "best_epoch": best.epoch if best else None,
            "best_val_accuracy": best.val_accuracy if best else None,
        }
        record = {"format": FORMAT, "outcome": outcome, "ended": datetime.now().astimezone().isoformat()}
        record |= results | {"note": self._note}
        _write_json(os.path.join(self.folder, OUTCOME_FILE), _finite(record))
        self.ended = True
        try:
            prune_models(self.root, self.keep_models)
        except Exception as error:  # whatever is in other runs' folders: this run is recorded, old models stay
            self._warn(f"older runs' models not pruned: {_reason(error)}")

    def _save_models(self, final: Snapshot) -> None:
        info = {"data": self.source, "run": self.name}
        final_path = os.path.join(self.folder, MODEL_FILES["final"])
        self._save(final_path, final, info)
        best = self._best
        if best is None or best.snapshot is None:
            return
        best_path = os.path.join(self.folder, MODEL_FILES["best"])
        if best.snapshot is final:  # the same weights: one file, two names
            try:
                os.link(final_path, best_path)
                return
            except OSError:
                pass  # a file system without hard links: write it again
        self._save(best_path, best.snapshot, info | {"epoch": best.epoch})

    def _save(self, path: str, snapshot: Snapshot, info: dict[str, Any]) -> None:
        if self.classes is None:
            save_model(path, snapshot, self.config.to_dict(), info)
        else:
            save_model(path, snapshot, self.config.to_dict(), info, classes=self.classes)

    def _fail(self, error: BaseException) -> None:
        self.ended = True
        self._report(f"run {printable(self.name, 80)} no longer recorded: {_reason(error)}")

    def _report(self, problem: str) -> None:
        """The run is no longer recorded: ``problem`` says why."""
        self.problem = problem
        self._warn(problem)

    def _warn(self, line: str) -> None:
        if self.on_problem is not None:
            self.on_problem(line)


def record_test_accuracy(folder: str, value: float) -> None:
    """Add a run's accuracy on a test set (once its model was scored)."""
    _write_json(os.path.join(folder, TEST_FILE), _finite({"format": FORMAT, "test_accuracy": value}))


def _new_folder(root: str, name: str) -> str:
    """Create ``root/name`` exclusively, else ``name-2``, ``name-3``...:
    mkdir fails if the folder exists, so two processes never share one."""
    for attempt in range(1, 10_000):
        folder = os.path.join(root, name if attempt == 1 else f"{name}-{attempt}")
        try:
            os.mkdir(folder)
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"too many runs named {name}")


def _epoch_line(event: EpochDone, thread_changes: list[ThreadsChanged]) -> dict[str, Any]:
    """The same fields as ``digit-tui train --metrics`` writes, and the best
    so far: a listing reads only a run's last line (core.run_info)."""
    best = {"best_val_accuracy": event.best_val_accuracy, "best_epoch": event.best_epoch}
    return event.to_record(thread_changes) | best


def _append_line(path: str, line: str) -> None:
    """Append one line to a run's own regular file and flush it to the
    kernel (a kill of this process keeps it). Opened without blocking and
    never through a link: a FIFO or a device put there fails, never hangs."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(path, flags, 0o666), "a", encoding="utf-8") as stream:  # closes it, however this ends
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise RunsError(f"{printable(path)}: not a regular file")
        stream.write(line + "\n")
        stream.flush()


def _finished_results(event: Finished, last: EpochDone | None) -> dict[str, Any]:
    """The final numbers are the last epoch's (Finished describes the
    weights the run kept, the best epoch's with keep=best)."""
    return {
        "epochs": event.epochs_done,
        "final_val_accuracy": last.val_accuracy if last else event.val_accuracy,
        **_final_epoch(last),
        "kept_epoch": event.kept_epoch,
        "train_seconds": event.train_seconds,
    }


def _epoch_results(last: EpochDone) -> dict[str, Any]:
    """A run cut short: what its last recorded epoch says (time includes evaluation)."""
    return {
        "epochs": last.epoch - last.partial,
        "final_val_accuracy": last.val_accuracy,
        **_final_epoch(last),
        "train_seconds": last.elapsed,
    }


def _final_epoch(last: EpochDone | None) -> dict[str, Any]:
    """Which epoch the final accuracy is from: a stop cuts the last epoch
    short, so it may be one past ``epochs`` (which counts whole ones)."""
    if last is None:
        return {}
    return {"final_epoch": last.epoch, "final_partial": last.partial}


def _finite(record: dict[str, Any]) -> dict[str, Any]:
    """NaN and infinity as null: they are not JSON, and strict readers refuse them."""
    return {
        key: None if isinstance(value, float) and not math.isfinite(value) else value for key, value in record.items()
    }


def _write_json(path: str, record: dict[str, Any]) -> None:
    with atomic_write(path) as stream:
        stream.write(json.dumps(record, indent=1).encode("utf-8") + b"\n")


def _remove_empty(folder: str) -> None:
    try:
        os.rmdir(folder)
    except OSError:
        pass  # not empty or gone: leave it, it is listed with a note


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    if isinstance(error, DigitTuiError):
        return printable(error, 200)
    return f"{type(error).__name__}: {printable(error, 200)}"  # a bug: its kind says where to look
