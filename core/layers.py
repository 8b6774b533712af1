"""The three layer kinds a fully connected network needs.

Every layer has ``forward(x, training)``, which keeps what backward will need,
and ``backward(grad_y)``, which takes dL/dy (the gradient of the loss with
respect to the layer's output) and returns dL/dx for the layer below.
Layers with weights keep them in ``params`` and their gradients in ``grads``:
two dicts with the same keys and arrays of the same shapes.
"""

from typing import Any

import numpy as np

from .activations import make_activation
from .types import FloatArray, WeightPair


class Dense:
    """y = x W + b, for a batch x of shape (N, n_in).

    Its outputs and input gradients go into arrays it keeps from one batch to
    the next (``Rows``), so a step allocates nothing: each is read before the
    next batch overwrites it. ``grads`` may be given, as views into the
    network's one flat gradient array (see ``network``)."""

    def __init__(self, weight: FloatArray, bias: FloatArray, grads: WeightPair | None = None) -> None:
        self.params = {"W": weight, "b": bias}
        grad_weight, grad_bias = grads if grads is not None else (np.zeros_like(weight), np.zeros_like(bias))
        self.grads = {"W": grad_weight, "b": grad_bias}
        # The first layer's input is the data: its gradient is never needed,
        # and skipping it saves the largest matrix product of the backward pass.
        self.needs_input_grad = True
        self._x: FloatArray | None = None  # the last forward's input, for backward
        n_in, n_out = weight.shape
        self._y, self._grad_x = Rows(n_out), Rows(n_in)
        self._ones: FloatArray = np.ones(0, weight.dtype)  # for the bias gradient

    def forward(self, x: FloatArray, training: bool = False) -> FloatArray:
        self._x = x
        weight = self.params["W"]
        y = np.matmul(x, weight, out=self._y.get(len(x), np.result_type(x, weight)))
        y += self.params["b"]  # in place: no second (N, n_out) array
        return y

    def backward(self, grad_y: FloatArray) -> FloatArray | None:
        assert self._x is not None, "backward before forward"
        # dL/dW = x^T dL/dy: each sample's outer product, summed over the batch
        np.matmul(self._x.T, grad_y, out=self.grads["W"])
        # dL/db = sum over the batch of dL/dy, written as the product 1^T dL/dy
        # with a vector of N ones: BLAS sums columns faster than NumPy's sum
        np.matmul(self._ones_for(grad_y), grad_y, out=self.grads["b"])
        if not self.needs_input_grad:
            return None
        # dL/dx = dL/dy W^T
        weight = self.params["W"]
        return np.matmul(grad_y, weight.T, out=self._grad_x.get(len(grad_y), np.result_type(grad_y, weight)))

    def _ones_for(self, grad_y: FloatArray) -> FloatArray:
        """A vector of ones, one per row of ``grad_y``, kept for the next batches."""
        if len(self._ones) < len(grad_y) or self._ones.dtype != grad_y.dtype:
            self._ones = np.ones(len(grad_y), grad_y.dtype)
        return self._ones[: len(grad_y)]


class Activation:
    """y = f(x) element-wise, for one of the functions in ``activations``.

    Works in place: x is the output of the Dense layer below, which nobody
    needs once it has been activated, and grad_y is the array the layer
    above made for it, which nobody else reads."""

    params: dict[str, FloatArray] = {}  # no weights: always empty
    grads: dict[str, FloatArray] = params

    def __init__(self, name: str) -> None:
        self.function = make_activation(name)
        self._y: FloatArray | None = None

    def forward(self, x: FloatArray, training: bool = False) -> FloatArray:
        self._y = self.function.forward(x)
        return self._y

    def backward(self, grad_y: FloatArray) -> FloatArray:
        assert self._y is not None, "backward before forward"
        # dL/dx = dL/dy * f'(x), with f' written in terms of y
        return self.function.backward(self._y, grad_y)


class Dropout:
    """Inverted dropout: in training, zero each unit with probability p and
    scale the survivors by 1/(1-p), so that at test time (no dropout) the
    expected activation is unchanged and nothing needs rescaling."""

    params: dict[str, FloatArray] = {}  # no weights: always empty
    grads: dict[str, FloatArray] = params

    def __init__(self, rate: float, rng: np.random.Generator) -> None:
        self.rate = rate
        self.rng = rng
        self._mask: FloatArray | None = None

    def sample_mask(self, shape: tuple[int, ...], dtype: np.dtype[np.floating[Any]]) -> FloatArray:
        keep = self.rng.random(shape, dtype=np.float32) >= self.rate
        mask: FloatArray = keep.astype(dtype) / dtype.type(1 - self.rate)
        return mask

    def forward(self, x: FloatArray, training: bool = False) -> FloatArray:
        if not training or self.rate == 0:
            self._mask = None
            return x
        self._mask = self.sample_mask(x.shape, x.dtype)
        return x * self._mask  # a new array: the activation below keeps x for its backward

    def backward(self, grad_y: FloatArray) -> FloatArray:
        # y = x * mask, so dL/dx = dL/dy * mask
        return grad_y if self._mask is None else np.multiply(grad_y, self._mask, out=grad_y)


class Rows:
    """A scratch array of ``columns`` columns, reused from call to call:
    ``get(n, dtype)`` gives its first n rows (a contiguous view), and makes a
    new array only for more rows or another dtype. What it held before is
    the caller's to overwrite."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self._array: FloatArray | None = None

    def get(self, n: int, dtype: np.dtype[Any]) -> FloatArray:
        if self._array is None or len(self._array) < n or self._array.dtype != dtype:
            self._array = np.empty((n, self.columns), dtype)
        return self._array[:n]
