"""Hidden-layer activations: each is y = f(x) applied element-wise.

Each class gives ``forward(x)`` and ``backward(x, y, grad_y)``, which applies
the chain rule dL/dx = dL/dy * f'(x). Passing both x and y lets each one use
whichever makes its derivative cheapest.
"""

import numpy as np


class ReLU:
    name = "relu"

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, x, y, grad_y):
        # f'(x) = 1 where x > 0, else 0
        return grad_y * (x > 0)


class LeakyReLU:
    name = "leaky_relu"
    slope = 0.01

    def forward(self, x):
        return np.where(x > 0, x, x * x.dtype.type(self.slope))

    def backward(self, x, y, grad_y):
        # f'(x) = 1 where x > 0, else the small slope
        return np.where(x > 0, grad_y, grad_y * grad_y.dtype.type(self.slope))


class Sigmoid:
    name = "sigmoid"

    def forward(self, x):
        # 1 / (1 + e^-x) written as e^(-log(1 + e^-x)), which never overflows
        return np.exp(-np.logaddexp(0, -x)).astype(x.dtype, copy=False)

    def backward(self, x, y, grad_y):
        # f'(x) = y (1 - y)
        return grad_y * y * (1 - y)


class Tanh:
    name = "tanh"

    def forward(self, x):
        return np.tanh(x)

    def backward(self, x, y, grad_y):
        # f'(x) = 1 - y^2
        return grad_y * (1 - y * y)


ACTIVATIONS = {cls.name: cls for cls in (ReLU, LeakyReLU, Sigmoid, Tanh)}


def make_activation(name):
    """The activation called ``name``; names are listed in ``ACTIVATIONS``."""
    return ACTIVATIONS[name]()
