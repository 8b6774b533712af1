"""What both front ends do before and after training: load the data, split
it as the settings say, evaluate a model, write a submission. No UI here."""

import io
from dataclasses import dataclass

import numpy as np

from core.atomic import atomic_write
from core.blas import set_blas_threads, threads_for
from core.config import TrainConfig
from core.errors import ConfigError, DigitTuiError, ModelFileError
from core.inference import predict
from core.metrics import accuracy, confusion_matrix, precision_recall
from core.text import printable
from data import load_dataset, normalise, split_dataset


@dataclass
class Evaluation:
    source: str
    labels: np.ndarray
    predictions: np.ndarray

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
            "confusion": self.confusion.tolist(),
            "per_class": [{"digit": d, "precision": p, "recall": r, "support": s} for d, p, r, s in self.per_class()],
        }


def choose_blas_threads(requested, config, n_train, ui=False):
    """The BLAS thread count for this run, set and returned.

    The user's --blas-threads wins. In the app, one thread: spare OpenBLAS
    threads spin between products and take the core the interface needs.
    Headless, ``core.blas.threads_for`` decides from the size of one step."""
    if requested:
        count = requested
    elif ui:
        count = 1
    else:
        batch = n_train if config.full_batch else min(config.batch_size, n_train)
        count = threads_for(config.architecture.parameter_count, batch)
    set_blas_threads(count)
    return count


def load_split(data_path, config, allow_streams=True):
    """The labelled dataset at ``data_path`` (bundled sample if None), split.
    The app passes allow_streams=False: nothing it opens may block."""
    dataset = load_dataset(data_path, allow_streams=allow_streams).require_labels()  # CSVs come from data's cache
    return dataset, split_dataset(dataset, config.val_fraction, config.seed)


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
    return Evaluation(source, labels, predict(saved.snapshot, normalise(images, saved.pixel_scale)))


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
