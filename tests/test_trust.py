"""The app's numbers agree, its keys do what they say, and nothing typed
into a dialog reaches the app (the trust issue's defects, one test each)."""

import os
import re

import numpy as np
import pytest
from helpers import settle, synthetic_digits, wait_until, write_csv
from textual.geometry import Region
from textual.widgets import Footer, ProgressBar, Tabs
from textual.widgets._footer import FooterKey

from core import APP_PRESET, PRESETS, TrainConfig
from core.inference import Snapshot, probabilities
from core.model_io import load_model
from tui.app import DigitApp
from tui.dialogs import ConfirmScreen, SaveScreen
from tui.help import HelpScreen, key_sections
from tui.run_state import Phase
from tui.settings_form import SettingsScreen
from tui.views import BrowserView, TrainingView
from tui.widgets import ConfusionGrid, HistoryTable

TINY = TrainConfig(hidden=(16,), epochs=3, batch_size=8, lr=0.01, schedule="constant")
LONG = TINY.with_changes(epochs=100000)


def text_of(app, selector):
    """What a widget shows, as plain text lines (trailing blanks dropped)."""
    widget = app.screen.query_one(selector)
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(line.text.rstrip() for line in lines).strip("\n")


async def test_a_preset_picked_in_the_form_is_applied_whole(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        form = app.screen
        assert isinstance(form, SettingsScreen) and app.focused is form.query_one("#preset")
        form.query_one("#preset").value = "seed"
        await pilot.pause()
        config = form.read_config()
        assert config == PRESETS["seed"]  # init, momentum, schedule's step and gamma too
        for name in ("init", "momentum", "val_fraction", "step_every", "gamma"):
            assert form.query(f"#{name}"), name  # every setting is in the form


async def test_after_a_stop_every_number_describes_the_stopped_weights(tiny_csv):
    slow = LONG.with_changes(batch_size=4, lr=0.0003)  # still learning when stopped: numbers differ by epoch
    app = DigitApp(slow, data_path=tiny_csv, feed_interval=0.05)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: len(app.state.history) >= 2)
        await pilot.press("s")
        await settle(app, pilot)
        state = app.state
        last = state.latest
        assert state.phase is Phase.STOPPED
        shown = f"{last.val_accuracy:.2%}"
        assert shown in text_of(app, "#run-status") and shown in text_of(app, "#metrics")
        table = app.query_one(HistoryTable)
        last_row = table.get_row_at(table.row_count - 1)
        assert last_row[-1] == f"{last.val_accuracy:.1%}"
        assert last_row[0] == (f"{last.epoch}*" if last.partial else str(last.epoch))
        # the browser and the confusion matrix use the same weights, and so does a save
        expected = probabilities(state.snapshot, state.val_images.astype(np.float32) / 255)
        assert np.allclose(app.query_one(BrowserView).probabilities, expected, atol=1e-5)
        grid = app.query_one(ConfusionGrid).confusion
        assert np.trace(grid) / grid.sum() == pytest.approx(last.val_accuracy)


async def test_the_ui_gets_read_only_snapshots_never_the_trained_network(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test() as pilot:
        await settle(app, pilot)
        snapshot = app.state.snapshot
        assert isinstance(snapshot, Snapshot)
        assert all(not array.flags.writeable for pair in snapshot.weights for array in pair)
        assert not hasattr(app, "network") and not hasattr(app.state, "network")


async def test_an_opened_model_leaves_the_training_view_still(tiny_csv, tmp_path):
    path = tmp_path / "m.npz"
    first = DigitApp(TINY, data_path=tiny_csv)
    async with first.run_test() as pilot:
        await settle(first, pilot)
        state = first.state
        first.save_weights(str(path), state.snapshot, state.snapshot_config, state.latest, state.source)
    app = DigitApp(data_path=tiny_csv, model_path=str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await pilot.pause()
        assert not app.query_one("#bars").display  # no bouncing indeterminate bars
        assert all(bar.total is not None for bar in app.query(ProgressBar))
        assert "Opened" in text_of(app, "#run-status") and "r trains a new model" in text_of(app, "#run-status")


async def test_a_failed_data_file_leaves_the_training_view_still(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing here\n")
    app = DigitApp(TINY, data_path=str(bad))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.state.phase is Phase.FAILED and not app.query_one("#bars").display


async def test_the_etas_show_a_time_and_the_run_bar_never_goes_back(tiny_csv):
    app = DigitApp(LONG.with_changes(batch_size=2), data_path=tiny_csv, feed_interval=0.02)
    seen = []
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.query_one("#run-bar", ProgressBar)

        def both_etas_show_a_time():  # they are redrawn once a second
            seen.append(bar.progress)
            shown = [text_of(app, eta).strip() for eta in ("#run-eta", "#epoch-eta")]
            return all(re.fullmatch(r"ETA \d+:\d\d:\d\d", text) for text in shown)

        await wait_until(pilot, both_etas_show_a_time)
        await pilot.press("s")
        await settle(app, pilot)
    assert seen == sorted(seen) and seen[-1] > 0


async def test_save_while_training_pauses_and_keys_stay_in_the_dialog(tiny_csv, tmp_path):
    app = DigitApp(LONG, data_path=tiny_csv, feed_interval=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.state.snapshot is not None and app.state.phase is Phase.TRAINING)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SaveScreen) and app.state.phase is Phase.PAUSED
        field = app.screen.query_one("#path")
        field.value = ""
        await pilot.press("q", "s", "p", "r", "o", "ctrl+s")
        assert field.value == "qspro" and app.is_running and isinstance(app.screen, SaveScreen)
        assert app.state.phase is Phase.PAUSED  # p and s went into the name, not to the run
        await pilot.press("escape")
        assert app.state.phase is Phase.TRAINING  # the dialog's pause ends with it
        await pilot.press("s")
        await settle(app, pilot)


async def test_save_dialog_expands_home_adds_npz_remembers_and_asks_before_replacing(tiny_csv, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        app.screen.query_one("#path").value = "~/first"
        await pilot.pause()
        assert f"Saves to {tmp_path}/first.npz" in " ".join(text_of(app, "#save-target").split())
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / "first.npz").exists() and not isinstance(app.screen, SaveScreen)
        before = (tmp_path / "first.npz").read_bytes()
        await pilot.press("ctrl+s")
        assert app.screen.query_one("#path").value == f"{tmp_path}/first.npz"  # the last name
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, SaveScreen)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, (SaveScreen, ConfirmScreen))
        assert load_model(tmp_path / "first.npz").snapshot.architecture.describe() == "784-16-10"
        assert (tmp_path / "first.npz").read_bytes() == before  # same weights, same bytes


async def test_save_dialog_refuses_an_input_and_a_missing_folder(tiny_csv, tmp_path):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        for path, message in ((tmp_path / "missing" / "m.npz", "does not exist"),):
            app.screen.query_one("#path").value = str(path)
            await pilot.press("enter")
            await pilot.pause()
            assert message in text_of(app, "#save-error") and isinstance(app.screen, SaveScreen)


async def test_a_saved_model_records_the_settings_its_weights_were_trained_with(tiny_csv, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing here\n")
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        trained_with = app.state.config
        app.data_path = str(bad)
        app.start_training(TINY.with_changes(seed=7, val_fraction=0.5))  # fails before training
        await settle(app, pilot)
        assert app.state.phase is Phase.FAILED and app.state.snapshot is None
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, SaveScreen)  # nothing to save: the old weights are gone
    assert trained_with == TINY


async def test_tab_never_reaches_the_tab_strip_and_focus_is_shown(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("b")
        await pilot.press("tab", "tab", "right")
        assert app.query_one("TabbedContent").active == "browser"
        assert not app.query_one(Tabs).can_focus and app.focused is app.query_one(BrowserView)
        assert "2 / 20" in text_of(app, "#position")


@pytest.mark.parametrize("view", ["t", "b", "c", "d", "i", "u"])
async def test_the_footer_fits_80_columns_in_every_view_and_phase(tiny_csv, view):
    app = DigitApp(LONG, data_path=tiny_csv, feed_interval=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.state.phase is Phase.TRAINING)
        await pilot.press(view)
        for _ in range(2):  # training, then stopped
            await pilot.pause()
            footer = app.screen.query_one(Footer)
            used = sum(key.outer_size.width for key in footer.query(FooterKey))
            assert 0 < used <= footer.size.width
            await pilot.press("s")
            await settle(app, pilot)


async def test_form_errors_are_plain_text_and_wrap(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        form = app.screen
        form.query_one("#dropout").value = "[/]"
        form.action_apply()
        await pilot.pause()
        assert "dropout: '[/]' is not a number in [0, 0.95]" in text_of(app, "#settings-error")
        form.query_one("#hidden").value = "[b]" * 30
        form.action_apply()
        await pilot.pause()
        assert text_of(app, "#settings-error").startswith("hidden layers: '[b][b]")
        assert app.is_running and isinstance(app.screen, SettingsScreen)


async def test_full_batch_runs_say_iteration_and_hide_the_inner_bar(tiny_csv):
    app = DigitApp(PRESETS["seed"].with_changes(epochs=5), data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert str(app.query_one("#epoch-bar-label").render()) == "Iteration"
        assert not app.query_one("#epoch-row").display
        assert "Completed after 5 iterations" in text_of(app, "#run-status")


async def test_loading_a_new_run_empties_the_old_bars(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.query_one("#run-bar", ProgressBar).percentage == 1
        app.state.begin(TINY)
        app.show_run({"phase"})
        assert app.query_one("#run-bar", ProgressBar).percentage == 0
        assert app.query_one(HistoryTable).row_count == 0


async def test_step_and_elapsed_follow_the_batches_not_the_epochs(tiny_csv):
    """Before, step and elapsed changed once an epoch; now they follow the
    batches (redrawn once a second): a step in the middle of an epoch shows."""
    app = DigitApp(LONG.with_changes(batch_size=2), data_path=tiny_csv, feed_interval=0.02)
    async with app.run_test(size=(100, 30)) as pilot:

        def mid_epoch_step_shown():
            found = re.search(r"step\s+(\d+)", text_of(app, "#metrics"))
            batches = app.state.batches_per_epoch
            return found is not None and batches > 1 and int(found.group(1)) % batches != 0

        await wait_until(pilot, mid_epoch_step_shown)
        assert re.search(r"elapsed\s+\d+\.\d s", text_of(app, "#metrics"))
        await pilot.press("s")
        await settle(app, pilot)


async def test_metric_values_keep_their_columns(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        view = app.query_one(TrainingView)
        lines = text_of(app, "#metrics").splitlines()
        columns = [line.index("val ") for line in lines]
        view._progress = app.state.progress.__class__(1, 1, 1, 12345678, 0.1, 0.1, 123456.7, ())
        view._draw_metrics()
        wide = text_of(app, "#metrics").splitlines()
        assert [line.index("val ") for line in wide] == columns


async def test_help_has_a_section_per_view_and_fits_120x40(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        sections = key_sections(app)
        titles = [title for title, _ in sections]
        assert titles == [
            "Everywhere",
            "Training view (t)",
            "Digits view (b)",
            "Confusion view (c)",
            "Draw view (d)",
            "Inside view (i)",
            "Runs view (u)",
        ]
        for title, rows in sections:
            keys = [key for row in rows for key in re.split(r" / |/(?=.)", row[0]) if key]
            assert len(keys) == len(set(keys)), title
        assert any(row[0] == "tab" for row in sections[0][1]) and any(row[0] == "0-9" for row in sections[2][1])
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen.is_mounted)
        await pilot.pause()
        scroll = app.screen.query_one("#help-scroll")
        # It fits, or it scrolls visibly: a scrollbar and the keys for it, and the keys take it.
        if scroll.max_scroll_y:
            assert scroll.show_vertical_scrollbar and app.focused is scroll
            assert "PgDn, PgUp, the arrows and the wheel scroll it" in str(app.screen.query_one(".dim").render())
            await pilot.press("pagedown", "end")
            assert scroll.scroll_target_y == scroll.max_scroll_y


def test_the_apps_first_run_is_worth_watching_and_the_cli_default_is_unchanged():
    from tui.cli import build_parser
    from tui.options import config_from_args

    parser = build_parser()
    assert config_from_args(parser.parse_args([])) == PRESETS[APP_PRESET] == PRESETS["best"]
    assert config_from_args(parser.parse_args(["train"])) == PRESETS["default"] == TrainConfig()
    assert config_from_args(parser.parse_args(["--preset", "seed"])).hidden == (10,)  # the notebook


async def test_markup_in_paths_and_errors_is_shown_as_typed(tmp_path):
    bad = tmp_path / "[red]x[b].csv"
    bad.write_text("nothing\n")
    app = DigitApp(TINY, data_path=str(bad))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert "[red]x[b].csv" in text_of(app, "#run-status") and app.is_running


def test_saved_files_keep_the_umask(tmp_path, capsys):
    from tui.cli import main

    images, labels = synthetic_digits(60)
    data = write_csv(tmp_path / "train.csv", images, labels)
    old = os.umask(0o022)
    try:
        assert (
            main(
                [
                    "train",
                    "--data",
                    str(data),
                    "--epochs",
                    "1",
                    "--hidden",
                    "8",
                    "--save",
                    str(tmp_path / "m.npz"),
                    "--json",
                ]
            )
            == 0
        )
    finally:
        os.umask(old)
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o644
