"""SVG snapshots of each view at 80x24 and 120x40 (pytest-textual-snapshot).

Deterministic: seeded synthetic digits, a fixed seed, and timing figures
(ETA, elapsed, samples/s) hidden with show_timing=False.
Refresh after an intended change with: pytest tests/test_snapshots.py --snapshot-update
"""

import os

import pytest
from helpers import synthetic_digits, wait_until, write_csv
from runs_fixtures import write_fixture_runs
from svg_text import line_diff, snapshot_path, svg_screen_lines
from textual.widgets import Input, TabbedContent

from core import TrainConfig
from tui.app import DigitApp
from tui.recording import runs_folder
from tui.views.draw import DrawView

CONFIG = TrainConfig(hidden=(16,), epochs=4, batch_size=8, lr=0.003, schedule="constant")


@pytest.fixture
def app(tmp_path):
    images, labels = synthetic_digits(100, seed=4)
    path = write_csv(tmp_path / "tiny.csv", images, labels)
    return DigitApp(CONFIG, data_path=str(path), show_timing=False)


def focus_settled(app):
    """The screen is up and its focus where its keys go: on a dialog, any
    widget; on the main screen, one inside the view shown (a view takes the
    focus after a refresh, so until then the last view's widget has it)."""
    screen = app.screen
    if not screen.is_mounted or screen.focused is None:
        return False
    if screen is not app.screen_stack[0]:
        return True
    shown = app.query_one(TabbedContent).active_pane
    return shown is not None and screen.focused in shown.query("*")


def views_settled(app):
    """No view waits on a timer to redraw what the last key changed (the Draw
    view predicts at most a few times a second)."""
    return not any(view.prediction_due for view in app.query(DrawView))


def keys_after_training(*keys):
    """Press ``keys`` once training is over, each once the last has taken effect."""

    async def run_before(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:  # one at a time: a key that opens a dialog is handled before the next arrives
            await pilot.press(key)
            await pilot.pause()
            await wait_until(pilot, lambda: focus_settled(pilot.app) and views_settled(pilot.app))

    return run_before


async def settle_screen(pilot):
    """What a screenshot must not catch half-way: animations, the focus moving
    to a view, a prediction due, a blinking cursor (shown or not by the clock)."""
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.5)  # a moment more on a loaded machine
    await wait_until(pilot, lambda: focus_settled(pilot.app) and views_settled(pilot.app))
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # the cursor shown, steadily
    await pilot.pause()


def assert_snapshot(snap_compare, app, size, run_before, request):
    """Compare with the stored SVG once the screen has settled; on a
    mismatch, name the screen lines that differ (text, style classes,
    backgrounds) between the stored SVG and the screen as it stood just
    before the screenshot, since CI keeps only the test's output."""
    seen = []

    async def then_settle(pilot):
        await run_before(pilot)
        await settle_screen(pilot)
        seen.append(pilot.app.export_screenshot())

    if snap_compare(app, terminal_size=size, run_before=then_settle):
        return
    stored = snapshot_path(request)
    expected = svg_screen_lines(stored.read_text()) if stored.exists() else []
    actual = svg_screen_lines(seen[0]) if seen else []
    pytest.fail("snapshot differs; lines (expected / seen before the screenshot):\n" + line_diff(expected, actual))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize(
    "view, keys",
    [
        ("training", ()),
        ("browser", ("b", "right", "right")),
        ("confusion", ("c", "down", "right")),
        ("help", ("question_mark",)),
        ("settings", ("r", "tab")),
        ("inside", ("b", "i")),
        ("draw", ("d", "space", "down", "down", "space")),
    ],
)
def test_view_snapshot(snap_compare, app, view, keys, size, request):
    """Each view, and the dialogs with their own footer and focus shown (the save
    dialog shows the working folder, which differs between machines: tests/test_trust.py
    covers it)."""
    assert_snapshot(snap_compare, app, size, keys_after_training(*keys), request)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_runs_view_snapshot(snap_compare, app, monkeypatch, size, request):
    """The Runs view with fixed fixture runs (names, times, numbers), two of
    them selected, one the baseline; the app's own run is not recorded."""
    monkeypatch.setenv("DIGIT_TUI_RECORD", "off")
    os.makedirs(runs_folder())
    write_fixture_runs(runs_folder())

    async def run_before(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("u")
        await pilot.app.workers.wait_for_complete()  # the runs folder is read in a thread
        await pilot.pause()
        await pilot.press("space", "down", "*", "down", "down")
        await pilot.app.workers.wait_for_complete()  # the selected runs' epochs

    assert_snapshot(snap_compare, app, size, run_before, request)
