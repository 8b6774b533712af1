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

    def step(self, lr):
        if self.velocity is None:
            for param, grad in zip(self.params, self.grads):
                param -= param.dtype.type(lr) * grad
            return
        for param, grad, velocity in zip(self.params, self.grads, self.velocity):
            velocity *= velocity.dtype.type(self.momentum)
            velocity += grad
            param -= param.dtype.type(lr) * velocity


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
        self.t = 0

    def step(self, lr):
        self.t += 1
        correction1 = 1 - self.beta1 ** self.t
        correction2 = 1 - self.beta2 ** self.t
        for param, grad, m, v in zip(self.params, self.grads, self.m, self.v):
            kind = param.dtype.type
            m *= kind(self.beta1)
            m += kind(1 - self.beta1) * grad
            v *= kind(self.beta2)
            v += kind(1 - self.beta2) * grad * grad
            denominator = np.sqrt(v / kind(correction2)) + kind(self.eps)
            param -= kind(lr / correction1) * m / denominator


def make_optimizer(name, network, momentum=0.9):
    params, grads = network.parameters(), network.gradients()
    if name == "adam":
        return Adam(params, grads)
    if name == "sgd":
        return SGD(params, grads, momentum=momentum)
    return SGD(params, grads, momentum=0.0)
