"""The app on a downloaded dataset (a small fake 'fashion-mnist' folder in
the test's own data folder): class names in the browser and the confusion
view, an opened model's own names, the official test accuracy at the end,
and jumping to digit N."""

import numpy as np
import pytest
from helpers import settle, synthetic_digits, write_idx_pair

from core import TrainConfig, load_model
from data import datasets
from tui.app import DigitApp
from tui.dialogs import JumpScreen
from tui.messages import OfficialTestScored
from tui.run_state import Phase
from tui.session import score_test_part
from tui.views import BrowserView
from tui.widgets import ConfusionGrid, Prediction

TINY = TrainConfig(hidden=(16,), epochs=2, batch_size=8, lr=0.01, schedule="constant")
FASHION = datasets.DATASETS["fashion-mnist"].classes
KMNIST = datasets.DATASETS["kmnist"].classes


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("DIGIT_TUI_DATA_DIR", str(folder))
    monkeypatch.setenv("DIGIT_TUI_RECORD", "off")
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture
def fashion(data_dir):
    """A downloaded 'fashion-mnist': 100 training digits (20 validate), 30 test digits."""
    folder = data_dir / "fashion-mnist"
    folder.mkdir(parents=True)
    write_idx_pair(folder, *synthetic_digits(100, seed=4), compress=True, prefix="train")
    write_idx_pair(folder, *synthetic_digits(30, seed=6), compress=True, prefix="t10k")
    return folder


def status(app):
    return str(app.query_one("#run-status").render())


def position(app):
    return str(app.query_one("#position").render())


def shown_prediction(app):
    return app.query_one(Prediction).render()


def plain(renderable):
    """The text of a Text or a Group of them."""
    parts = getattr(renderable, "renderables", [renderable])
    return "\n".join(part.plain for part in parts)


async def test_the_browser_and_the_confusion_view_name_the_classes(fashion):
    app = DigitApp(TINY, data_path="fashion-mnist", show_timing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.state.class_names == FASHION
        await pilot.press("b")
        browser = app.query_one(BrowserView)
        text = plain(shown_prediction(app))
        true_name = FASHION[browser.labels[browser.current_row]]
        assert f"true {true_name}" in text and "predicted" in text
        assert all(name in text for name in FASHION)  # the ten bars, each with its name
        await pilot.press("c")
        grid = app.query_one(ConfusionGrid)
        header = grid.render().plain.split("\n")[0]
        assert header.split()[1:4] == ["T-shi", "Trous", "Pullo"]
        legend = str(app.query_one("#confusion-legend").render())
        assert "0 T-shirt/top" in legend and "9 Ankle boot" in legend
        assert "true class" in str(app.query_one("#confusion-help").render())
        true, predicted = next((t, p) for t in range(10) for p in range(10) if grid.confusion[t, p])
        grid.cursor = (true, predicted)
        await pilot.press("enter")
        await pilot.pause()
        assert f"true {FASHION[true]}, predicted {FASHION[predicted]}" in position(app)


async def test_digits_stay_digits_and_have_no_legend(tiny_csv, data_dir):
    app = DigitApp(TINY, data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        assert not app.query_one("#confusion-legend").display
        assert app.query_one(ConfusionGrid).render().plain.split("\n")[0].split()[1:4] == ["0", "1", "2"]
        assert "test acc" not in status(app)  # a single CSV has no official test part
        assert app.state.test_accuracy is None


async def test_the_official_test_accuracy_shows_when_the_run_ends(fashion, tmp_path):
    app = DigitApp(TINY, data_path="fashion-mnist", show_timing=False, save_path=str(tmp_path / "auto.npz"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.state.phase is Phase.COMPLETED
        expected = score_test_part(app.state.snapshot, "fashion-mnist").accuracy
        assert app.state.test_accuracy == expected
        assert f"test acc {expected:.2%}" in status(app)
    saved = load_model(tmp_path / "auto.npz")  # --save keeps the names of the data it learnt
    assert saved.classes == FASHION


async def test_a_test_score_for_other_weights_is_ignored(fashion):
    app = DigitApp(TINY, data_path="fashion-mnist", show_timing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        before = app.state.test_accuracy
        other = app.state.previous_snapshot
        stale = OfficialTestScored(other, 0.123, 30)
        stale.run_id = app.state.run_id
        app.post_message(stale)
        await pilot.pause()
        assert app.state.test_accuracy == before != 0.123


async def test_a_damaged_test_part_is_said_and_the_run_stands(fashion):
    (fashion / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    app = DigitApp(TINY, data_path="fashion-mnist", show_timing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.state.phase is Phase.COMPLETED and app.state.test_accuracy is None
        messages = [notification.message for notification in app._notifications]
        assert any("No test accuracy" in text and "t10k-images" in text for text in messages), messages
        assert "Completed" in status(app)


async def test_an_opened_model_shows_its_own_names(tiny_csv, tmp_path, data_dir):
    """A KMNIST model opened over digit data still names its classes in romaji."""
    first = DigitApp(TINY, data_path=tiny_csv)
    path = tmp_path / "kmnist-model.npz"
    async with first.run_test() as pilot:
        await settle(first, pilot)
        run = first.state
        assert first.save_weights(str(path), run.snapshot, run.snapshot_config, run.latest, run.source, 255.0, KMNIST)
    assert load_model(path).classes == KMNIST
    app = DigitApp(data_path=tiny_csv, model_path=str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.state.phase is Phase.OPENED and app.state.class_names == KMNIST
        browser = app.query_one(BrowserView)
        assert f"true {KMNIST[browser.labels[browser.current_row]]}" in plain(shown_prediction(app))
        assert app.query_one(ConfusionGrid).class_names == KMNIST


async def test_an_opened_model_gets_the_test_accuracy_too(fashion, tmp_path):
    first = DigitApp(TINY, data_path="fashion-mnist")
    path = tmp_path / "fashion-model.npz"
    async with first.run_test() as pilot:
        await settle(first, pilot)
        run = first.state
        first.save_weights(str(path), run.snapshot, run.snapshot_config, run.latest, run.source, 255.0, FASHION)
    app = DigitApp(data_path="fashion-mnist", model_path=str(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        expected = score_test_part(load_model(path).snapshot, "fashion-mnist").accuracy
        assert app.state.phase is Phase.OPENED and app.state.test_accuracy == expected
        assert f"test acc {expected:.2%}" in status(app)


# ---- jump to digit N ------------------------------------------------------------


async def test_jump_to_a_digit_number(tiny_csv, data_dir):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "g")
        assert isinstance(app.screen, JumpScreen)
        assert app.screen.query_one("#jump-number").value == "1"
        await pilot.press("1", "5", "enter")
        assert not isinstance(app.screen, JumpScreen)
        assert position(app).startswith("15 / 20")
        assert app.focused is app.query_one(BrowserView)


@pytest.mark.parametrize("typed, words", [("25", "the numbers go from 1 to 20"), ("x", "type a whole number")])
async def test_a_bad_number_is_said_and_the_dialog_stays(tiny_csv, data_dir, typed, words):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "right", "g", *typed, "enter")
        assert isinstance(app.screen, JumpScreen)
        assert words in str(app.screen.query_one("#jump-error").render())
        await pilot.press("backspace", "backspace", "3")  # typing clears the message
        assert str(app.screen.query_one("#jump-error").render()) == ""
        await pilot.press("escape")
        assert app.is_running and not isinstance(app.screen, JumpScreen)
        assert position(app).startswith("2 / 20")  # Escape moves nothing


async def test_jump_counts_within_the_filter(tiny_csv, data_dir):
    app = DigitApp(TINY.with_changes(epochs=1, lr=0.001), data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "f")  # misclassified only
        browser = app.query_one(BrowserView)
        count = len(browser.rows)
        assert 2 <= count < 20
        await pilot.press("g", *str(count), "enter")
        assert position(app).startswith(f"{count} / {count}")
        assert browser.current_row == browser.rows[-1]
        predictions = browser.probabilities.argmax(axis=1)
        assert predictions[browser.current_row] != browser.labels[browser.current_row]


async def test_jump_is_a_key_with_help_and_a_palette_command(tiny_csv, data_dir):
    binding = next(b for b in BrowserView.BINDINGS if b.action == "ask_position")
    assert binding.key == "g" and binding.description and binding.tooltip
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert f"Digits: {binding.tooltip} (g)" in titles


async def test_the_browser_takes_a_large_set_and_finds_the_one_mistake(data_dir):
    """10,000 digits: the next mistake and the next of a class are found
    however far they are (one NumPy pass, never a Python loop a row)."""

    class Idle(DigitApp):
        def start_training(self, config):  # the data is put in by hand
            pass

    count = 10_000
    images, labels = synthetic_digits(count, seed=1)
    probabilities = np.full((count, 10), 0.01, dtype=np.float32)
    probabilities[np.arange(count), labels] = 0.91
    probabilities[7_777] = np.roll(probabilities[7_777], 1)  # the one mistake
    app = Idle(TINY)
    async with app.run_test(size=(80, 24)) as pilot:
        app.state.val_images, app.state.val_labels = images, labels
        app.show_run({"data"})
        app.state.val_probabilities = probabilities
        app.show_run({"predictions"})
        await pilot.press("b", "m")
        browser = app.query_one(BrowserView)
        assert browser.current_row == 7_777
        await pilot.press("M")  # backwards, wrapping round to the same one
        assert browser.current_row == 7_777
        await pilot.press("g", *"9999", "enter")
        assert position(app).startswith("9999 / 10000")
        await pilot.press("3")  # labels cycle 0-9: past 9,999 (a 9), round to the start
        assert browser.position == 3 and labels[browser.current_row] == 3


async def test_the_inside_and_draw_views_name_the_predicted_class(fashion):
    app = DigitApp(TINY, data_path="fashion-mnist", show_timing=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "i")
        await pilot.pause()
        title = str(app.query_one("#inside-title").render())
        assert any(f"predicted {number} {name}" in title for number, name in enumerate(FASHION))
        await pilot.press("d", "space", "down", "down", "space")
        await pilot.pause(0.3)
        answer = str(app.query_one("#draw-answer").render())
        assert any(f"predicted {number} {name}" in answer for number, name in enumerate(FASHION))
