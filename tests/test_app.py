"""The Textual app driven by Pilot on a tiny seeded dataset.

Tests wait for the training worker (and then for the UI to handle its
messages) instead of sleeping.
"""

import io

import numpy as np
import pytest
from helpers import settle, wait_until
from rich.console import Console
from textual.binding import Binding

from core import TrainConfig
from core.model_io import load_model
from tui.app import DigitApp
from tui.run_state import Phase
from tui.settings_form import SettingsScreen
from tui.views import BrowserView
from tui.widgets import ConfusionGrid, HistoryTable

TINY = TrainConfig(hidden=(16,), epochs=3, batch_size=8, lr=0.01, schedule="constant")


def status(app):
    return str(app.query_one("#run-status").render())


def position(app):
    return str(app.query_one("#position").render())


async def test_training_finishes_and_fills_the_dashboard(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "Completed after 3 epochs" in status(app)
        assert app.query_one("#history").row_count == 3
        assert len(app.state.history) == 3 and app.state.snapshot is not None


async def test_browser_navigation(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("b")
        browser = app.query_one(BrowserView)
        assert app.focused is browser and position(app).startswith("1 / 20")
        await pilot.press("right", "l", "right")
        assert position(app).startswith("4 / 20")
        await pilot.press("left", "h")
        assert position(app).startswith("2 / 20")
        await pilot.press("pagedown")
        assert position(app).startswith("12 / 20")
        await pilot.press("end")
        assert position(app).startswith("20 / 20")
        await pilot.press("pageup")
        assert position(app).startswith("10 / 20")
        await pilot.press("home")
        assert position(app).startswith("1 / 20")
        for digit in (3, 7, 0):
            await pilot.press(str(digit))
            assert browser.labels[browser.current_row] == digit


async def test_every_filter_and_misclassified_jumps(tiny_csv):
    config = TINY.with_changes(epochs=1, lr=0.001)  # barely trained: plenty of mistakes
    app = DigitApp(config, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("b")
        browser = app.query_one(BrowserView)
        predictions = browser.probabilities.argmax(axis=1)
        wrong = np.flatnonzero(predictions != browser.labels)
        assert len(wrong) >= 2
        await pilot.press("m")
        first = browser.current_row
        await pilot.press("m")
        second = browser.current_row
        assert first in wrong and second in wrong and first != second
        await pilot.press("M")
        assert browser.current_row == first
        await pilot.press("f")
        assert "filter: misclassified" in position(app) and sorted(browser.rows) == sorted(wrong)
        await pilot.press("f")
        assert "filter: least confident" in position(app)
        confidence = browser.probabilities.max(axis=1)[browser.rows]
        assert np.all(np.diff(confidence) >= 0)
        await pilot.press("f")
        assert "filter: all" in position(app) and len(browser.rows) == 20


async def test_confusion_cell_opens_the_browser_on_those_digits(tiny_csv):
    config = TINY.with_changes(epochs=1, lr=0.001)
    app = DigitApp(config, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        grid = app.query_one("#confusion-grid")
        assert app.focused is grid
        confusion = grid.confusion
        true, predicted = [(t, p) for t in range(10) for p in range(10) if confusion[t, p]][0]
        for _ in range(true):
            await pilot.press("down")
        for _ in range(predicted):
            await pilot.press("right")
        await pilot.press("enter")
        browser = app.query_one(BrowserView)
        assert app.focused is browser
        assert f"true {true}, predicted {predicted}" in position(app)
        assert len(browser.rows) == confusion[true, predicted]
        for row in browser.rows:
            assert browser.labels[row] == true and browser.probabilities[row].argmax() == predicted


async def test_pause_resume_and_stop(tiny_csv):
    long_run = TINY.with_changes(epochs=100000)
    app = DigitApp(long_run, data_path=tiny_csv, feed_interval=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.state.phase is Phase.TRAINING)
        await pilot.press("p")
        assert app.state.phase is Phase.PAUSED and app.control.paused and "Paused" in status(app)
        await pilot.press("p")
        assert app.state.phase is Phase.TRAINING and not app.control.paused
        await pilot.press("s")
        await settle(app, pilot)
        assert app.state.phase is Phase.STOPPED and "Stopped" in status(app)
        assert app.state.snapshot is not None


@pytest.mark.animations  # scrolls, as a user sees them
async def test_the_epoch_tables_scrollbar_is_hidden_only_while_it_follows_a_training_run(tiny_csv):
    # A thumb moving with every new row is redrawn down the whole table each
    # second (bytes over SSH) and says nothing while the newest row is shown.
    long_run = TINY.with_changes(epochs=100000)
    app = DigitApp(long_run, data_path=tiny_csv, feed_interval=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(HistoryTable)

        def scrollbar():
            return table.styles.scrollbar_visibility

        await wait_until(pilot, lambda: app.state.phase is Phase.TRAINING and table.row_count > 30)
        assert scrollbar() == "hidden"
        table.focus()
        await pilot.press("home")  # the user scrolls up: the scrollbar says where they are
        await wait_until(pilot, lambda: scrollbar() == "visible")
        await pilot.press("end")
        await wait_until(pilot, lambda: scrollbar() == "hidden")
        await pilot.press("p")
        await wait_until(pilot, lambda: scrollbar() == "visible")
        await pilot.press("p")
        await wait_until(pilot, lambda: scrollbar() == "hidden")
        await pilot.press("s")
        await settle(app, pilot)
        assert app.state.phase is Phase.STOPPED and scrollbar() == "visible"


async def test_settings_form_validates_and_restarts(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        for text, message in (
            ("-1", "learning rate: -1.0 is not a number in (0, 100]"),
            ("abc", "learning rate: 'abc' is not a number"),
        ):
            screen.query_one("#lr").value = text
            screen.action_apply()
            await pilot.pause()
            assert message in str(screen.query_one("#settings-error").render())
            assert app.screen is screen
        screen.query_one("#lr").value = "0.02"
        screen.query_one("#hidden").value = "12,6"
        screen.query_one("#epochs").value = "2"
        screen.action_apply()
        await pilot.pause()
        await settle(app, pilot)
        assert app.state.config.lr == 0.02 and app.state.config.hidden == (12, 6)
        assert app.state.snapshot.architecture.describe() == "784-12-6-10"
        assert "Completed after 2 epochs" in status(app)


async def test_typing_q_in_a_file_name_does_not_quit(tiny_csv, tmp_path):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        field = app.screen.query_one("#path")
        field.value = ""
        await pilot.press("q", "u", "i", "t")
        assert field.value == "quit" and app.is_running
        await pilot.press("escape")
        await pilot.press("q")
    assert not app.is_running


async def test_save_and_open(tiny_csv, tmp_path):
    path = tmp_path / "saved.npz"
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        app.screen.query_one("#path").value = str(path)
        await pilot.press("enter")
        await pilot.pause()
        assert load_model(path).snapshot.architecture.describe() == "784-16-10"
        await pilot.press("o")
        app.screen.query_one("#path").value = str(path)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.state.phase is Phase.OPENED and app.query_one("TabbedContent").active == "browser"


async def test_open_model_flag_goes_straight_to_the_browser(tiny_csv, tmp_path):
    first = DigitApp(TINY, data_path=tiny_csv)
    path = tmp_path / "m.npz"
    async with first.run_test() as pilot:
        await settle(first, pilot)
        state = first.state
        assert first.save_weights(str(path), state.snapshot, state.snapshot_config, state.latest, state.source)
    app = DigitApp(data_path=tiny_csv, model_path=str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.state.phase is Phase.OPENED and app.focused is app.query_one(BrowserView)
        assert app.query_one(BrowserView).probabilities is not None


async def test_bad_input_is_shown_and_the_app_keeps_running(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("label,pixel0\n1,2\n")
    app = DigitApp(TINY, data_path=str(bad))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.state.phase is Phase.FAILED and "Error:" in status(app) and str(bad) in status(app)
        await pilot.press("b")
        assert app.query_one("TabbedContent").active == "browser"
        await pilot.press("o")
        app.screen.query_one("#path").value = str(tmp_path / "missing.npz")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "no such file" in status(app)


async def test_quit_mid_epoch_is_immediate(tiny_csv):
    app = DigitApp(TINY.with_changes(epochs=100000), data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.state.phase is Phase.TRAINING)
        await pilot.press("q")
        await app.workers.wait_for_complete()
    assert app.control.stop_requested and app.return_code in (0, None)


def rendered_text(renderable):
    """A renderable's text, laid out wide enough that no line wraps."""
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def test_help_lists_every_binding(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        text = "".join(
            rendered_text(app.screen.query_one(f"#{part}").content)
            for part in ("help-keys", "help-keys-2", "help-metrics")
        )
        for binding in DigitApp.BINDINGS + BrowserView.BINDINGS + HistoryTable.BINDINGS + ConfusionGrid.BINDINGS:
            if binding.action.startswith("show_view("):  # the views share one line
                assert binding.description in text, binding
            else:
                assert binding.tooltip in text, binding
        assert "samples/s" in text and "best val acc" in text
        await pilot.press("escape")
        assert not app.screen.query("#help-keys")


async def test_resize_keeps_state(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "right", "right")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert position(app).startswith("3 / 20") and len(app.state.history) == 3
        assert app.query_one(HistoryTable).row_count == 3


async def test_every_app_binding_is_in_the_command_palette(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test() as pilot:
        await settle(app, pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        shown = {b.key: app.get_key_display(Binding(b.key.split(",")[0], "")) for b in BrowserView.BINDINGS}
    for binding in DigitApp.BINDINGS:
        if binding.action in ("pause", "resume", "stop"):  # the run has ended: they would do nothing
            assert binding.description not in titles
        elif binding.key != "q":
            assert binding.description in titles
    for binding in BrowserView.BINDINGS:
        assert f"Digits: {binding.tooltip} ({shown[binding.key]})" in titles  # "end", "→": never "right_square_bracket"
    assert any("theme" in title.lower() for title in titles)  # light and dark themes


async def test_a_browser_command_from_the_palette(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Digits: Last digit (end)")
        command.callback()
        await pilot.pause()
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "browser"
        assert position(app).startswith("20 / 20")


async def test_resizing_during_training_loses_nothing(tiny_csv):
    app = DigitApp(TINY.with_changes(epochs=100000), data_path=tiny_csv, feed_interval=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(app.state.history) >= 3)
        await pilot.press("b", "right", "right")
        before = len(app.state.history)
        await pilot.resize_terminal(40, 12)
        await pilot.pause(0.3)
        assert app.has_class("-too-small")
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.3)
        assert not app.has_class("-too-small")
        assert position(app).startswith("3 / 20") and app.state.phase is Phase.TRAINING
        await pilot.press("s")
        await settle(app, pilot)
        epochs = [record.epoch for record in app.state.history]
        assert len(epochs) > before and epochs == list(range(1, len(epochs) + 1))


async def test_q_quits_from_every_dialog_without_a_text_field(tiny_csv):
    """A modal screen hides the app's keys; each dialog brings q back, and a
    text field still keeps the q typed into it."""
    for keys in (["question_mark"], ["b", "a"], ["b", "g", "q"]):
        app = DigitApp(TINY, data_path=tiny_csv)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            for key in keys:
                await pilot.press(key)
                await pilot.pause()
            if keys[-1] == "q":  # typed into the go-to field: the app runs on
                assert app.is_running and app.screen.query_one("#jump-number").value.endswith("q")
                await pilot.press("escape")
                await pilot.pause()
                await pilot.press("q")
            else:
                assert app.screen is not app.screen_stack[0]  # the dialog is open
                await pilot.press("q")
            await pilot.pause()
        assert not app.is_running, keys


async def test_a_run_whose_patience_ran_out_says_it_stopped_early(tiny_csv):
    app = DigitApp(TINY.with_changes(epochs=300, patience=2, keep="last"), data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        last = app.state.latest.epoch
        assert last < 300 and app.state.end_reason == "early stopped"
        assert f"Stopped early after {last} of 300 epochs (no gain for 2)" in status(app)


async def test_keeping_the_best_epoch_says_which_and_what_the_last_had(tiny_csv):
    config = TrainConfig(hidden=(16,), epochs=12, batch_size=4, lr=0.2, schedule="constant")  # noisy
    app = DigitApp(config, data_path=tiny_csv, show_timing=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        kept = app.state.weights_record
        assert kept.epoch == app.state.kept_epoch == app.state.latest.best_epoch
        assert kept is not app.state.latest  # else this test could not tell the two apart
        assert f"kept the best weights, epoch {kept.epoch}, val acc {kept.val_accuracy:.2%}" in status(app)
        assert f"(last epoch: {app.state.latest.val_accuracy:.2%})" in status(app)
        assert app.state.snapshot is not None and app.state.val_probabilities is not None


def test_the_suite_turns_animations_off():
    assert DigitApp().animation_level == "none"  # see no_animations in conftest.py


@pytest.mark.animations
def test_a_test_marked_animations_sees_them_as_a_user_does():
    assert DigitApp().animation_level == "full"
