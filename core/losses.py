"""Softmax and cross-entropy, computed stably.

softmax(z)_k = e^(z_k) / sum_j e^(z_j). Subtracting the row maximum m first
changes nothing mathematically (the e^-m cancels) but keeps every exponent
<= 0, so nothing overflows even for huge logits.
"""

import numpy as np

from .types import FloatArray, IntArray


def log_softmax(logits: FloatArray) -> FloatArray:
    """log softmax(z) = (z - m) - log(sum_j e^(z_j - m)), row by row."""
    shifted: FloatArray = logits - logits.max(axis=1, keepdims=True)
    log_p: FloatArray = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return log_p


def softmax(logits: FloatArray) -> FloatArray:
    """Class probabilities for each row of logits."""
    return np.exp(log_softmax(logits))


def cross_entropy(logits: FloatArray, labels: IntArray) -> float:
    """Mean of -log p(true class) over the batch, from log-softmax."""
    rows = np.arange(len(labels))
    return float(-log_softmax(logits)[rows, labels].mean())


def softmax_cross_entropy(
    logits: FloatArray, labels: IntArray, out: FloatArray | None = None
) -> tuple[float, FloatArray]:
    """Loss and its gradient with respect to the logits.

    L = -(1/N) sum_i log p_i[y_i], and dL/dz = (p - onehot(y)) / N:
    the softmax and the log cancel into this simple difference.

    The gradient is built in place, in ``out`` if given (an array shaped
    like the logits, which stay as they are), so a step allocates little:
    z - m, then e^(z - m), then divided by N times its row sum. Every row
    is short (one value per class), and NumPy's reductions along short rows
    cost more than the arithmetic, so the row sums are the product with a
    vector of ones (as ``Dense`` sums its bias gradient).
    """
    n = len(labels)
    rows = np.arange(n)
    grad = np.subtract(logits, logits.max(axis=1, keepdims=True), out=out)  # z - m
    true_class = grad[rows, labels]  # z_y - m (a copy: the next line overwrites grad)
    np.exp(grad, out=grad)
    sums = grad @ np.ones(grad.shape[1], grad.dtype)  # sum_j e^(z_j - m), one per row
    # -log p_y = log(sum_j e^(z_j - m)) - (z_y - m): the shifted logit, never log(0)
    loss = float((np.log(sums) - true_class).sum()) / n
    sums *= n
    grad /= sums[:, np.newaxis]  # p / N
    grad[rows, labels] -= grad.dtype.type(1 / n)  # (p - onehot(y)) / N
    return loss, grad
