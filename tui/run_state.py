"""The app's one run state: what is loaded or training, and the numbers
every view shows. Views render it; only the app changes it.

All numbers about weights come from one place, the latest epoch record
(``latest``), and the weights they describe (``snapshot``) travel with
them: after a stop mid-epoch, the status line, the metrics, the table's
last row (marked partial), the confusion matrix and the browser all
describe the stopped weights, and a save writes those same weights.
"""

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from rich.text import Text

from core.class_names import DIGIT_NAMES
from core.config import TrainConfig
from core.events import Diverged, EpochDone
from core.inference import Snapshot
from core.types import ByteArray, FloatArray, LabelArray

from .messages import BatchProgress


class Phase(Enum):
    IDLE = "idle"  # nothing loaded yet
    LOADING = "loading"  # reading the data or a model
    TRAINING = "training"
    PAUSED = "paused"
    STOPPING = "stopping"  # asked to stop; the worker ends within a batch
    STOPPED = "stopped"
    COMPLETED = "completed"
    DIVERGED = "diverged"
    FAILED = "failed"  # the run or the opening failed; see ``error``
    OPENED = "opened"  # a saved model, not trained here

    @property
    def active(self) -> bool:
        """A worker is (or is about to be) busy with a run."""
        return self in (Phase.LOADING, Phase.TRAINING, Phase.PAUSED, Phase.STOPPING)

    @property
    def running(self) -> bool:
        """Training, paused or not: pause and stop apply."""
        return self in (Phase.TRAINING, Phase.PAUSED)


@dataclass
class RunState:
    config: TrainConfig
    phase: Phase = Phase.IDLE
    run_id: int = 0  # messages from an older run (before a restart) are ignored
    source: str = ""  # the data's description
    val_images: Optional[ByteArray] = None  # the validation digits (uint8 rows) and their labels
    val_labels: Optional[LabelArray] = None
    class_names: tuple[str, ...] = DIGIT_NAMES  # what the classes 0-9 are called (the data's, an opened model's)
    browser_row: Optional[int] = None  # the validation row the Digits view shows
    drawn_digit: Optional[ByteArray] = None  # the Draw view's digit as the network receives it (28x28 uint8)
    inside_source: str = "browser"  # whose digit the Inside view shows: "browser" or "draw", the last used
    previous_snapshot: Optional[Snapshot] = None  # the weights one epoch before ``snapshot`` (for the update sizes)
    pixel_scale: float = 255.0  # what pixels are divided by for ``snapshot`` (a saved model records it)
    model_path: Optional[str] = None
    run_name: Optional[str] = None  # the current run's folder under runs/, once it is recorded
    batches_per_epoch: int = 0
    progress: Optional[BatchProgress] = None  # the latest BatchProgress message
    history: list[EpochDone] = field(default_factory=list)  # EpochDone records, without arrays
    snapshot: Optional[Snapshot] = None  # the weights ``latest`` describes
    snapshot_config: Optional[TrainConfig] = None  # the settings those weights were trained with
    val_probabilities: Optional[FloatArray] = None
    opened_val_accuracy: Optional[float] = None
    # On the data's official test part, for ``snapshot``: computed once a run
    # has ended (or a model opened), and only shown, never used to choose.
    test_accuracy: Optional[float] = None
    diverged: Optional[Diverged] = None
    # The epoch whose weights a finished run kept (the best one, by default;
    # see TrainConfig.keep) and why it ended, once it has; None before.
    kept_epoch: Optional[int] = None
    end_reason: Optional[str] = None
    error: str = ""

    @property
    def latest(self) -> Optional[EpochDone]:
        return self.history[-1] if self.history else None

    @property
    def weights_record(self) -> Optional[EpochDone]:
        """The epoch record that ``snapshot`` belongs to: the latest while a
        run goes on, the kept one (often the best, not the last) once it ended."""
        if self.kept_epoch:
            for record in reversed(self.history):
                if record.epoch == self.kept_epoch:
                    return record
        return self.latest

    def begin(self, config: TrainConfig) -> None:
        """A new run starts loading: forget everything about the old one."""
        self.run_id += 1
        self.run_name = None
        self.config, self.phase, self.history = config, Phase.LOADING, []
        self.batches_per_epoch, self.progress = 0, None
        self.snapshot = self.snapshot_config = self.val_probabilities = self.browser_row = None
        self.previous_snapshot = None
        self.pixel_scale = 255.0
        self.opened_val_accuracy = self.diverged = self.test_accuracy = None
        self.kept_epoch = self.end_reason = None
        self.error = ""

    def describe(self) -> str:
        """The network as its weights are (an opened model's settings may not say), and how it trains."""
        config = self.config
        shape = self.snapshot.architecture if self.snapshot is not None else config.architecture
        return f"{shape.describe()} {config.optimizer} lr {config.lr:g}"

    def class_label(self, number: int) -> str:
        """A class as the views name it: "7", or "7 Sneaker" for a dataset with names."""
        name = self.class_names[number]
        return str(number) if name == str(number) else f"{number} {name}"

    @property
    def unit(self) -> str:
        return "iteration" if self.config.full_batch else "epoch"


def status_text(run: RunState, shown: Optional[EpochDone] = None) -> Text:
    """One line for the top of the Training view. ``shown`` is the epoch
    record the view currently shows (it may trail ``run.latest`` by up to a
    second), so the line never runs ahead of the table and the charts."""
    record = shown if shown is not None else run.latest
    done = _epochs_done(record)
    phase, unit, what = run.phase, run.unit, run.describe()
    if phase is Phase.IDLE:
        return Text("Nothing loaded. r starts training, o opens a saved model.")
    if phase is Phase.LOADING:
        return Text.assemble("Loading ", run.source or "the data", "... (", what, ")")
    if phase is Phase.TRAINING:
        return Text.assemble(("Training", "bold green"), f" {unit} {done}/{run.config.epochs} done - {what}")
    if phase is Phase.PAUSED:
        return Text.assemble(
            ("Paused", "bold yellow"), f" after {unit} {done}/{run.config.epochs} - p resumes - {what}"
        )
    if phase is Phase.STOPPING:
        return Text("Stopping...")
    if phase is Phase.FAILED:
        return Text.assemble(("Error: ", "bold red"), run.error)
    if phase is Phase.OPENED:
        accuracy = "" if run.opened_val_accuracy is None else f" - val acc {run.opened_val_accuracy:.2%}"
        accuracy += _test_text(run)
        return Text.assemble(("Opened ", "bold"), str(run.model_path), f" - {what}{accuracy} - r trains a new model")
    return _ended_text(run, record, what)


def _test_text(run: RunState, separator: str = " - ") -> str:
    return "" if run.test_accuracy is None else f"{separator}test acc {run.test_accuracy:.2%}"


def _epochs_done(record: Optional[EpochDone]) -> int:
    if record is None:
        return 0
    return record.epoch - 1 if record.partial else record.epoch


def _ended_text(run: RunState, record: Optional[EpochDone], what: str) -> Text:
    unit = run.unit
    phase = "Stopped early" if run.end_reason == "early stopped" else run.phase.value.capitalize()
    if run.phase is Phase.DIVERGED and run.diverged is not None:
        return _diverged_text(run, run.diverged, record, what)
    if record is None:
        return Text.assemble((phase, "bold"), f" before the first {unit} ended - {what}")
    accuracy = f"val acc {record.val_accuracy:.2%}"
    if record is run.weights_record:  # the test accuracy is the kept weights', which this record describes
        accuracy += _test_text(run, ", ")
    last = run.latest
    if record is not last and last is not None and run.kept_epoch == record.epoch:  # keep=best chose an earlier epoch
        return Text.assemble(
            (phase, "bold"),
            f" {_how_far(run, last)}: kept the best weights, {unit} {record.epoch}, {accuracy} "
            f"(last {unit}: {last.val_accuracy:.2%}) - {what}",
        )
    if record.partial:
        where = f"in {unit} {record.epoch} ({record.batches_done}/{record.batches_per_epoch} batches)"
        return Text.assemble(
            (phase, "bold"), f" {where}: {accuracy} with the stopped weights (row {record.epoch}* below) - {what}"
        )
    best = ""
    if record.best_val_accuracy > record.val_accuracy:
        best = f" (best {record.best_val_accuracy:.2%} at {unit} {record.best_epoch})"
    return Text.assemble((phase, "bold"), f" {_how_far(run, record)}: {accuracy}{best} - {what}")


def _how_far(run: RunState, last: EpochDone) -> str:
    """Where the run ended: "after 50 epochs", "in epoch 15" (stopped part
    way), "after 8 of 30 epochs (no gain for 3)" (patience ran out)."""
    unit = run.unit
    if last.partial:
        return f"in {unit} {last.epoch}"
    if run.end_reason == "early stopped":
        return f"after {last.epoch} of {run.config.epochs} {unit}s (no gain for {run.config.patience})"
    return f"after {last.epoch} {unit}s"


def _diverged_text(run: RunState, diverged: Diverged, record: Optional[EpochDone], what: str) -> Text:
    unit = run.unit
    kept = (
        "the initial weights"
        if record is None
        else (f"the weights of {unit} {record.epoch}, val acc {record.val_accuracy:.2%}{_test_text(run, ', ')}")
    )
    return Text.assemble(
        ("Diverged", "bold red"),
        f" in {unit} {diverged.epoch} with learning rate {diverged.lr:g}: kept {kept} - try a smaller rate - {what}",
    )
