"""Looking inside a network (core/inspect.py), the weight-tile image
(data/pgm_grid.py) and ``digit-tui inspect`` (tui/inspect_cli.py).

Gradients are checked against central differences in float64:
d z_k / d x_i ~ (z_k(x + h e_i) - z_k(x - h e_i)) / 2h.
"""

import argparse
import math

import numpy as np
import pytest

from core import inspect
from core.activations import ACTIVATIONS
from core.errors import DigitTuiError
from core.inference import Snapshot, logits
from core.model_io import save_model
from core.network import Architecture, initial_weights
from core.outputs import OutputError
from data import pgm_grid
from data.pgm_grid import diverging_greys, tiles_to_grid, write_pgm_grid
from tui.inspect_cli import add_parser, inspect_command

H = 1e-6
HIDDEN_SHAPES = [(), (5,), (6, 4)]


def random_snapshot(hidden=(5,), activation="relu", inputs=20, classes=4, seed=0):
    architecture = Architecture(hidden=hidden, activation=activation, inputs=inputs, classes=classes)
    rng = np.random.default_rng(seed)
    pairs = [
        (weight, rng.normal(0, 0.5, size=bias.shape))  # nonzero biases, so every term is exercised
        for weight, bias in initial_weights(architecture.sizes, "xavier", rng, dtype=np.float64)
    ]
    return Snapshot.of(architecture, pairs)


def max_relative_error(snapshot, x, cls):
    """Largest |analytic - numeric| / max(|analytic| + |numeric|, tiny) over the pixels."""
    analytic = inspect.saliency(snapshot, x, cls)
    worst = 0.0
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = H
        plus, minus = logits(snapshot, [x + step, x - step])[:, cls]
        numeric = (plus - minus) / (2 * H)
        worst = max(worst, abs(analytic[i] - numeric) / max(abs(analytic[i]) + abs(numeric), 1e-8))
    return worst


# Saliency -------------------------------------------------------------------


@pytest.mark.parametrize("hidden", HIDDEN_SHAPES, ids=["0-hidden", "1-hidden", "2-hidden"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_saliency_matches_central_differences(activation, hidden):
    snapshot = random_snapshot(hidden, activation)
    x = np.random.default_rng(1).normal(size=20)
    for cls in range(4):
        assert max_relative_error(snapshot, x, cls) < 1e-5


def test_saliency_defaults_to_the_predicted_class():
    snapshot = random_snapshot((6, 4), "tanh")
    x = np.random.default_rng(2).normal(size=20)
    predicted = int(logits(snapshot, [x])[0].argmax())
    assert np.array_equal(inspect.saliency(snapshot, x), inspect.saliency(snapshot, x, predicted))


def test_the_check_catches_a_wrong_derivative(monkeypatch):
    """The check itself must be able to fail: drop the (1 - y) factor of
    sigmoid's derivative and the relative error becomes large."""
    monkeypatch.setitem(inspect.DERIVATIVES, "sigmoid", lambda pre, post: post)
    snapshot = random_snapshot((5,), "sigmoid")
    x = np.random.default_rng(1).normal(size=20)
    assert max_relative_error(snapshot, x, 0) > 1e-2


def test_gradient_times_input_is_the_pixel_contributions_without_hidden_layers():
    snapshot = random_snapshot((), "relu")
    x = np.random.default_rng(3).normal(size=20)
    cls, parts = inspect.contributions(snapshot, x)
    assert np.allclose(inspect.gradient_times_input(snapshot, x, cls), parts)
    assert np.allclose(inspect.gradient_times_input(snapshot, x), x * inspect.saliency(snapshot, x))


def test_a_class_out_of_range_is_refused():
    snapshot = random_snapshot()
    with pytest.raises(ValueError, match="class 4"):
        inspect.saliency(snapshot, np.zeros(20), cls=4)
    with pytest.raises(ValueError, match="expected 20 inputs"):
        inspect.saliency(snapshot, np.zeros(19))


# Contributions --------------------------------------------------------------


def hand_snapshot():
    """4 inputs, 3 ReLU units, 2 classes, numbers small enough to follow by hand."""
    w1 = [[1.0, 0.0, -1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, -1.0, 0.0]]
    b1 = [0.0, 0.5, 0.0]
    w2 = [[2.0, -1.0], [-3.0, 1.0], [4.0, 0.0]]
    b2 = [0.1, 0.2]
    return Snapshot.of(Architecture(hidden=(3,), activation="relu", inputs=4, classes=2), [(w1, b1), (w2, b2)])


def test_contributions_by_hand():
    # x = (1, 2, 5, 1): z1 = (1 + 1, 2 - 1 + 0.5, -1) = (2, 1.5, -1), a = relu(z1) = (2, 1.5, 0)
    # logits = (2*2 - 1.5*3 + 0 + 0.1, -2 + 1.5 + 0 + 0.2) = (-0.4, -0.3): class 1 wins
    snapshot = hand_snapshot()
    x = np.array([1.0, 2.0, 5.0, 1.0])
    cls, parts = inspect.contributions(snapshot, x)
    assert cls == 1
    assert np.allclose(parts, [2 * -1, 1.5 * 1, 0 * 0])  # a_j W[j, 1]
    assert parts.sum() + 0.2 == pytest.approx(-0.3)  # the contributions and the bias make the logit
    cls, parts = inspect.contributions(snapshot, x, cls=0)
    assert cls == 0 and np.allclose(parts, [4.0, -4.5, 0.0])
    assert list(inspect.top_pushes(parts)) == [0]
    assert list(inspect.top_holds(parts)) == [1]


def test_contributions_without_hidden_layers_are_pixels():
    w = [[1.0, -2.0], [3.0, 0.5], [-1.0, 1.0]]
    snapshot = Snapshot.of(Architecture(hidden=(), inputs=3, classes=2), [(w, [0.0, 0.0])])
    cls, parts = inspect.contributions(snapshot, [2.0, 1.0, 4.0])
    # logits = (2 + 3 - 4, -4 + 0.5 + 4) = (1, 0.5)
    assert cls == 0 and np.allclose(parts, [2.0, 3.0, -4.0])


def test_top_pushes_and_holds_rank_and_keep_the_sign():
    parts = np.array([0.5, -2.0, 3.0, 0.0, -0.1, 1.0])
    assert list(inspect.top_pushes(parts, 2)) == [2, 5]
    assert list(inspect.top_pushes(parts, 10)) == [2, 5, 0]
    assert list(inspect.top_holds(parts, 10)) == [1, 4]
    assert len(inspect.top_holds(np.array([1.0, 2.0]))) == 0


# Softmax steps --------------------------------------------------------------


def test_softmax_steps_by_hand():
    steps = inspect.softmax_steps([2.0, 1.0, 0.0])
    e1, e2 = math.exp(-1), math.exp(-2)
    assert np.allclose(steps.scaled, [2, 1, 0])
    assert np.allclose(steps.shifted, [0, -1, -2])
    assert np.allclose(steps.exponentials, [1, e1, e2])
    assert steps.total == pytest.approx(1 + e1 + e2)  # 1.50321...
    assert np.allclose(steps.probabilities, [0.66524096, 0.24472847, 0.09003057])


def test_softmax_steps_with_a_temperature():
    steps = inspect.softmax_steps([2.0, 1.0, 0.0], temperature=2.0)
    assert np.allclose(steps.scaled, [1, 0.5, 0])
    assert np.allclose(steps.shifted, [0, -0.5, -1])
    total = 1 + math.exp(-0.5) + math.exp(-1)
    assert steps.total == pytest.approx(total)
    assert np.allclose(steps.probabilities, [1 / total, math.exp(-0.5) / total, math.exp(-1) / total])


def test_softmax_steps_keep_the_argmax_and_never_overflow():
    z = np.array([3.0, -1.0, 7.5, 7.4, 0.0])
    for temperature in (0.01, 0.5, 1.0, 3.0, 100.0, 1e6):
        steps = inspect.softmax_steps(z, temperature)
        assert steps.probabilities.argmax() == 2
        assert steps.probabilities.sum() == pytest.approx(1.0)
    huge = inspect.softmax_steps([1000.0, 0.0, -1000.0])
    assert np.all(np.isfinite(huge.exponentials)) and huge.probabilities[0] == pytest.approx(1.0)
    flat = inspect.softmax_steps(z, 1e9).probabilities
    assert np.allclose(flat, 0.2)
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="temperature"):
            inspect.softmax_steps(z, bad)


# Dead units -----------------------------------------------------------------


def test_dead_relu_units():
    # unit 0: z = -1 always (dead); unit 1: z = x_0, positive on one row only; unit 2: z = -x_0 + x_1
    w1 = [[0.0, 1.0, -1.0], [0.0, 0.0, 1.0]]
    b1 = [-1.0, 0.0, 0.0]
    w2 = np.ones((3, 2))
    x = np.array([[0.5, 0.0], [-1.0, -2.0], [0.0, 0.0]])
    for activation in ("relu", "leaky_relu"):
        snapshot = Snapshot.of(
            Architecture(hidden=(3,), activation=activation, inputs=2, classes=2), [(w1, b1), (w2, np.zeros(2))]
        )
        assert inspect.dead_units(snapshot, x)[0].tolist() == [True, False, True]  # unit 2: z = -0.5, -1, 0
        assert inspect.dead_units(snapshot, x[:1])[0].tolist() == [True, False, True]
        assert inspect.dead_units(snapshot, x[1:2])[0].tolist() == [True, True, True]
        assert inspect.dead_units(snapshot, x[:0])[0].tolist() == [False, False, False]  # no rows, no evidence


def test_dead_units_in_the_second_layer_and_in_batches(monkeypatch):
    # layer 1 copies x (relu of x >= 0); layer 2: unit 0 gets -x_0 - 1 (dead), unit 1 gets x_0
    w1, b1 = np.eye(2), np.zeros(2)
    w2, b2 = [[-1.0, 1.0], [0.0, 0.0]], [-1.0, 0.0]
    snapshot = Snapshot.of(
        Architecture(hidden=(2, 2), inputs=2, classes=2), [(w1, b1), (w2, b2), (np.ones((2, 2)), np.zeros(2))]
    )
    x = np.zeros((7, 2))
    x[5, 0] = 1.0  # only row 5 lights unit 0 of layer 1, and so unit 1 of layer 2
    monkeypatch.setattr(inspect, "BATCH_ROWS", 2)  # row 5 is in the third batch
    first, second = inspect.dead_units(snapshot, x)
    assert first.tolist() == [False, True] and second.tolist() == [True, False]


def test_saturated_sigmoid_and_tanh_units_are_dead():
    # unit 0: z = 20 always (flat); unit 1: z = 0 always (steepest); unit 2: z = -10 + 10 x_0
    w1 = [[0.0, 0.0, 10.0]]
    b1 = [20.0, 0.0, -10.0]
    x = np.array([[0.0], [0.3]])
    for activation in ("sigmoid", "tanh"):
        snapshot = Snapshot.of(
            Architecture(hidden=(3,), activation=activation, inputs=1, classes=2), [(w1, b1), (np.ones((3, 2)), [0, 0])]
        )
        assert inspect.dead_units(snapshot, x)[0].tolist() == [True, False, True]  # z = -10 and -7
        assert inspect.dead_units(snapshot, [[1.0]])[0].tolist() == [True, False, False]  # z = 0
    assert inspect.dead_units(random_snapshot(()), np.zeros((3, 20))) == []


# Layer health ---------------------------------------------------------------


def test_layer_health_with_a_known_step():
    architecture = Architecture(hidden=(2,), inputs=2, classes=2)
    w1, w2 = np.ones((2, 2)), np.array([[3.0, 0.0], [0.0, 4.0]])  # norms 2 and 5
    before = Snapshot.of(architecture, [(w1, np.zeros(2)), (w2, np.zeros(2))])
    step = np.array([[0.2, 0.0], [0.0, 0.0]])  # norm 0.2
    after = Snapshot.of(architecture, [(w1 + step, np.ones(2)), (w2, np.zeros(2))])  # biases do not count
    first, second = inspect.layer_health(before, after)
    assert first.layer == 1 and second.layer == 2
    assert first.weight_norm == pytest.approx(math.sqrt(1.2**2 + 3))
    assert first.update_norm == pytest.approx(0.2) and first.update_ratio == pytest.approx(0.1)
    assert second.weight_norm == pytest.approx(5.0)
    assert second.update_norm == 0.0 and second.update_ratio == 0.0


def test_layer_health_edge_cases():
    architecture = Architecture(hidden=(), inputs=2, classes=2)
    zero = Snapshot.of(architecture, [(np.zeros((2, 2)), np.zeros(2))])
    moved = Snapshot.of(architecture, [(np.eye(2), np.zeros(2))])
    assert inspect.layer_health(zero, moved)[0].update_ratio == math.inf
    assert inspect.layer_health(zero, zero)[0].update_ratio == 0.0
    with pytest.raises(ValueError, match="different layer shapes"):
        inspect.layer_health(zero, random_snapshot((), inputs=2, classes=3))


# Tiles ----------------------------------------------------------------------


@pytest.mark.parametrize("hidden, units", [((), 10), ((16,), 16), ((12, 8), 12)])
def test_first_layer_tiles(hidden, units):
    snapshot = random_snapshot(hidden, inputs=784, classes=10)
    tiles = inspect.first_layer_tiles(snapshot)
    assert tiles.shape == (units, 28, 28)
    weight = snapshot.weights[0][0]
    assert tiles[3, 2, 5] == weight[2 * 28 + 5, 3]  # pixel (row 2, column 5) of unit 3
    assert np.array_equal(tiles[-1].reshape(784), weight[:, -1])


def test_tiles_need_a_square_input():
    with pytest.raises(ValueError, match="square"):
        inspect.first_layer_tiles(random_snapshot(inputs=20))


# The image grid -------------------------------------------------------------


def test_diverging_mapping():
    tile = np.array([[-2.0, -1.0, 0.0], [0.5, 1.0, 2.0]])
    assert diverging_greys(tile).tolist() == [[0, 64, 128], [160, 192, 255]]
    assert diverging_greys(np.array([[0.0, 1.0]])).tolist() == [[128, 255]]  # nothing negative: no black
    assert diverging_greys(np.array([[-4.0, 1.0]])).tolist() == [[0, 160]]  # symmetric by max |w|
    assert diverging_greys(np.zeros((2, 2))).tolist() == [[128, 128], [128, 128]]


def test_each_tile_is_scaled_on_its_own():
    tiles = np.stack([np.full((2, 2), 0.001), np.full((2, 2), -100.0)])
    grid = tiles_to_grid(tiles, columns=2, gap=1)
    assert grid.shape == (2, 5)
    assert grid[:, :2].tolist() == [[255, 255]] * 2 and grid[:, 3:].tolist() == [[0, 0]] * 2
    assert grid[:, 2].tolist() == [pgm_grid.BACKGROUND] * 2


def test_grid_layout():
    tiles = np.random.default_rng(0).normal(size=(10, 28, 28))
    grid = tiles_to_grid(tiles)  # ceil(sqrt(10)) = 4 columns, 3 rows
    assert grid.dtype == np.uint8 and grid.shape == (3 * 28 + 2, 4 * 28 + 3)
    assert np.array_equal(grid[29:57, 58:86], diverging_greys(tiles[6]))  # row 1, column 2
    assert np.all(grid[57:, 58:] == pgm_grid.BACKGROUND)  # the empty cells after tile 9
    assert tiles_to_grid(tiles, columns=10, gap=0).shape == (28, 280)
    assert tiles_to_grid(tiles, columns=50).shape == (28, 10 * 28 + 9)
    for bad in (np.zeros((0, 28, 28)), np.zeros((28, 28)), np.full((1, 2, 2), np.nan)):
        with pytest.raises(ValueError):
            tiles_to_grid(bad)


def test_write_pgm_grid(tmp_path):
    grid = np.arange(6, dtype=np.uint8).reshape(2, 3)
    path = tmp_path / "grid.pgm"
    write_pgm_grid(path, grid)
    assert path.read_bytes() == b"P5\n3 2\n255\n" + bytes(range(6))
    with pytest.raises(ValueError):
        write_pgm_grid(path, grid.astype(np.float64))


# digit-tui inspect ----------------------------------------------------------


def parse(*argv):
    parser = argparse.ArgumentParser(prog="digit-tui")
    commands = parser.add_subparsers(dest="command")
    add_parser(commands)
    return parser.parse_args(["inspect", *argv])


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, random_snapshot((16,), inputs=784, classes=10))
    return path


def test_inspect_writes_a_pgm(model_file, tmp_path, capsys):
    out = tmp_path / "weights.pgm"
    assert inspect_command(parse("--model", str(model_file), "--out", str(out))) == 0
    header = b"P5\n115 115\n255\n"  # 16 tiles: 4 x 4 of 28 pixels, 3 gaps of 1
    data = out.read_bytes()
    assert data.startswith(header) and len(data) == len(header) + 115 * 115
    assert capsys.readouterr().err == f"wrote 16 tiles (784-16-10) to {out}\n"


def test_inspect_refuses_deeper_layers(model_file, tmp_path):
    out = tmp_path / "weights.pgm"
    with pytest.raises(DigitTuiError, match="only layer 1 can be drawn as 28x28 tiles"):
        inspect_command(parse("--model", str(model_file), "--out", str(out), "--layer", "2"))
    with pytest.raises(DigitTuiError, match="count from 1"):
        inspect_command(parse("--model", str(model_file), "--out", str(out), "--layer", "0"))
    assert not out.exists()


def test_inspect_checks_the_output_before_reading_the_model(tmp_path):
    missing_model = tmp_path / "no-such-model.npz"  # never read: the output check comes first
    with pytest.raises(OutputError, match="does not exist"):
        inspect_command(parse("--model", str(missing_model), "--out", str(tmp_path / "gone" / "w.pgm")))


def test_inspect_refuses_to_overwrite_the_model(model_file):
    with pytest.raises(OutputError, match=r"is also an input \(--model\)"):
        inspect_command(parse("--model", str(model_file), "--out", str(model_file)))


def test_inspect_png_without_pillow_names_the_extra(model_file, tmp_path, monkeypatch):
    monkeypatch.setattr(pgm_grid, "png_supported", lambda: False)
    out = tmp_path / "weights.png"
    with pytest.raises(DigitTuiError, match=r"pip install 'digit-tui\[images\]'"):
        inspect_command(parse("--model", str(model_file), "--out", str(out)))
    assert not out.exists()


def test_inspect_writes_a_png_with_pillow(model_file, tmp_path):
    image = pytest.importorskip("PIL.Image")
    out = tmp_path / "weights.PNG"
    assert inspect_command(parse("--model", str(model_file), "--out", str(out))) == 0
    with image.open(out) as picture:
        assert picture.format == "PNG" and picture.size == (115, 115) and picture.mode == "L"
