"""SVG snapshots of each view at 80x24 and 120x40 (pytest-textual-snapshot).

Deterministic: seeded synthetic digits, a fixed seed, and timing figures
(ETA, elapsed, samples/s) hidden with show_timing=False.
Refresh after an intended change with: pytest tests/test_snapshots.py --snapshot-update
"""

import os

import pytest
from helpers import synthetic_digits, wait_until, write_csv
from runs_fixtures import write_fixture_runs

from core import TrainConfig
from tui.app import DigitApp
from tui.recording import runs_folder

CONFIG = TrainConfig(hidden=(16,), epochs=4, batch_size=8, lr=0.003, schedule="constant")


@pytest.fixture
def app(tmp_path):
    images, labels = synthetic_digits(100, seed=4)
    path = write_csv(tmp_path / "tiny.csv", images, labels)
    return DigitApp(CONFIG, data_path=str(path), show_timing=False)


def keys_after_training(*keys):
    async def run_before(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:  # one at a time: a key that opens a dialog is handled before the next arrives
            await pilot.press(key)
            await pilot.pause()
            await wait_until(pilot, lambda: pilot.app.screen.is_mounted and pilot.app.screen.focused is not None)
        await pilot.wait_for_scheduled_animations()  # the tab underline, a focused field's highlight
        await pilot.pause(0.5)  # and a moment more on a loaded machine

    return run_before


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
def test_view_snapshot(snap_compare, app, view, keys, size):
    """Each view, and the dialogs with their own footer and focus shown (the save
    dialog shows the working folder, which differs between machines: tests/test_trust.py
    covers it)."""
    assert snap_compare(app, terminal_size=size, run_before=keys_after_training(*keys))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_runs_view_snapshot(snap_compare, app, monkeypatch, size):
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
        await pilot.pause(0.5)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
