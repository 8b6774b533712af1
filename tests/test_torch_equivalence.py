"""The NumPy gradients and optimiser steps against PyTorch's, to float32
tolerance, for every activation and optimiser. Runs where torch is installed
(pip install torch==2.13.0), skipped elsewhere; torch is never a dependency."""

import numpy as np
import pytest

from core.activations import ACTIVATIONS
from core.network import Architecture, Network
from core.optim import make_optimizer

torch = pytest.importorskip("torch")

TORCH_ACTIVATIONS = {
    "relu": lambda: torch.nn.ReLU(),
    "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),
    "sigmoid": lambda: torch.nn.Sigmoid(),
    "tanh": lambda: torch.nn.Tanh(),
}


def twin_networks(activation):
    architecture = Architecture(hidden=(32, 16), activation=activation)
    ours = Network.create(architecture, "xavier", np.random.default_rng(0))
    layers = []
    for weight, bias in ours.weights():
        linear = torch.nn.Linear(*weight.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight.T.copy()))
            linear.bias.copy_(torch.from_numpy(bias.copy()))
        layers += [linear, TORCH_ACTIVATIONS[activation]()]
    return ours, torch.nn.Sequential(*layers[:-1])


def batch():
    rng = np.random.default_rng(1)
    return rng.random((64, 784), dtype=np.float32), rng.integers(0, 10, 64)


def torch_loss(model, x, y, l2):
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
    weights = [layer.weight for layer in model if isinstance(layer, torch.nn.Linear)]
    return loss + 0.5 * l2 * sum((w * w).sum() for w in weights)


def torch_view(model):
    """Torch parameters in our order and layout: W (in, out) then b, per layer."""
    out = []
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            out += [layer.weight.detach().numpy().T, layer.bias.detach().numpy()]
    return out


def torch_grads(model):
    out = []
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            out += [layer.weight.grad.numpy().T, layer.bias.grad.numpy()]
    return out


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_gradients_match(activation, l2):
    ours, theirs = twin_networks(activation)
    x, y = batch()
    loss, _ = ours.loss_and_gradients(x, y, l2)
    their_loss = torch_loss(theirs, x, y, l2)
    their_loss.backward()
    assert loss == pytest.approx(their_loss.item(), rel=1e-5)
    for mine, reference in zip(ours.gradients(), torch_grads(theirs)):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("optimizer", ["gd", "sgd", "adam"])
def test_optimiser_steps_match(activation, optimizer):
    ours, theirs = twin_networks(activation)
    lr = 0.01
    ours_optimizer = make_optimizer(optimizer, ours, momentum=0.9)
    if optimizer == "adam":
        their_optimizer = torch.optim.Adam(theirs.parameters(), lr=lr, eps=1e-8)
    else:
        their_optimizer = torch.optim.SGD(theirs.parameters(), lr=lr, momentum=0.9 if optimizer == "sgd" else 0.0)
    x, y = batch()
    for _ in range(3):  # three steps, so momentum and Adam's moments take part
        ours.loss_and_gradients(x, y)
        ours_optimizer.step(lr)
        their_optimizer.zero_grad()
        torch_loss(theirs, x, y, 0.0).backward()
        their_optimizer.step()
    for mine, reference in zip(ours.parameters(), torch_view(theirs)):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=2e-6)
