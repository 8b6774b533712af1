"""Hidden-layer activations: each is y = f(x) applied element-wise.

Each class gives ``forward(x)`` and ``backward(y, grad_y)``, which applies
the chain rule dL/dx = dL/dy * f'(x). Every derivative here can be written
with the output y alone, so the input need not be kept. Both work in place
(``forward`` overwrites x, ``backward`` overwrites grad_y): the network owns
those arrays and needs neither afterwards, and skipping the copies is faster.
"""

from typing import Protocol

import numpy as np

from .types import FloatArray


class ActivationFunction(Protocol):
    """What every activation class below provides."""

    name: str

    def forward(self, x: FloatArray) -> FloatArray: ...

    def backward(self, y: FloatArray, grad_y: FloatArray) -> FloatArray: ...


class ReLU:
    name: str = "relu"

    def forward(self, x: FloatArray) -> FloatArray:
        return np.maximum(x, 0, out=x)

    def backward(self, y: FloatArray, grad_y: FloatArray) -> FloatArray:
        # f'(x) = 1 where x > 0 (that is, where y > 0), else 0
        return np.multiply(grad_y, y > 0, out=grad_y)


class LeakyReLU:
    name: str = "leaky_relu"
    slope: float = 0.01

    def forward(self, x: FloatArray) -> FloatArray:
        return np.multiply(x, x.dtype.type(self.slope), out=x, where=x < 0)

    def backward(self, y: FloatArray, grad_y: FloatArray) -> FloatArray:
        # f'(x) = 1 where x > 0 (that is, where y > 0), else the small slope
        return np.multiply(grad_y, grad_y.dtype.type(self.slope), out=grad_y, where=y < 0)


class Sigmoid:
    name: str = "sigmoid"

    def forward(self, x: FloatArray) -> FloatArray:
        # 1 / (1 + e^-x) written as e^(-log(1 + e^-x)), which never overflows
        np.negative(x, out=x)
        np.logaddexp(0, x, out=x)
        np.negative(x, out=x)
        return np.exp(x, out=x)

    def backward(self, y: FloatArray, grad_y: FloatArray) -> FloatArray:
        # f'(x) = y (1 - y)
        grad_y *= y
        grad_y *= 1 - y
        return grad_y


class Tanh:
    name: str = "tanh"

    def forward(self, x: FloatArray) -> FloatArray:
        return np.tanh(x, out=x)

    def backward(self, y: FloatArray, grad_y: FloatArray) -> FloatArray:
        # f'(x) = 1 - y^2
        grad_y *= 1 - y * y
        return grad_y


ACTIVATIONS: dict[str, type[ActivationFunction]] = {cls.name: cls for cls in (ReLU, LeakyReLU, Sigmoid, Tanh)}


def make_activation(name: str) -> ActivationFunction:
    """The activation called ``name``; names are listed in ``ACTIVATIONS``."""
    return ACTIVATIONS[name]()
