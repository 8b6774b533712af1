"""Central-difference gradient checks, in float64 on tiny shapes.

For each parameter element w: dL/dw ~ (L(w + h) - L(w - h)) / 2h. The
backward pass must agree to a relative error far below 1e-5.
"""

import numpy as np
import pytest

from core.activations import ACTIVATIONS, Sigmoid
from core.layers import Dropout
from core.losses import softmax_cross_entropy
from core.network import Architecture, Network

H = 1e-6


def tiny_network(activation="relu", dropout=0.0, hidden=(4, 3), seed=0):
    architecture = Architecture(hidden=hidden, activation=activation, dropout=dropout, inputs=5, classes=3)
    return Network.create(architecture, "xavier", np.random.default_rng(seed), dtype=np.float64)


def tiny_batch(seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)


def max_relative_error(network, x, y, l2=0.0):
    """Largest |analytic - numeric| / max(|analytic| + |numeric|, tiny) over all parameters."""
    network.loss_and_gradients(x, y, l2)
    analytic = [g.copy() for g in network.gradients()]
    worst = 0.0
    for param, grad in zip(network.parameters(), analytic):
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + H
            plus, _ = network.loss_and_gradients(x, y, l2)
            param[index] = saved - H
            minus, _ = network.loss_and_gradients(x, y, l2)
            param[index] = saved
            numeric = (plus - minus) / (2 * H)
            scale = max(abs(grad[index]) + abs(numeric), 1e-8)
            worst = max(worst, abs(grad[index] - numeric) / scale)
    return worst


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_backward_matches_central_differences_for_each_activation(activation):
    x, y = tiny_batch()
    assert max_relative_error(tiny_network(activation), x, y) < 1e-5


def test_softmax_regression_without_hidden_layers():
    x, y = tiny_batch()
    assert max_relative_error(tiny_network(hidden=()), x, y) < 1e-6


def test_l2_penalty_gradient():
    x, y = tiny_batch()
    assert max_relative_error(tiny_network("tanh"), x, y, l2=0.3) < 1e-5


def test_dropout_with_a_fixed_mask():
    network = tiny_network("sigmoid", dropout=0.5)
    rng = np.random.default_rng(7)
    for layer in network.layers:
        if isinstance(layer, Dropout):
            mask = (rng.random((6, 4 if layer is network.layers[2] else 3)) > 0.5) / 0.5
            layer.sample_mask = lambda shape, dtype, mask=mask: mask
    x, y = tiny_batch()
    assert max_relative_error(network, x, y) < 1e-5


def test_loss_gradient_against_logits():
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(size=(4, 5)) * 3, rng.integers(0, 5, 4)
    loss, grad = softmax_cross_entropy(logits, labels)
    for index in np.ndindex(logits.shape):
        shifted = logits.copy()
        shifted[index] += H
        plus, _ = softmax_cross_entropy(shifted, labels)
        shifted[index] -= 2 * H
        minus, _ = softmax_cross_entropy(shifted, labels)
        assert grad[index] == pytest.approx((plus - minus) / (2 * H), abs=1e-7)


def test_the_check_catches_a_wrong_backward_pass(monkeypatch):
    """The check itself must be able to fail: drop the (1 - y) factor of
    sigmoid's derivative and the relative error becomes large."""
    monkeypatch.setattr(Sigmoid, "backward", lambda self, y, grad_y: grad_y * y)
    x, y = tiny_batch()
    assert max_relative_error(tiny_network("sigmoid"), x, y) > 1e-2


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [-5e4, 5e4, 0.0]])
    loss, grad = softmax_cross_entropy(logits, np.array([0, 1]))
    assert np.isfinite(loss) and loss == pytest.approx(0.0)
    assert np.all(np.isfinite(grad))
