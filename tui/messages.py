"""Everything the workers tell the app, as small message dataclasses.

The workers only ever post these; they never touch a widget, and what they
send about weights is a read-only ``Snapshot``, never the live network.
"""

from dataclasses import dataclass, field

from textual.message import Message

from core.class_names import DIGIT_NAMES
from core.config import TrainConfig
from core.events import Diverged, EpochDone, Finished
from core.inference import Snapshot
from core.types import ByteArray, FloatArray, LabelArray


@dataclass
class WorkerMessage(Message):
    """Base of the worker's messages (Message.__post_init__ sets them up)."""


@dataclass
class DataReady(WorkerMessage):
    """The data is loaded and split; the validation digits can be browsed."""

    val_images: ByteArray = field(repr=False)  # (n_val, 784)
    val_labels: LabelArray = field(repr=False)
    source: str = ""
    class_names: tuple[str, ...] = DIGIT_NAMES  # the data's, or an opened model's own


@dataclass
class RunBegan(WorkerMessage):
    config: TrainConfig
    epochs: int
    batches_per_epoch: int
    initial: Snapshot | None = field(default=None, repr=False)  # the weights before the first update


@dataclass
class BatchProgress(WorkerMessage):
    """Where the run is; a newer one replaces an older one still queued."""

    epoch: int
    batch: int
    batches_per_epoch: int
    step: int
    loss: float
    lr: float
    elapsed: float  # seconds, pauses excluded
    recent_losses: tuple[float, ...]  # the last few hundred batch losses, for the sparkline

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BatchProgress)


@dataclass
class EpochsDone(WorkerMessage):
    """Every epoch finished since the last message (several, for fast runs),
    without their arrays; the snapshot and validation probabilities of the
    latest one."""

    records: list[EpochDone]  # without their arrays (snapshot and val_probabilities are None)
    snapshot: Snapshot = field(repr=False)
    val_probabilities: FloatArray = field(repr=False)


@dataclass
class RunEnded(WorkerMessage):
    finished: Finished = field(repr=False)
    diverged: Diverged | None = None


@dataclass
class ThreadsSwitched(WorkerMessage):
    """The run's BLAS thread count was chosen or changed, and why (core.threads)."""

    step: int  # 0: the choice at the start
    threads: int
    reason: str


@dataclass
class ModelOpened(WorkerMessage):
    """A saved model, loaded with its validation predictions."""

    path: str
    snapshot: Snapshot = field(repr=False)
    config: TrainConfig
    val_probabilities: FloatArray = field(repr=False)
    val_accuracy: float
    data: DataReady = field(repr=False)  # its validation digits
    pixel_scale: float = 255.0


@dataclass
class OfficialTestScored(WorkerMessage):
    """The accuracy of ``snapshot`` (a run's final weights, or an opened
    model's) on the data's official test part; ``error`` if that part could
    not be read. Sent only where the data has a test part."""

    snapshot: Snapshot = field(repr=False)
    accuracy: float | None
    count: int = 0
    error: str = ""


@dataclass
class OpenFailed(WorkerMessage):
    """A model could not be opened; whatever was loaded before stays."""

    error: str


@dataclass
class RunFailed(WorkerMessage):
    """The run could not start or broke: one line for the user."""

    error: str


@dataclass
class RunRecorded(WorkerMessage):
    """The run is recorded in the runs folder as ``name``; ``ended``: its
    record is complete (outcome, models, test accuracy written)."""

    name: str
    ended: bool = False


@dataclass
class RecordingProblem(WorkerMessage):
    """Recording a run failed (the run goes on): one line for the user."""

    line: str
