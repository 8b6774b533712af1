"""A fully connected network: Dense -> activation [-> dropout] ... -> Dense.

The last Dense layer gives logits; softmax turns them into probabilities
(see ``losses``). The default shape is the classic 784-10-10.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self, TypeAlias

import numpy as np

from .activations import ACTIVATIONS
from .errors import ConfigError
from .layers import Activation, Dense, Dropout, Rows
from .losses import softmax_cross_entropy
from .types import FloatArray, IntArray, WeightPair

if TYPE_CHECKING:  # only for annotations: inference imports this module
    from .inference import Snapshot

Layer: TypeAlias = Dense | Activation | Dropout  # each has forward, backward, params and grads

INITIALISERS = ("he", "xavier", "lecun", "uniform")


@dataclass(frozen=True)
class Architecture:
    """The shape of a network: everything needed to rebuild it from weights."""

    hidden: tuple[int, ...] = (10,)
    activation: str = "relu"
    dropout: float = 0.0
    inputs: int = 784
    classes: int = 10

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.inputs, *self.hidden, self.classes)

    @property
    def parameter_count(self) -> int:
        """Weights and biases in all: one W (in x out) and one b (out) per layer."""
        return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]))

    def describe(self) -> str:
        return "-".join(str(size) for size in self.sizes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hidden": list(self.hidden),
            "activation": self.activation,
            "dropout": self.dropout,
            "inputs": self.inputs,
            "classes": self.classes,
        }


def initial_weights(
    sizes: Sequence[int], scheme: str, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float32
) -> list[WeightPair]:
    """One (W, b) pair per pair of consecutive layer sizes.

    he:      W ~ N(0, 2/fan_in), suited to ReLU (keeps activation variance steady)
    lecun:   W ~ N(0, 1/fan_in), suited to tanh and sigmoid
    xavier:  W ~ U(+-sqrt(6/(fan_in+fan_out))), Glorot's uniform
    uniform: W, b ~ U(-0.5, 0.5), as in the original notebook
    Biases start at zero except in ``uniform``.
    """
    if scheme not in INITIALISERS:
        raise ConfigError(f"unknown initialisation {scheme!r}; choose from {', '.join(INITIALISERS)}")
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shape = (fan_in, fan_out)
        bias = np.zeros(fan_out)
        if scheme == "he":
            weight = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        elif scheme == "lecun":
            weight = rng.normal(0.0, np.sqrt(1.0 / fan_in), shape)
        elif scheme == "xavier":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            weight = rng.uniform(-limit, limit, shape)
        else:
            weight = rng.uniform(-0.5, 0.5, shape)
            bias = rng.uniform(-0.5, 0.5, fan_out)
        weights.append((weight.astype(dtype), bias.astype(dtype)))
    return weights


class Network:
    """Layers in order, with the weights held by the Dense layers.

    Every weight and bias lives in one flat array, ``flat_params``, and
    every gradient in another of the same layout, ``flat_gradients``; each
    layer's W, b and their gradients are views into them (reshaped slices,
    not copies). An optimiser then updates all the weights with one pass
    per NumPy operation over one long array, instead of one pass per layer
    array, and needs just one array per running average (see ``optim``).

    For training only: ``forward`` keeps per-call values on the layers for
    ``backward``, so one network serves one thread. Predictions go through
    a ``core.inference.Snapshot`` of its weights."""

    def __init__(
        self,
        architecture: Architecture,
        weights: Sequence[WeightPair],
        rng: np.random.Generator | None = None,
    ) -> None:
        if architecture.activation not in ACTIVATIONS:
            raise ConfigError(f"unknown activation {architecture.activation!r}; choose from {', '.join(ACTIVATIONS)}")
        self.architecture = architecture
        arrays = [array for pair in weights for array in pair]  # W0, b0, W1, b1, ...
        shapes = [np.shape(array) for array in arrays]
        self.flat_params, params = flat_views(shapes, np.result_type(*arrays))
        self.flat_gradients, grads = flat_views(shapes, self.flat_params.dtype)
        for view, array in zip(params, arrays):
            view[...] = array  # a copy: the caller's arrays stay the caller's
        self.layers: list[Layer] = []
        dropout_rng = rng if rng is not None else np.random.default_rng(0)
        for index in range(len(weights)):
            weight, bias = params[2 * index], params[2 * index + 1]
            self.layers.append(Dense(weight, bias, grads=(grads[2 * index], grads[2 * index + 1])))
            if index < len(weights) - 1:
                self.layers.append(Activation(architecture.activation))
                if architecture.dropout > 0:
                    self.layers.append(Dropout(architecture.dropout, dropout_rng))
        self.dense_layers[0].needs_input_grad = False  # the first layer (its input is the data)
        self._grad_logits = Rows(architecture.classes)

    @classmethod
    def create(
        cls, architecture: Architecture, init: str, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float32
    ) -> Self:
        init_rng, dropout_rng = rng.spawn(2)
        weights = initial_weights(architecture.sizes, init, init_rng, dtype)
        return cls(architecture, weights, dropout_rng)

    @property
    def dense_layers(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def dtype(self) -> np.dtype[np.floating[Any]]:
        return self.layers[0].params["W"].dtype

    def weights(self) -> list[WeightPair]:
        """The (W, b) pairs, as the live arrays (not copies)."""
        return [(layer.params["W"], layer.params["b"]) for layer in self.dense_layers]

    def parameters(self) -> list[FloatArray]:
        """Every trainable array, in the same order as ``gradients()``."""
        return [array for layer in self.layers for array in layer.params.values()]

    def gradients(self) -> list[FloatArray]:
        return [array for layer in self.layers for array in layer.grads.values()]

    def snapshot(self) -> "Snapshot":
        """Read-only copies of the weights, for inference and saving."""
        from .inference import Snapshot  # imported here: inference imports this module

        return Snapshot.of(self.architecture, self.weights())

    def set_weights(self, pairs: Iterable[WeightPair]) -> None:
        """Copy (W, b) pairs (a snapshot's, say) into the live arrays."""
        for (weight, bias), (new_weight, new_bias) in zip(self.weights(), pairs):
            weight[...], bias[...] = new_weight, new_bias

    def forward(self, x: FloatArray, training: bool = False) -> FloatArray:
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad_logits: FloatArray) -> None:
        grad: FloatArray | None = grad_logits
        for layer in reversed(self.layers):
            if grad is None:  # only the first Dense layer gives None, and no layer lies below it
                break
            grad = layer.backward(grad)

    def loss_and_gradients(self, x: FloatArray, labels: IntArray, l2: float = 0.0) -> tuple[float, FloatArray]:
        """Training loss (cross-entropy + L2) and fill every layer's grads.

        L2 adds (l2/2) * sum of squared weights (not biases) to the loss, so
        its gradient adds l2 * W to each dL/dW.

        The logits returned live in an array the network reuses: they are
        good until the next call (copy them to keep them longer).
        """
        logits = self.forward(x, training=True)
        grad_logits = self._grad_logits.get(len(logits), logits.dtype)
        loss = softmax_cross_entropy(logits, labels, out=grad_logits)[0]
        self.backward(grad_logits)
        if l2:
            for layer in self.dense_layers:
                weight = layer.params["W"]
                loss += 0.5 * l2 * float(np.vdot(weight, weight))  # sum of squares, no temporary
                layer.grads["W"] += weight.dtype.type(l2) * weight
        return loss, logits


def flat_views(shapes: Sequence[tuple[int, ...]], dtype: np.dtype[Any]) -> tuple[FloatArray, list[FloatArray]]:
    """One zeroed array long enough for arrays of all ``shapes``, and a view
    of it shaped as each: they share its memory, one after another."""
    sizes = [math.prod(shape) for shape in shapes]
    flat = np.zeros(sum(sizes), dtype)
    ends = np.cumsum(sizes)
    return flat, [flat[end - size : end].reshape(shape) for shape, size, end in zip(shapes, sizes, ends)]
