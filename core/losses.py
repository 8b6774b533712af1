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


def softmax_cross_entropy(logits: FloatArray, labels: IntArray) -> tuple[float, FloatArray]:
    """Loss and its gradient with respect to the logits.

    L = -(1/N) sum_i log p_i[y_i], and dL/dz = (p - onehot(y)) / N:
    the softmax and the log cancel into this simple difference.
    """
    n = len(labels)
    rows = np.arange(n)
    log_p = log_softmax(logits)
    loss = float(-log_p[rows, labels].mean())
    grad = np.exp(log_p)
    grad[rows, labels] -= 1
    grad /= n
    return loss, grad
