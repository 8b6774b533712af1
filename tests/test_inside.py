"""The Inside view: tiles, activations, reasons, softmax and health, for
every architecture the project trains, following the weights as they learn."""

import pytest
from helpers import settle, wait_until
from textual.geometry import Region

from core import TrainConfig
from tui.app import DigitApp
from tui.run_state import Phase
from tui.views.inside import InsideView

TINY = TrainConfig(hidden=(16,), epochs=3, batch_size=8, lr=0.01, schedule="constant")


def shown(app, selector):
    widget = app.screen.query_one(selector)
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(line.text.rstrip() for line in lines)


@pytest.mark.parametrize(
    "hidden, activation",
    [((), "relu"), ((12,), "relu"), ((12, 8), "leaky_relu"), ((12,), "sigmoid"), ((12, 6), "tanh")],
)
async def test_every_architecture_shows_every_panel(tiny_csv, hidden, activation):
    app = DigitApp(TINY.with_changes(hidden=hidden, activation=activation), data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "i")
        await pilot.pause(0.3)
        assert "predicted" in shown(app, "#inside-title")
        assert "first-layer weights" in shown(app, "#inside-tiles")
        layers = shown(app, "#inside-layers")
        assert all(f"hidden {n + 1}:" in layers for n in range(len(hidden)))
        assert ("no hidden layer" in layers) == (not hidden)
        assert "pushed up" in shown(app, "#inside-why") and "p = exp/sum" in shown(app, "#inside-softmax")
        assert "layer 1: |W|" in shown(app, "#inside-health")


async def test_keys_page_order_temperature_and_digits(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "i")
        await pilot.pause(0.3)
        assert app.focused is app.query_one(InsideView)
        tiles = shown(app, "#inside-tiles")
        assert "page 1/2, by activation" in tiles
        await pilot.press("right_square_bracket")
        assert "page 2/2" in shown(app, "#inside-tiles")
        await pilot.press("a")
        assert "by number" in shown(app, "#inside-tiles")
        title, softmax = shown(app, "#inside-title"), shown(app, "#inside-softmax")
        await pilot.press("plus", "plus")
        assert shown(app, "#inside-softmax") != softmax and "temperature 4" in shown(app, "#inside-softmax")
        assert shown(app, "#inside-title") == title  # the answer stays
        await pilot.press("right")
        await pilot.pause()
        assert app.state.browser_row == 1 and "validation row 1" in shown(app, "#inside-title")


async def test_the_drawing_pad_is_inspected_when_it_was_used_last(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(app, pilot)
        await pilot.press("d", "space", "down", "down", "down", "space")
        await pilot.pause(0.4)
        await pilot.press("i")
        await pilot.pause(0.3)
        assert "the drawing pad" in shown(app, "#inside-title")


async def test_the_tiles_follow_the_weights_while_training(tiny_csv):
    app = DigitApp(
        TINY.with_changes(epochs=100000, lr=0.001),
        data_path=tiny_csv,
        feed_interval=0.05,
        show_timing=False,
        ascii_only=True,
    )
    async with app.run_test(size=(120, 60)) as pilot:
        await wait_until(pilot, lambda: app.state.phase is Phase.TRAINING and app.state.snapshot is not None)
        await pilot.press("b", "i")
        await pilot.pause(0.3)
        first = app.state.snapshot
        before = shown(app, "#inside-tiles")
        await wait_until(pilot, lambda: app.state.snapshot is not first and len(app.state.history) >= 3)
        # redrawn within a few seconds of new weights (not at every epoch: see REDRAW_EVERY)
        await wait_until(pilot, lambda: shown(app, "#inside-tiles") != before)
        assert shown(app, "#inside-tiles").isascii()
        await pilot.press("s")
        await settle(app, pilot)
