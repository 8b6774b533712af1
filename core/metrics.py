"""Classification metrics from true and predicted labels."""

import numpy as np
import numpy.typing as npt

from .types import FloatArray, IntArray


def accuracy(labels: IntArray, predictions: IntArray) -> float:
    return float(np.mean(labels == predictions)) if len(labels) else 0.0


def confusion_matrix(labels: npt.ArrayLike, predictions: npt.ArrayLike, classes: int = 10) -> IntArray:
    """counts[t, p] = how many digits of true class t were predicted as p."""
    flat = np.asarray(labels, np.int64) * classes + np.asarray(predictions, np.int64)
    return np.bincount(flat, minlength=classes * classes).reshape(classes, classes)


def precision_recall(confusion: IntArray) -> tuple[FloatArray, FloatArray]:
    """Per-class precision (of those predicted k, the share truly k) and
    recall (of those truly k, the share predicted k); 0 where undefined."""
    correct = np.diag(confusion).astype(float)
    predicted = confusion.sum(axis=0)
    actual = confusion.sum(axis=1)
    precision = np.divide(correct, predicted, out=np.zeros_like(correct), where=predicted > 0)
    recall = np.divide(correct, actual, out=np.zeros_like(correct), where=actual > 0)
    return precision, recall
