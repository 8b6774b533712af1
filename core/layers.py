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
from .types import FloatArray


class Dense:
    """y = x W + b, for a batch x of shape (N, n_in)."""

    def __init__(self, weight: FloatArray, bias: FloatArray) -> None:
        self.params = {"W": weight, "b": bias}
        self.grads = {"W": np.zeros_like(weight), "b": np.zeros_like(bias)}
        # The first layer's input is the data: its gradient is never needed,
        # and skipping it saves the largest matrix product of the backward pass.
        self.needs_input_grad = True
        self._x: FloatArray | None = None  # the last forward's input, for backward

    def forward(self, x: FloatArray, training: bool = False) -> FloatArray:
        self._x = x
        y = x @ self.params["W"]
        y += self.params["b"]  # in place: no second (N, n_out) array
        return y

    def backward(self, grad_y: FloatArray) -> FloatArray | None:
        assert self._x is not None, "backward before forward"
        # dL/dW = x^T dL/dy: each sample's outer product, summed over the batch
        np.matmul(self._x.T, grad_y, out=self.grads["W"])
        # dL/db = sum over the batch of dL/dy
        np.sum(grad_y, axis=0, out=self.grads["b"])
        if not self.needs_input_grad:
            return None
        # dL/dx = dL/dy W^T
        return grad_y @ self.params["W"].T


class Activation:
    """y = f(x) element-wise, for one of the functions in ``activations``.

    Works in place: x is the output of the Dense layer below, which nobody
    needs once it has been activated, and grad_y is a fresh array from the
    layer above."""

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
