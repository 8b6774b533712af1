"""The optimised training step (one flat array for the weights, arrays
reused between batches, an in-place softmax, bias gradients as products
with ones, gathered batches) trains to the same weights as a plain NumPy
reference written out here the textbook way, in float64."""

import numpy as np
import pytest

from core.batches import BatchGather
from core.losses import softmax_cross_entropy
from core.network import Architecture, Network, flat_views
from core.optim import make_optimizer

ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
}


class Reference:
    """Forward, backward and the optimisers as the formulas read, in float64."""

    def __init__(self, pairs, activation, optimizer, l2):
        self.weights = [w.astype(np.float64) for pair in pairs for w in pair]  # W0, b0, W1, b1, ...
        self.f, self.df = ACTIVATIONS[activation]
        self.optimizer, self.l2, self.t = optimizer, l2, 0
        self.m = [np.zeros_like(w) for w in self.weights]
        self.v = [np.zeros_like(w) for w in self.weights]

    def gradients(self, x, labels):
        pairs = list(zip(self.weights[0::2], self.weights[1::2]))
        inputs, pre = [], []
        h = x.astype(np.float64)
        for index, (weight, bias) in enumerate(pairs):
            inputs.append(h)
            z = h @ weight + bias
            pre.append(z)
            h = z if index == len(pairs) - 1 else self.f(z)
        p = np.exp(h - h.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        n = len(labels)
        loss = -np.mean(np.log(p[np.arange(n), labels]))
        delta = (p - np.eye(h.shape[1])[labels]) / n
        grads = []
        for index in reversed(range(len(pairs))):
            weight = pairs[index][0]
            grads[:0] = [inputs[index].T @ delta + self.l2 * weight, delta.sum(axis=0)]
            if index:
                delta = (delta @ weight.T) * self.df(pre[index - 1])
        loss += 0.5 * self.l2 * sum(np.sum(w * w) for w in self.weights[0::2])
        return loss, grads

    def step(self, x, labels, lr):
        loss, grads = self.gradients(x, labels)
        self.t += 1
        for w, g, m, v in zip(self.weights, grads, self.m, self.v):
            if self.optimizer == "adam":
                m[...] = 0.9 * m + 0.1 * g
                v[...] = 0.999 * v + 0.001 * g * g
                m_hat, v_hat = m / (1 - 0.9**self.t), v / (1 - 0.999**self.t)
                w -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
            else:  # SGD with momentum 0.9 (PyTorch's convention)
                m[...] = 0.9 * m + g
                w -= lr * m
        return loss


@pytest.mark.parametrize(
    ("activation", "optimizer", "l2"), [("relu", "adam", 0.0), ("tanh", "adam", 1e-3), ("relu", "sgd", 1e-3)]
)
def test_the_optimised_step_trains_to_the_reference_weights(activation, optimizer, l2):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 20)).astype(np.float32)
    labels = rng.integers(0, 5, 100)
    architecture = Architecture(hidden=(16, 8), activation=activation, inputs=20, classes=5)
    network = Network.create(architecture, "he", np.random.default_rng(1))
    initial = [array.copy() for array in network.parameters()]
    reference = Reference(network.weights(), activation, optimizer, l2)
    optimizer_ours = make_optimizer(optimizer, network, momentum=0.9)
    gather = BatchGather(x, labels, 16)  # 100 rows: six batches of 16 and a last one of 4
    lr = 0.01 if optimizer == "adam" else 0.05
    for _ in range(3):  # epochs
        order = rng.permutation(100)
        for start in range(0, 100, 16):
            rows = order[start : start + 16]
            x_batch, y_batch = gather.take(rows)
            assert np.array_equal(x_batch, x[rows]) and np.array_equal(y_batch, labels[rows])
            loss, logits = network.loss_and_gradients(x_batch, y_batch, l2)
            assert loss == pytest.approx(reference.step(x[rows], labels[rows], lr), rel=1e-5)
            optimizer_ours.step(lr)
    for ours, theirs in zip(network.parameters(), reference.weights):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=2e-6)  # float32 rounding, no more
    moved = max(np.abs(ours - start).max() for ours, start in zip(network.parameters(), initial))
    assert moved > 0.1  # the tolerance above is far finer than what training changed


def test_weights_and_gradients_are_views_of_one_flat_array():
    network = Network.create(Architecture(hidden=(6,), inputs=4, classes=3), "he", np.random.default_rng(0))
    assert network.flat_params.size == network.architecture.parameter_count
    assert all(np.shares_memory(p, network.flat_params) for p in network.parameters())
    assert all(np.shares_memory(g, network.flat_gradients) for g in network.gradients())
    # in order, one after another: W0, b0, W1, b1
    assert np.array_equal(np.concatenate([p.ravel() for p in network.parameters()]), network.flat_params)
    network.flat_params[0] = 42.0
    assert network.weights()[0][0][0, 0] == 42.0


def test_flat_views_lay_arrays_end_to_end():
    flat, views = flat_views([(2, 3), (3,), (1,)], np.dtype(np.float64))
    assert flat.shape == (10,) and [v.shape for v in views] == [(2, 3), (3,), (1,)]
    views[1][...] = 7
    assert flat.tolist() == [0] * 6 + [7, 7, 7, 0]


def test_a_new_network_copies_the_weights_it_is_given():
    weights = [(np.ones((4, 3), np.float32), np.zeros(3, np.float32))]
    network = Network(Architecture(hidden=(), inputs=4, classes=3), weights)
    network.flat_params[:] = 5
    assert weights[0][0][0, 0] == 1.0  # the caller's arrays stay as they were


def test_the_loss_leaves_the_logits_alone_and_fills_out():
    rng = np.random.default_rng(2)
    logits, labels = rng.normal(size=(6, 4)).astype(np.float32), rng.integers(0, 4, 6)
    before, out = logits.copy(), np.empty_like(logits)
    loss, grad = softmax_cross_entropy(logits, labels, out=out)
    assert grad is out and np.array_equal(logits, before)
    p = np.exp(before - before.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(6), labels])), rel=1e-6)
    np.testing.assert_allclose(grad, (p - np.eye(4)[labels]) / 6, atol=1e-7)


def test_a_gather_refuses_more_rows_than_its_batch():
    gather = BatchGather(np.zeros((10, 3), np.float32), np.zeros(10, np.int64), 4)
    with pytest.raises(ValueError):
        gather.take(np.arange(5))
