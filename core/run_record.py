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
import re
import socket
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from .atomic import atomic_write
from .config import PRESETS, TrainConfig
from .errors import DigitTuiError
from .events import Diverged, EpochDone, Event, Finished
from .inference import Snapshot
from .model_io import save_model
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

NAME_LIMIT = 100  # characters; a run with many changed settings gets a cut name
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._+-]")
# Shorter words for the settings whose field names are long, in run names.
_NAME_WORDS = {"batch_size": "batch", "val_fraction": "val", "step_every": "every"}
_NAME_WORDS |= {"elastic_alpha": "alpha", "elastic_sigma": "sigma"}


def differing_settings(config: TrainConfig, base: TrainConfig) -> list[str]:
    """The field names of the settings in which ``config`` differs from ``base``, in their order."""
    return [item.name for item in TrainConfig.settings() if getattr(config, item.name) != getattr(base, item.name)]


def nearest_preset(config: TrainConfig, named: str | None = None) -> str:
    """The preset ``config`` differs least from: the fewest settings changed.
    A tie goes to ``named`` (the preset the user started from), else to the
    first in PRESETS' order. A run is named after it, whichever preset the
    user picked and then changed most of."""
    order = sorted(PRESETS, key=lambda name: name != named)  # stable: the named one first, the rest in order
    return min(order, key=lambda name: len(differing_settings(config, PRESETS[name])))


def run_name(config: TrainConfig, now: datetime, named: str | None = None) -> str:
    """``20261126-0152-default-lr-0.01-dropout-0.3``: the start (to the
    minute), the nearest preset (``nearest_preset``) and each setting that
    differs from it, as its name and value."""
    base = nearest_preset(config, named)
    parts = [now.strftime("%Y%m%d-%H%M"), base]
    for name in differing_settings(config, PRESETS[base]):
        parts.append(_UNSAFE_IN_NAME.sub("_", _name_part(name, getattr(config, name))))
    return "-".join(parts)[:NAME_LIMIT].rstrip("-")


def _name_part(name: str, value: object) -> str:
    """``lr-0.01``, ``hidden-512x256``, ``hidden-none``, ``augment-affine``."""
    if isinstance(value, tuple):
        shown = "x".join(str(size) for size in value) or "none"
    else:
        shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{_NAME_WORDS.get(name, name)}-{shown}"


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
            "pid": os.getpid(),  # with host: tells a run still going from one killed
            "host": socket.gethostname(),
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
            elif isinstance(event, Finished):
                last = self._last
                final = last.snapshot if last is not None and last.snapshot is not None else event.snapshot
                self._end(event.reason, final, _finished_results(event, last))
        except (OSError, DigitTuiError) as error:
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
        except (OSError, DigitTuiError) as error:
            self._fail(error)

    def _record_epoch(self, event: EpochDone) -> None:
        line = json.dumps(_finite(_epoch_line(event)))
        with open(os.path.join(self.folder, METRICS_FILE), "a", encoding="utf-8") as stream:
            stream.write(line + "\n")
            stream.flush()  # in the kernel now: a kill of this process keeps it
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
        except (OSError, DigitTuiError) as error:  # the run is recorded; only old models stay
            self._report(f"older runs' models not pruned: {_reason(error)}")

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
        self.problem = problem
        if self.on_problem is not None:
            self.on_problem(problem)


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


def _epoch_line(event: EpochDone) -> dict[str, Any]:
    """The same fields as ``digit-tui train --metrics`` writes."""
    return dict(event.to_record())


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
    return printable(error, 200)
