"""What both front ends do before and after training: load the data, split
it as the settings say, evaluate a model, write a submission. No UI here."""

import io
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from core import train
from core.atomic import atomic_write
from core.blas import available_cores
from core.class_names import DIGIT_NAMES
from core.config import TrainConfig
from core.errors import ConfigError, DigitTuiError, ModelFileError
from core.inference import Snapshot, predict
from core.metrics import accuracy, confusion_matrix, precision_recall
from core.model_io import PIXEL_SCALE
from core.text import printable
from core.threads import thread_policy
from core.types import StrPath
from data import load_dataset, normalise, split_dataset
from data.augment import augmenter_for
from data.loading import load_test_part


@dataclass
class Evaluation:
    source: str
    labels: np.ndarray
    predictions: np.ndarray
    classes: tuple[str, ...] = DIGIT_NAMES  # the model's names for the classes 0-9

    @property
    def accuracy(self):
        return accuracy(self.labels, self.predictions)

    @property
    def confusion(self):
        return confusion_matrix(self.labels, self.predictions)

    def per_class(self):
        """(digit, precision, recall, support) for each class."""
        confusion = self.confusion
        precision, recall = precision_recall(confusion)
        support = confusion.sum(axis=1)
        return [(digit, float(precision[digit]), float(recall[digit]), int(support[digit])) for digit in range(10)]

    def to_json(self):
        return {
            "accuracy": self.accuracy,
            "n": int(len(self.labels)),
            "source": self.source,
            "classes": list(self.classes),
            "confusion": self.confusion.tolist(),
            "per_class": [
                {"digit": d, "name": self.classes[d], "precision": p, "recall": r, "support": s}
                for d, p, r, s in self.per_class()
            ],
        }


class OfficialTestScore(NamedTuple):
    """The accuracy on a dataset's official test part: reported at the end
    of a run, never used to choose anything."""

    accuracy: float
    total: int  # digits in the test part
    source: str


def train_split(config, split, control=None, requested_threads=None, ui=False):
    """The core's training iterator over a loaded split, as both front ends
    run it: the run's augmentation (``data.augment``), its BLAS thread policy,
    and augmented batches made ahead in a thread when a core is spare.
    Returns (events, the thread policy).

    The user's --blas-threads wins. Otherwise ``core.threads`` starts on one
    thread and tries two only for large steps on an idle machine, dropping
    back at the first slow step. The app keeps a core for its interface, so
    on 2 cores it neither tries two BLAS threads nor uses threads of its own."""
    spare = 1 if ui else 0
    core_to_spare = available_cores() - spare >= 2
    ahead = config.augment != "none" and core_to_spare
    batch = config.batch_for(len(split.y_train))
    # The thread making batches ahead takes a core: BLAS threads get the others.
    policy = thread_policy(requested_threads, config.architecture.parameter_count, batch, spare=spare + int(ahead))
    events = train(
        config,
        split.x_train,
        split.y_train,
        split.x_val,
        split.y_val,
        control,
        augment=augmenter_for(config),
        threads=policy,
        ahead=ahead,
        evaluate_aside=core_to_spare,
    )
    return events, policy


def load_split(data_path, config, allow_streams=True):
    """The labelled dataset at ``data_path`` (bundled sample if None), split.
    The app passes allow_streams=False: nothing it opens may block."""
    dataset = load_dataset(data_path, allow_streams=allow_streams).require_labels()  # CSVs come from data's cache
    return dataset, split_dataset(dataset, config.val_fraction, config.seed)


def score_test_part(
    snapshot: Snapshot, data_path: StrPath | None, pixel_scale: float = PIXEL_SCALE
) -> OfficialTestScore | None:
    """``snapshot``'s accuracy on the official test part of ``data_path``
    (see data.loading.load_test_part), or None if it has none. Called when a
    run has ended, so the test files are read only then. DataError if they
    are damaged."""
    dataset = load_test_part(data_path)
    if dataset is None or dataset.labels is None:
        return None
    predictions = predict(snapshot, normalise(dataset.images, pixel_scale))
    return OfficialTestScore(accuracy(dataset.labels, predictions), len(dataset), dataset.source)


def saved_config(saved, path):
    """The settings a saved model was trained with (defaults if it records none)."""
    try:
        return TrainConfig.from_dict(saved.config) if saved.config else TrainConfig()
    except ConfigError as error:
        raise ModelFileError(f"{printable(path)}: its training settings are damaged ({error})") from None


def model_split(saved, data_path, path="the model", allow_streams=True):
    """A saved model's settings, and the data split as it was when it trained."""
    config = saved_config(saved, path)
    dataset, split = load_split(data_path, config, allow_streams)
    return config, dataset, split


def evaluate_model(saved, data_path=None, model_path="the model"):
    """Evaluate on all of ``data_path``; with no path, on the bundled
    sample's validation split made with the model's own seed and fraction,
    so that the digits it trained on are not counted. Pixels are scaled as
    the model records."""
    if data_path is None:
        _, _, split = model_split(saved, None, model_path)
        images, labels, source = split.val_images, split.y_val, "bundled sample, validation split"
    else:
        dataset = load_dataset(data_path, part="test").require_labels()
        images, labels, source = dataset.images, dataset.labels, dataset.source
    predictions = predict(saved.snapshot, normalise(images, saved.pixel_scale))
    return Evaluation(source, labels, predictions, saved.classes)


def write_submission(path, predictions):
    """Kaggle's format: ImageId (from 1),Label; written atomically."""
    text = io.StringIO()
    text.write("ImageId,Label\n")
    for image_id, label in enumerate(predictions, start=1):
        text.write(f"{image_id},{int(label)}\n")
    try:
        with atomic_write(path, "w") as stream:
            stream.write(text.getvalue())
    except OSError as error:
        raise DigitTuiError(f"{printable(path)}: cannot write the submission: {error.strerror or error}") from None
