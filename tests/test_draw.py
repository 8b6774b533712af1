"""The Draw view: the pad's strokes, mouse and keyboard drawing, the live
prediction through MNIST-style preprocessing."""

import numpy as np
from helpers import settle, wait_until

from core import TrainConfig
from tui.app import DigitApp
from tui.drawing import Pad, segment
from tui.views.draw import PREDICT_EVERY, DrawPad, DrawView

TINY = TrainConfig(hidden=(16,), epochs=3, batch_size=8, lr=0.01, schedule="constant")


def test_a_fast_drag_leaves_no_gaps():
    points = segment((0, 0), (30, 7))
    assert points[0] == (0, 0) and points[-1] == (30, 7) and len(points) == 31
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        assert abs(x1 - x0) <= 1 and abs(y1 - y0) <= 1


def test_undo_is_exact_and_erasing_erases():
    pad = Pad(width=44, height=28, radius=1)
    pad.begin(5, 5)
    pad.extend(20, 5)
    after_first = pad.pixels.copy()
    pad.begin(10, 0, erase=False)
    pad.extend(10, 27)
    assert not np.array_equal(pad.pixels, after_first)
    pad.undo()
    assert np.array_equal(pad.pixels, after_first)
    pad.begin(12, 5, erase=True)
    assert pad.pixels[5, 12] == 0 and pad.pixels[5, 6] == 1
    pad.clear()
    assert pad.blank and not pad.strokes


def test_points_outside_the_pad_are_clamped_and_the_brush_has_limits():
    pad = Pad(width=44, height=28, radius=4)
    pad.change_brush(1)
    assert pad.radius == 4
    pad.begin(-10, 99)
    assert pad.strokes[0].points[0] == (0, 27) and pad.pixels[27, 0] == 1


async def test_mouse_down_drag_up_draws_a_stroke_and_the_prediction_follows(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        pad = app.query_one(DrawPad)
        assert app.focused is pad
        answer = app.query_one("#draw-answer")
        assert "Nothing drawn" in str(answer.render())
        await pilot.mouse_down(DrawPad, offset=(20, 2))
        for y in range(3, 13):
            await pilot.hover(DrawPad, offset=(20, y))
        await pilot.mouse_up(DrawPad, offset=(20, 12))
        await pilot.pause(0.3)
        assert len(pad.pad.strokes) == 1 and pad.pad.pixels[:, 19].sum() >= 18  # a vertical line, no gaps
        assert "predicted" in str(answer.render())
        assert app.query_one("#draw-input").image is not None  # what the network receives


async def test_the_keyboard_draws_undoes_clears_and_loads_a_real_digit(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "right", "right", "d")
        await pilot.pause()
        pad = app.query_one(DrawPad)
        start = pad.pad.cursor
        await pilot.press("space", "right", "right", "right", "down", "down", "space")
        assert pad.pad.cursor == (start[0] + 3, start[1] + 2) and len(pad.pad.strokes) == 1
        assert pad.pad.pixels[start[1], start[0] + 3] == 1
        await pilot.press("plus", "space", "left", "space")
        assert pad.pad.strokes[-1].radius == 3 and len(pad.pad.strokes) == 2
        await pilot.press("x")
        assert len(pad.pad.strokes) == 1
        await pilot.press("c")
        assert pad.pad.blank
        await pilot.press("e")  # the digit the browser shows: row 2 of the validation set
        await pilot.pause(0.3)
        expected = app.state.val_images[app.state.browser_row].reshape(28, 28) / 255.0
        assert app.state.browser_row == 2 and np.allclose(pad.pad.pixels[:, 8:36], expected)
        assert "predicted" in str(app.query_one("#draw-answer").render())


async def test_the_status_line_follows_the_pen_and_the_brush_at_once(tiny_csv, monkeypatch):
    """Lifting the pen or changing the brush changes no pixel: the status line
    follows at once (it once waited for the next prediction, and said "pen
    down" after the pen was lifted), and nothing is predicted again or sent
    to the Inside view as a new drawing."""
    predictions, drawn = [], []
    predict, on_drawn = DrawView._predict, DigitApp.on_draw_view_drawn
    monkeypatch.setattr(DrawView, "_predict", lambda self: predictions.append(1) or predict(self))
    monkeypatch.setattr(DigitApp, "on_draw_view_drawn", lambda self, m: drawn.append(m.digit) or on_drawn(self, m))
    app = DigitApp(TINY, data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d", "space", "down")
        view = app.query_one(DrawView)
        await wait_until(pilot, lambda: not view.prediction_due)  # the prediction for the stroke is made
        await pilot.pause(PREDICT_EVERY * 2)
        status = app.query_one("#draw-status")
        assert "pen down" in str(status.render())
        predicted, sent = len(predictions), len(drawn)
        assert sent >= 1 and app.state.inside_source == "draw"
        await pilot.press("space", "plus")
        assert str(status.render()).startswith("pen up   brush 3   strokes 1")
        await pilot.press("minus", "minus", "left")
        assert "brush 1" in str(status.render())
        await pilot.pause(PREDICT_EVERY * 2)
        assert (len(predictions), len(drawn)) == (predicted, sent)
        app.show_run({"predictions"})  # new weights, as each epoch brings: a new prediction, the same drawing
        await pilot.pause()
        assert len(predictions) == predicted + 1 and len(drawn) == sent


async def test_the_draw_view_in_ascii_mode_is_pure_ascii(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv, show_timing=False, ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d", "space", "right", "right", "down", "space")
        await pilot.pause(0.3)
        view = app.query_one(DrawView)
        text = "".join(strip.text for strip in view.render_lines(view.region.reset_offset))
        text += "".join(
            strip.text for widget in view.query("*") for strip in widget.render_lines(widget.region.reset_offset)
        )
        assert text.isascii() and "+" in text


async def test_a_drawing_is_exported_as_pgm_and_as_a_labelled_csv_row(tiny_csv, tmp_path):
    from data import load_dataset

    app = DigitApp(TINY, data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await pilot.mouse_down(DrawPad, offset=(20, 2))
        for y in range(3, 13):
            await pilot.hover(DrawPad, offset=(20, y))
        await pilot.mouse_up(DrawPad, offset=(20, 12))
        for label in ("1", "7"):
            await pilot.press("ctrl+e")
            await pilot.pause()
            app.screen.query_one("#export-csv").value = str(tmp_path / "mine.csv")
            app.screen.query_one("#export-label").value = label
            await pilot.press("enter")
            await app.workers.wait_for_complete()  # the files are written in a thread
            await pilot.pause()
    assert (tmp_path / "mine-0001.pgm").read_bytes().startswith(b"P5\n28 28\n255\n")
    assert (tmp_path / "mine-0002.pgm").exists()
    saved = load_dataset(tmp_path / "mine.csv")
    assert saved.labels.tolist() == [1, 7] and saved.images.shape == (2, 784) and saved.images.max() == 255


async def test_an_export_that_fails_in_any_way_is_said_and_the_run_goes_on(tiny_csv, tmp_path, monkeypatch):
    from tui.run_state import Phase
    from tui.views import draw

    def broken(*args):
        raise ValueError("a bug while appending")

    monkeypatch.setattr(draw, "append_row", broken)
    app = DigitApp(TINY.with_changes(epochs=100_000), data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.state.phase is Phase.TRAINING)
        await pilot.press("p")  # paused: still a run in progress, and a quiet machine for the rest
        await wait_until(pilot, lambda: app.state.phase is Phase.PAUSED)
        await pilot.press("d")
        await pilot.mouse_down(DrawPad, offset=(20, 2))
        await pilot.hover(DrawPad, offset=(20, 8))
        await pilot.mouse_up(DrawPad, offset=(20, 8))
        await pilot.press("ctrl+e")
        await pilot.pause()
        app.screen.query_one("#export-csv").value = str(tmp_path / "mine.csv")
        app.screen.query_one("#export-label").value = "1"
        await pilot.press("enter")
        said = lambda: any("unexpected error: ValueError" in n.message for n in app._notifications)  # noqa: E731
        await wait_until(pilot, said)
        await pilot.pause()
        assert app.state.phase is Phase.PAUSED  # not FAILED: an export's error is not the run's
        await pilot.press("q")  # stops the paused run: its worker ends
