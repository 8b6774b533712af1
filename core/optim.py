"""Optimisers: turn gradients into weight updates, in place.

Each keeps its state (velocities, moment estimates) in lists that match the
parameter list one to one. ``step(lr)`` reads the gradients the network's
backward pass just filled in. Full-batch gradient descent (the notebook's
algorithm) is SGD with no momentum and one batch per epoch.
"""

import numpy as np

OPTIMIZERS = ("gd", "sgd", "adam")


class SGD:
    """v <- momentum * v + g;  w <- w - lr * v   (PyTorch's convention).

    With momentum 0 this is plain gradient descent: w <- w - lr * g.
    """

    def __init__(self, params, grads, momentum=0.0):
        self.params, self.grads, self.momentum = params, grads, momentum
        self.velocity = [np.zeros_like(p) for p in params] if momentum else None
        self.scratch = [np.empty_like(p) for p in params]  # reused every step

    def step(self, lr):
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
    """

    def __init__(self, params, grads, beta1=0.9, beta2=0.999, eps=1e-8):
        self.params, self.grads = params, grads
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]  # reused every step
        self.t = 0

    def step(self, lr):
        self.t += 1
        correction1 = 1 - self.beta1 ** self.t
        root_correction2 = np.sqrt(1 - self.beta2 ** self.t)
        # m_hat / (sqrt(v_hat) + eps) = sqrt(c2) m / (c1 (sqrt(v) + eps sqrt(c2))):
        # the same update with the corrections folded into two scalars.
        step_size = lr * root_correction2 / correction1
        eps = self.eps * root_correction2
        for param, grad, m, v, s in zip(self.params, self.grads, self.m, self.v, self.scratch):
            kind = param.dtype.type
            # m <- m + (1 - b1)(g - m), which equals b1 m + (1 - b1) g
            np.subtract(grad, m, out=s)
            s *= kind(1 - self.beta1)
            m += s
            # v <- v + (1 - b2)(g^2 - v)
            np.multiply(grad, grad, out=s)
            s -= v
            s *= kind(1 - self.beta2)
            v += s
            # w <- w - step_size * m / (sqrt(v) + eps)
            np.sqrt(v, out=s)
            s += kind(eps)
            np.divide(m, s, out=s)
            s *= kind(step_size)
            param -= s


def make_optimizer(name, network, momentum=0.9):
    params, grads = network.parameters(), network.gradients()
    if name == "adam":
        return Adam(params, grads)
    if name == "sgd":
        return SGD(params, grads, momentum=momentum)
    return SGD(params, grads, momentum=0.0)
