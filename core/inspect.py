"""Looking inside a trained network: pure functions of a ``Snapshot``.

What the app's "Inside" view shows, each computed from the frozen weights
(and an input), never from a network that is training:

- ``first_layer_tiles``: what each first-layer unit looks for, as an image;
- ``contributions``: which units (or pixels) pushed the answer up or held it down;
- ``saliency`` and ``gradient_times_input``: which pixels the answer is sensitive to;
- ``softmax_steps``: softmax written out step by step, with a temperature;
- ``dead_units``: hidden units that never respond on a set of inputs;
- ``layer_health``: weight norms, and how large a step of training was.

Notation: layer l computes z_l = a_(l-1) W_l + b_l (the pre-activation) and
a_l = f(z_l) (the activation), with a_0 = x, the normalised pixels (divided
by the model's pixel scale). The last layer's z is the logits, with no f.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from .activations import LeakyReLU
from .inference import Snapshot, trace
from .types import FloatArray, IntArray

# One boolean per unit (core/types.py has no alias for it).
BoolArray: TypeAlias = npt.NDArray[np.bool_]

# f'(z) for each activation, from z (``pre``) and y = f(z) (``post``).
Derivative: TypeAlias = Callable[[FloatArray, FloatArray], FloatArray]

# dead_units looks at this many rows at a time, so a whole validation set fits in memory.
BATCH_ROWS = 2048
# Below this, a sigmoid or tanh unit's slope f'(z) counts as flat (saturated).
SATURATION_THRESHOLD = 1e-3


def _relu_derivative(pre: FloatArray, post: FloatArray) -> FloatArray:
    # f(z) = max(z, 0), so f'(z) = 1[z > 0] (0 at the kink z = 0, as training uses)
    slope: FloatArray = (pre > 0).astype(pre.dtype)
    return slope


def _leaky_relu_derivative(pre: FloatArray, post: FloatArray) -> FloatArray:
    # f(z) = z for z >= 0, s z for z < 0 (s = 0.01), so f'(z) = 1, or s where z < 0
    slope: FloatArray = np.where(pre < 0, LeakyReLU.slope, 1.0).astype(pre.dtype)
    return slope


def _sigmoid_derivative(pre: FloatArray, post: FloatArray) -> FloatArray:
    # y = 1 / (1 + e^-z), so f'(z) = y (1 - y): at most 1/4, at z = 0
    slope: FloatArray = post * (1 - post)
    return slope


def _tanh_derivative(pre: FloatArray, post: FloatArray) -> FloatArray:
    # y = tanh z, so f'(z) = 1 - y^2: at most 1, at z = 0
    slope: FloatArray = 1 - post * post
    return slope


# By activation name, as in core.activations.ACTIVATIONS.
DERIVATIVES: dict[str, Derivative] = {
    "relu": _relu_derivative,
    "leaky_relu": _leaky_relu_derivative,
    "sigmoid": _sigmoid_derivative,
    "tanh": _tanh_derivative,
}


# Weights as images ----------------------------------------------------------


def first_layer_tiles(snapshot: Snapshot) -> FloatArray:
    """Each first-layer unit's incoming weights as a square image: shape
    (n_units, 28, 28) for 784 inputs.

    Unit j computes z_j = sum_i x_i W[i, j] + b_j, so column j of W holds one
    weight per pixel: reshaped like the digit (pixel i at row i // 28,
    column i % 28), it shows which pixels raise z_j (positive weights) and
    which lower it (negative). With no hidden layer the first layer is the
    output layer: one tile per class."""
    weight = snapshot.weights[0][0]  # (n_in, n_units)
    n_in, n_units = weight.shape
    side = math.isqrt(n_in)
    if side * side != n_in:
        raise ValueError(f"{n_in} inputs do not form a square image")
    tiles: FloatArray = np.ascontiguousarray(weight.T).reshape(n_units, side, side)
    return tiles


# Contributions --------------------------------------------------------------


def contributions(snapshot: Snapshot, x_row: npt.ArrayLike, cls: int | None = None) -> tuple[int, FloatArray]:
    """The class (the predicted one unless ``cls`` is given) and what each
    unit of the last hidden layer adds to that class's logit.

    The logit of class k is z_k = sum_j a_j W[j, k] + b_k, where a is the last
    hidden layer's activation and W the output layer's weights, so unit j
    contributes a_j W[j, k]: positive pushes k up, negative holds it down,
    and the contributions plus b_k add up to z_k exactly. With no hidden
    layer a is the input itself: pixel i contributes x_i W[i, k]."""
    x = _as_row(snapshot, x_row)
    layers = trace(snapshot, x)
    k = _chosen_class(snapshot, layers[-1].post[0], cls)
    below = layers[-2].post[0] if len(layers) > 1 else x[0]  # a: what the output layer reads
    weight = snapshot.weights[-1][0]
    parts: FloatArray = below * weight[:, k]
    return k, parts


def top_pushes(parts: FloatArray, count: int = 5) -> IntArray:
    """Indices of the (up to ``count``) largest positive contributions, largest first."""
    order = np.argsort(-parts, kind="stable")[:count]
    chosen: IntArray = order[parts[order] > 0]
    return chosen


def top_holds(parts: FloatArray, count: int = 5) -> IntArray:
    """Indices of the (up to ``count``) most negative contributions, most negative first."""
    order = np.argsort(parts, kind="stable")[:count]
    chosen: IntArray = order[parts[order] < 0]
    return chosen


# Saliency -------------------------------------------------------------------


def saliency(snapshot: Snapshot, x_row: npt.ArrayLike, cls: int | None = None) -> FloatArray:
    """d z_k / d x: how much the logit of class k (the predicted one unless
    ``cls`` is given) changes per unit change of each input pixel, shape (784,).

    Backpropagation of the single number z_k, from the output down:
      at the output,    d z_k / d z_L = e_k (1 for class k, 0 for the others);
      through a layer,  z_l = a_(l-1) W_l + b_l, so d/d a_(l-1) = d/d z_l W_l^T;
      through f,        a_l = f(z_l) element-wise, so d/d z_l = d/d a_l * f'(z_l),
    with f' from ``DERIVATIVES``: relu 1[z > 0], leaky_relu 1 or 0.01,
    sigmoid y (1 - y), tanh 1 - y^2. The result is d/d a_0 = d/d x."""
    x = _as_row(snapshot, x_row)
    layers = trace(snapshot, x)
    k = _chosen_class(snapshot, layers[-1].post[0], cls)
    derivative = DERIVATIVES[snapshot.architecture.activation]
    grad = np.zeros_like(layers[-1].post)  # d z_k / d z_L, a row of shape (1, classes)
    grad[0, k] = 1
    for index in range(len(snapshot.weights) - 1, -1, -1):
        weight = snapshot.weights[index][0]
        grad = grad @ weight.T  # d z_k / d a_(index-1): one value per input of this layer
        if index > 0:
            below = layers[index - 1]  # the hidden layer that fed this one
            grad = grad * derivative(below.pre, below.post)  # d z_k / d z_(index-1)
    pixels: FloatArray = grad[0]
    return pixels


def gradient_times_input(snapshot: Snapshot, x_row: npt.ArrayLike, cls: int | None = None) -> FloatArray:
    """x_i * d z_k / d x_i for each pixel: the saliency weighted by the
    pixel's value, so pixels that are off (x_i = 0) count for nothing. With
    no hidden layer z_k is linear in x, and this is exactly the pixel
    contributions x_i W[i, k]."""
    x = _as_row(snapshot, x_row)[0]
    product: FloatArray = x * saliency(snapshot, x, cls)
    return product


# Softmax, step by step -----------------------------------------------------


@dataclass(frozen=True)
class SoftmaxSteps:
    """softmax(z / T), one step per field (float64, one value per class):

    scaled        = z / T
    shifted       = scaled - max(scaled)      (every exponent <= 0: no overflow)
    exponentials  = e^shifted                  (the largest is e^0 = 1)
    total         = sum of the exponentials
    probabilities = exponentials / total       (they add up to 1)

    Dividing by T > 0 keeps the order of the logits, so the most probable
    class is the same for every T: a large T flattens the probabilities
    towards 1/classes, a small T sharpens them towards the argmax."""

    temperature: float
    scaled: FloatArray
    shifted: FloatArray
    exponentials: FloatArray
    total: float
    probabilities: FloatArray


def softmax_steps(logits: npt.ArrayLike, temperature: float = 1.0) -> SoftmaxSteps:
    """softmax of one row of ``logits`` at ``temperature`` (finite and > 0)."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"the temperature must be a finite number above 0, not {temperature!r}")
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    if z.size == 0:
        raise ValueError("softmax needs at least one logit")
    scaled: FloatArray = z / temperature
    shifted: FloatArray = scaled - scaled.max()
    exponentials: FloatArray = np.exp(shifted)
    total = float(exponentials.sum())
    probabilities: FloatArray = exponentials / total
    for array in (scaled, shifted, exponentials, probabilities):
        array.flags.writeable = False
    return SoftmaxSteps(float(temperature), scaled, shifted, exponentials, total, probabilities)


# Dead units -----------------------------------------------------------------


def dead_units(snapshot: Snapshot, x: npt.ArrayLike, threshold: float = SATURATION_THRESHOLD) -> list[BoolArray]:
    """For each hidden layer, which units are dead on every row of ``x``
    (normalised pixels, e.g. the whole validation set): True = dead.

    What "dead" means depends on the activation:
      relu:         z <= 0 on every row. The unit outputs 0 and, as
                    f'(z) = 0 there, gets no gradient: it cannot recover.
      leaky_relu:   z <= 0 on every row, the same test. Its slope 0.01
                    still lets a little gradient through, so "never active"
                    is the better word, but it answers no input either.
      sigmoid/tanh: f'(z) < ``threshold`` on every row: saturated. The unit
                    sits on a flat part of its curve (sigmoid near 0 or 1,
                    |z| > ~6.9; tanh near -1 or 1, |z| > ~3.8 for 1e-3), so
                    its output barely changes and almost no gradient passes.
    With no rows there is no evidence, and no unit is called dead. A network
    with no hidden layer gives an empty list."""
    rows = np.asarray(x, dtype=snapshot.dtype)
    sizes = snapshot.architecture.hidden
    if len(rows) == 0:
        return [np.zeros(size, dtype=np.bool_) for size in sizes]
    name = snapshot.architecture.activation
    derivative = DERIVATIVES[name]
    dead = [np.ones(size, dtype=np.bool_) for size in sizes]  # dead until some row says otherwise
    for start in range(0, len(rows), BATCH_ROWS):
        layers = trace(snapshot, rows[start : start + BATCH_ROWS])[:-1]  # the hidden layers
        for flags, layer in zip(dead, layers):
            if name in ("relu", "leaky_relu"):
                flat = layer.pre <= 0
            else:
                flat = derivative(layer.pre, layer.post) < threshold
            flags &= flat.all(axis=0)
    return dead


# Layer health ---------------------------------------------------------------


@dataclass(frozen=True)
class LayerHealth:
    """One Dense layer (``layer`` counts from 1, the output layer last).

    weight_norm  = ||W_after||, the Frobenius norm sqrt(sum of W[i, j]^2)
    update_norm  = ||W_after - W_before||
    update_ratio = ||W_after - W_before|| / ||W_before||: the relative size
    of the step. Around 1e-3 per update is the usual rule of thumb; much
    larger, the learning rate is likely too high; much smaller, too low.
    (0 when nothing changed; infinite when W_before is all zeros and W moved.)"""

    layer: int
    weight_norm: float
    update_norm: float
    update_ratio: float


def layer_health(before: Snapshot, after: Snapshot) -> list[LayerHealth]:
    """Weight norms and update-to-weight ratios, layer by layer, between two
    snapshots of the same architecture. Norms are summed in float64."""
    if len(before.weights) != len(after.weights) or any(
        old.shape != new.shape for (old, _), (new, _) in zip(before.weights, after.weights)
    ):
        raise ValueError("the snapshots have different layer shapes")
    health = []
    for index, ((old, _), (new, _)) in enumerate(zip(before.weights, after.weights), start=1):
        old64, new64 = old.astype(np.float64), new.astype(np.float64)
        old_norm = float(np.linalg.norm(old64))
        update_norm = float(np.linalg.norm(new64 - old64))
        if old_norm > 0:
            ratio = update_norm / old_norm
        else:
            ratio = 0.0 if update_norm == 0 else math.inf
        health.append(LayerHealth(index, float(np.linalg.norm(new64)), update_norm, ratio))
    return health


# Helpers --------------------------------------------------------------------


def _as_row(snapshot: Snapshot, x_row: npt.ArrayLike) -> FloatArray:
    """One input as a (1, n_in) row in the snapshot's dtype."""
    x: FloatArray = np.asarray(x_row, dtype=snapshot.dtype).reshape(1, -1)
    if x.shape[1] != snapshot.architecture.inputs:
        raise ValueError(f"expected {snapshot.architecture.inputs} inputs, got {x.shape[1]}")
    return x


def _chosen_class(snapshot: Snapshot, logits_row: FloatArray, cls: int | None) -> int:
    """``cls`` if given (checked), else the predicted class argmax_k z_k."""
    if cls is None:
        return int(logits_row.argmax())
    if not 0 <= cls < snapshot.architecture.classes:
        raise ValueError(f"class {cls} is not one of 0-{snapshot.architecture.classes - 1}")
    return int(cls)
