"""Optimisers: turn gradients into weight updates, in place.

Each keeps its state (velocities, moment estimates) in lists that match the
parameter list one to one. ``step(lr)`` reads the gradients the network's
backward pass just filled in. Full-batch gradient descent (the notebook's
algorithm) is SGD with no momentum and one batch per epoch.

Every update here is element by element, the same rule for each weight, so
``make_optimizer`` hands over a network's weights as one flat array (and its
gradients as another): one pass per NumPy operation over all the weights
rather than a pass per layer array, and one array per running average.
"""

import numpy as np

from .network import Network
from .types import FloatArray

OPTIMIZERS = ("gd", "sgd", "adam")


class SGD:
    """v <- momentum * v + g;  w <- w - lr * v   (PyTorch's convention).

    With momentum 0 this is plain gradient descent: w <- w - lr * g.
    """

    def __init__(self, params: list[FloatArray], grads: list[FloatArray], momentum: float = 0.0) -> None:
        self.params, self.grads, self.momentum = params, grads, momentum
        self.velocity = [np.zeros_like(p) for p in params] if momentum else None
        self.scratch = [np.empty_like(p) for p in params]  # reused every step

    def step(self, lr: float) -> None:
        for index, (param, grad, s) in enumerate(zip(self.params, self.grads, self.scratch)):
            kind = param.dtype.type
            if self.velocity is not None:
                velocity = self.velocity[index]
                velocity *= kind(self.momentum)
                velocity += grad
                grad = velocity
            np.multiply(grad, kind(lr), out=s)
            param -= s


class Adam:
    """Adam (Kingma & Ba, 2015), with bias correction:

    m <- b1 m + (1 - b1) g          running mean of gradients
    v <- b2 v + (1 - b2) g^2        running mean of squared gradients
    w <- w - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)

    Each NumPy operation is one pass over an array as large as the weights,
    and those passes, not the arithmetic, are what Adam costs. So the moments
    are kept divided by their constant factors, a = m / (1 - b1) and
    c = v / (1 - b2), which follow

    a <- b1 a + g                   (two passes instead of three)
    c <- b2 c + g^2                 (three passes instead of four)

    and the factors join the bias corrections in two scalars per step.
    """

    def __init__(
        self,
        params: list[FloatArray],
        grads: list[FloatArray],
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        self.params, self.grads = params, grads
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.scaled_m = [np.zeros_like(p) for p in params]  # a = m / (1 - b1)
        self.scaled_v = [np.zeros_like(p) for p in params]  # c = v / (1 - b2)
        self.scratch = [np.empty_like(p) for p in params]  # reused every step
        self.t = 0

    def step(self, lr: float) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # sqrt(v_hat) = sqrt(c (1 - b2) / (1 - b2^t)) = r sqrt(c), and m_hat = a (1 - b1) / (1 - b1^t), so
        # lr m_hat / (sqrt(v_hat) + eps) = step_size * a / (sqrt(c) + eps / r).
        r = np.sqrt((1 - b2) / (1 - b2**self.t))
        step_size = lr * (1 - b1) / ((1 - b1**self.t) * r)
        eps = self.eps / r
        for param, grad, a, c, s in zip(self.params, self.grads, self.scaled_m, self.scaled_v, self.scratch):
            kind = param.dtype.type
            a *= kind(b1)
            a += grad
            np.multiply(grad, grad, out=s)
            c *= kind(b2)
            c += s
            # w <- w - step_size * a / (sqrt(c) + eps)
            np.sqrt(c, out=s)
            s += kind(eps)
            np.divide(a, s, out=s)
            s *= kind(step_size)
            param -= s


def make_optimizer(name: str, network: Network, momentum: float = 0.9) -> SGD | Adam:
    params, grads = [network.flat_params], [network.flat_gradients]  # every weight, in one array each
    if name == "adam":
        return Adam(params, grads)
    if name == "sgd":
        return SGD(params, grads, momentum=momentum)
    return SGD(params, grads, momentum=0.0)
