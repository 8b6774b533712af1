"""The Runs view (u) driven by Pilot, and the app recording its own runs.

Every test has its own DIGIT_TUI_DATA_DIR (conftest); the fixture runs are
written by hand (runs_fixtures), the app's own runs by training tiny
networks. The waits are hang guards, never timings."""

import io
import json
import os

import pytest
from helpers import settle, wait_until
from rich.console import Console
from runs_fixtures import BASE, write_fixture_runs, write_run
from textual.widgets import DataTable

from core import TrainConfig
from core.run_store import CONFIG_FILE, METRICS_FILE, MODEL_FILES, list_runs, read_metrics
from tui.app import DigitApp
from tui.dialogs import ConfirmScreen
from tui.recording import runs_folder
from tui.run_state import Phase
from tui.runs_compare import CompareScreen, comparison_table
from tui.views.runs import RunsChartWidget, RunsTable, RunsView

TINY = TrainConfig(hidden=(16,), epochs=3, batch_size=8, lr=0.01, schedule="constant")
LONG = TINY.with_changes(epochs=100_000)


@pytest.fixture
def fixture_runs(monkeypatch):
    """Four runs and a half-written folder; the app's own runs not recorded."""
    monkeypatch.setenv("DIGIT_TUI_RECORD", "off")
    os.makedirs(runs_folder())
    return write_fixture_runs(runs_folder())


def table(app):
    return app.query_one(RunsTable)


def row_names(app):
    return [row.key.value for row in table(app).ordered_rows]


def cell(app, name, header):
    return str(table(app).get_cell(name, header)).strip()


def info_line(app):
    return str(app.query_one("#runs-info").render())


async def show_runs(app, pilot, count):
    await settle(app, pilot)
    await pilot.press("u")
    await wait_until(pilot, lambda: table(app).row_count == count)


async def highlight(app, pilot, name):
    table(app).move_cursor(row=row_names(app).index(name))
    await pilot.pause()


def chart_text(app):
    chart = app.query_one(RunsChartWidget)
    return "\n".join(segment.text for segment in chart.render_lines(chart.region.reset_offset) for segment in segment)


# ---- the list ------------------------------------------------------------------------


async def test_runs_are_listed_newest_first_a_broken_one_with_a_note(tiny_csv, fixture_runs):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_runs(app, pilot, 5)
        assert row_names(app) == [*fixture_runs, "half-written"]  # no start time: last
        assert app.focused is table(app)
        assert cell(app, "20260314-0926-lr0.01", "best val") == "89.00%"
        assert cell(app, "20260314-1010-dropout0.3", "outcome") == "unfinished"
        assert cell(app, "half-written", "mark").endswith("!")
        await highlight(app, pilot, "half-written")
        assert "half-written: no config.json" in info_line(app)
        await highlight(app, pilot, fixture_runs[0])
        assert "the same in every run: architecture 784-16-10" in info_line(app)
        headers = [str(column.label).strip() for column in table(app).columns.values()]
        assert "architecture" not in headers and "lr" in headers  # only what differs


async def test_newer_edited_and_hostile_folders_are_listed_never_crash(tiny_csv, fixture_runs):
    root = runs_folder()
    os.makedirs(os.path.join(root, "newer"))
    with open(os.path.join(root, "newer", CONFIG_FILE), "w") as stream:
        json.dump({"format": 99, "config": "whatever it is now"}, stream)
    hostile = "\x1b[31mred\u202e"
    os.makedirs(os.path.join(root, hostile))
    with open(os.path.join(root, hostile, CONFIG_FILE), "w") as stream:
        json.dump({"format": 1, "config": {"lr": "fast", "hidden": "[b]x[/b]"}, "started": "yesterday"}, stream)
    with open(os.path.join(root, hostile, METRICS_FILE), "w") as stream:
        stream.write('{"epoch": 1, "val_loss": "low", "val_accuracy": 0.5}\n{"epo')
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_runs(app, pilot, 7)
        await highlight(app, pilot, "newer")
        assert "made by a newer digit-tui (format 99)" in info_line(app)
        await highlight(app, pilot, hostile)
        assert "\x1b" not in str(table(app).get_cell(hostile, "name")) and "\\x1b" in cell(app, hostile, "name")
        await pilot.press("space", "*", "m", ">", "<", "v")  # its odd numbers: no crash
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.query_one(RunsChartWidget).curves)
        text = chart_text(app)
        assert "no epochs recorded" in text and "val accuracy" in text  # its loss was no number
        assert hostile not in text and "\\x1b[31mred" in text  # named in the legend, escaped
        assert app.is_running


async def test_a_key_and_a_header_click_sort_and_unknowns_stay_last(tiny_csv, fixture_runs):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_runs(app, pilot, 5)
        best_first = ["20260314-0926-lr0.01", "20260314-0941-lr0.003", "20260314-1010-dropout0.3", "20260314-1003-sgd"]
        while app.query_one(RunsView).sort[0] != "best val":
            await pilot.press(">")
        assert row_names(app) == [*best_first, "half-written"]
        assert "best val" in str(table(app).columns["best val"].label) and "\u25bc" in str(
            table(app).columns["best val"].label
        )
        await pilot.press("<")
        assert row_names(app) == [*reversed(best_first), "half-written"]
        # A click on the name header sorts by name; a second click reverses it.
        x = sum(column.get_render_width(table(app)) for column in list(table(app).columns.values())[:1]) + 2
        await pilot.click(RunsTable, offset=(x, 0))
        await pilot.pause()
        assert row_names(app) == sorted(row_names(app))
        await pilot.click(RunsTable, offset=(x, 0))
        await pilot.pause()
        assert row_names(app) == sorted(row_names(app), reverse=True)


LONG_NAME = "20260314-1020-default-augment-affine-keep-last-patience-3"


def write_long_run():
    """A run with a long name whose keep and patience differ from the others',
    stopped part-way through its last epoch."""
    config = BASE.with_changes(keep="last", patience=3)
    write_run(runs_folder(), LONG_NAME, 54, config, [1.0, 0.6, 0.5], [0.7, 0.8, 0.79], "stopped", partial=True)


def column_width(app, header):
    return table(app).columns[header].get_render_width(table(app))


@pytest.mark.animations  # scrolls, as a user sees them
async def test_left_and_right_scroll_a_column_at_a_time_home_and_end_go_to_the_ends(tiny_csv, fixture_runs):
    write_long_run()
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_runs(app, pilot, 6)
        assert table(app).scroll_x == 0 and table(app).max_scroll_x > 0
        await pilot.press("right")
        assert table(app).scroll_x == column_width(app, "outcome")  # one whole column, not one cell
        await pilot.press("right")
        assert table(app).scroll_x == column_width(app, "outcome") + column_width(app, "best val")
        await pilot.press("left")
        assert table(app).scroll_x == column_width(app, "outcome")
        for _ in range(30):  # the right end is a column's start too (a blank fills the rest)
            await pilot.press("right")
        scrolling = [key.value for key in table(app).columns][2:]  # after the marks and the name
        starts = [sum(column_width(app, header) for header in scrolling[:n]) for n in range(len(scrolling))]
        assert table(app).scroll_x == table(app).max_scroll_x and table(app).scroll_x in starts
        headers = [str(column.label).strip() for column in table(app).columns.values()]
        assert "keep" in headers and "patience" in headers  # they differ between runs: columns too
        await pilot.press("end")
        assert table(app).cursor_row == 5
        await pilot.press("home")
        assert table(app).cursor_row == 0


async def test_the_name_takes_the_room_there_is_at_every_size(tiny_csv, fixture_runs):
    write_long_run()
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_runs(app, pilot, 6)
        narrow = column_width(app, "name")
        assert "..." in cell(app, LONG_NAME, "name") and narrow < len(LONG_NAME)
        results = ("mark", "name", "outcome", "best val", "final val", "test", "epochs", "time")
        assert sum(column_width(app, header) for header in results) <= table(app).size.width
        await pilot.resize_terminal(120, 40)
        await wait_until(pilot, lambda: column_width(app, "name") > narrow)
        assert cell(app, LONG_NAME, "name") == LONG_NAME  # the whole name, at 120 columns


async def test_columns_made_while_the_view_is_hidden_fit_their_content(tiny_csv, fixture_runs):
    write_long_run()
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_runs(app, pilot, 6)
        await pilot.press("t")
        await pilot.pause()
        view = app.query_one(RunsView)
        assert not view.is_on_screen
        view._rebuild()  # as a run that ends while another view is in front makes it
        for key, column in table(app).columns.items():
            cells = [str(text) for text in table(app).get_column(key)]
            assert column.get_render_width(table(app)) >= max(len(text) for text in cells), key.value
        assert column_width(app, "name") >= 14


async def test_the_line_under_the_table_wraps_and_explains_a_part_epoch(tiny_csv, fixture_runs):
    write_long_run()
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_runs(app, pilot, 6)
        await highlight(app, pilot, LONG_NAME)
        assert cell(app, LONG_NAME, "final val") == "79.00%*"
        info = app.query_one("#runs-info")
        assert info.size.height >= 2 and "final 79.00% is from epoch 3, stopped part-way" in info_line(app)
        assert "the same in every run: architecture 784-16-10, augment none" in info_line(app)


# ---- selecting, the chart ------------------------------------------------------------------


async def test_selected_runs_overlay_their_curves_with_a_baseline_and_smoothing(tiny_csv, fixture_runs):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_runs(app, pilot, 5)
        view = app.query_one(RunsView)
        assert "space selects" in chart_text(app)
        newest, sgd = fixture_runs[0], fixture_runs[1]
        await highlight(app, pilot, newest)
        await pilot.press("space")
        await highlight(app, pilot, sgd)
        await pilot.press("space")
        await wait_until(pilot, lambda: len(app.query_one(RunsChartWidget).curves) == 2)
        text = chart_text(app)
        assert newest in text and sgd in text and "val loss" in text and "val accuracy" in text
        curves = {curve.name: curve for curve in app.query_one(RunsChartWidget).curves}
        assert list(curves[sgd].loss) == [2.1, 1.9, 1.2]  # read from its metrics file
        looks = {name: curve.look for name, curve in curves.items()}
        assert cell(app, sgd, "mark").startswith(looks[sgd].marker)  # the table shows the legend's marker
        # The baseline: pinned, drawn distinctly, and it stays selected.
        await pilot.press("*")
        assert view.baseline == sgd and "(baseline)" in chart_text(app)
        await pilot.press("space")
        assert sgd in view.selected
        await pilot.press("m")
        assert "smoothed" in chart_text(app)
        # Unselect the other: its curve goes, and the baseline keeps its look.
        await highlight(app, pilot, newest)
        await pilot.press("space")
        assert [curve.name for curve in app.query_one(RunsChartWidget).curves] == [sgd]
        assert app.query_one(RunsChartWidget).curves[0].look == looks[sgd]


async def test_a_runs_look_does_not_depend_on_the_order_it_was_selected_in(tiny_csv, fixture_runs):
    seen = []
    for order in (fixture_runs, list(reversed(fixture_runs))):
        app = DigitApp(TINY, data_path=tiny_csv)
        async with app.run_test(size=(120, 40)) as pilot:
            await show_runs(app, pilot, 5)
            for name in order:
                await highlight(app, pilot, name)
                await pilot.press("space")
            await wait_until(pilot, lambda app=app: len(app.query_one(RunsChartWidget).curves) == 4)
            seen.append({curve.name: curve.look for curve in app.query_one(RunsChartWidget).curves})
    assert seen[0] == seen[1] and len(set(seen[0].values())) == 4


async def test_compare_shows_the_settings_that_differ_first(tiny_csv, fixture_runs):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_runs(app, pilot, 5)
        await highlight(app, pilot, "20260314-0926-lr0.01")
        await pilot.press("*")
        await highlight(app, pilot, "20260314-1003-sgd")
        await pilot.press("v")
        assert isinstance(app.screen, CompareScreen)
        left, right = app.screen.left, app.screen.right
        assert (left.run.name, left.role) == ("20260314-0926-lr0.01", "baseline")  # the baseline on the left
        assert (right.run.name, right.role) == ("20260314-1003-sgd", "cursor")
        shown = screen_text(app)
        assert shown.index("baseline") < shown.index("cursor")
        assert "20260314-0926-lr0.01" in shown and "20260314-1003-sgd" in shown
        assert shown.index("optimiser") < shown.index("dropout")
        assert shown.index("learning rate") < shown.index("dropout")
        assert "batch size" in shown and "hidden layers" in shown and "batch_size" not in shown and '"' not in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)
        # No baseline: the older run on the left, wherever the cursor is.
        await highlight(app, pilot, "20260314-0926-lr0.01")
        await pilot.press("*")  # unpinned, still selected
        for cursor in ("20260314-0941-lr0.003", "20260314-1003-sgd"):
            await highlight(app, pilot, cursor)
            await pilot.press("v")
            left, right = app.screen.left, app.screen.right
            assert (left.run.name, left.role, right.run.name, right.role) == (
                "20260314-0926-lr0.01",
                "selected",
                cursor,
                "cursor",
            )
            await pilot.press("escape")
        await highlight(app, pilot, "20260314-0926-lr0.01")  # the next row has no start time: it goes right
        await pilot.press("v")
        assert (app.screen.left.run.name, app.screen.right.run.name) == ("20260314-0926-lr0.01", "half-written")
        assert app.screen.right.role == "next row"


def screen_text(app):
    """The comparison's table as the dialog draws it, at its width."""
    widget = app.screen.query_one("#compare-table")
    console = Console(width=widget.size.width, record=True, file=io.StringIO())
    console.print(comparison_table(widget.left, widget.right, widget.size.width, widget.ascii_only))
    return console.export_text()


# ---- open and delete -------------------------------------------------------------------------


async def test_enter_opens_the_runs_best_model(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        name = app.state.run_name
        await show_runs(app, pilot, 1)
        await highlight(app, pilot, name)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.state.phase is Phase.OPENED
        assert app.state.model_path == os.path.join(runs_folder(), name, MODEL_FILES["best"])
        assert app.query_one("TabbedContent").active == "browser"


async def test_delete_asks_first_no_keeps_the_run_yes_removes_it(tiny_csv, fixture_runs):
    app = DigitApp(TINY, data_path=tiny_csv)
    sgd = "20260314-1003-sgd"
    async with app.run_test(size=(80, 24)) as pilot:
        await show_runs(app, pilot, 5)
        await highlight(app, pilot, sgd)
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmScreen) and sgd in str(app.screen.question)
        await pilot.press("n")
        await settle(app, pilot)
        assert os.path.isdir(os.path.join(runs_folder(), sgd)) and sgd in row_names(app)
        await pilot.press("delete")
        await pilot.press("y")
        await wait_until(pilot, lambda: table(app).row_count == 4)
        assert not os.path.exists(os.path.join(runs_folder(), sgd)) and sgd not in row_names(app)


# ---- the app's own runs ---------------------------------------------------------------------


async def test_the_apps_run_is_recorded_with_its_settings_and_every_epoch(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        (run,) = list_runs(runs_folder())
        assert app.state.run_name == run.name
        with open(os.path.join(run.folder, CONFIG_FILE)) as stream:
            assert json.load(stream)["config"]["lr"] == 0.01
        epochs = read_metrics(run.folder).epochs
        assert [line["epoch"] for line in epochs] == [1, 2, 3]
        assert (run.outcome, run.epochs, run.models) == ("completed", 3, ("best", "final"))
        assert run.final_val_accuracy == pytest.approx(app.state.latest.val_accuracy)


@pytest.mark.parametrize("how", ["flag", "environment"])
async def test_no_record_and_record_off_keep_no_run(tiny_csv, monkeypatch, how):
    if how == "environment":
        monkeypatch.setenv("DIGIT_TUI_RECORD", "off")
    app = DigitApp(TINY, data_path=tiny_csv, no_record=how == "flag")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.state.phase is Phase.COMPLETED and app.state.run_name is None
    assert list_runs(runs_folder()) == []


async def test_a_runs_folder_that_cannot_be_made_is_a_warning_and_the_run_goes_on(tiny_csv, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DIGIT_TUI_DATA_DIR", str(blocker))
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.state.phase is Phase.COMPLETED
        assert any("this run is not recorded" in note.message for note in app._notifications)


async def test_the_current_run_is_live_at_the_top_cannot_be_deleted_and_ends_stopped(
    tiny_csv, fixture_runs, monkeypatch
):
    monkeypatch.delenv("DIGIT_TUI_RECORD")  # fixture_runs turned it off
    app = DigitApp(LONG, data_path=tiny_csv, feed_interval=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.state.run_name is not None and len(app.state.history) >= 1)
        name = app.state.run_name
        await pilot.press("u")
        await wait_until(pilot, lambda: table(app).row_count == 6)
        assert row_names(app)[0] == name and cell(app, name, "outcome") == "running"
        first = int(cell(app, name, "epochs"))
        await wait_until(pilot, lambda: int(cell(app, name, "epochs")) > first + 1)  # redrawn as epochs end
        await highlight(app, pilot, name)
        await pilot.press("space")  # its curve comes from the app's records, growing
        await wait_until(pilot, lambda: app.query_one(RunsChartWidget).curves)
        grown = len(app.query_one(RunsChartWidget).curves[0].loss)
        await wait_until(pilot, lambda: len(app.query_one(RunsChartWidget).curves[0].loss) > grown)
        await pilot.press("delete")
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("still training" in note.message for note in app._notifications)
        await pilot.press("s")
        await settle(app, pilot)
        await wait_until(pilot, lambda: cell(app, name, "outcome") == "stopped")
    assert os.path.isdir(os.path.join(runs_folder(), name))


async def test_a_restart_records_the_old_run_as_stopped_and_quit_as_interrupted(tiny_csv):
    app = DigitApp(LONG, data_path=tiny_csv, feed_interval=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(app.state.history) >= 1)
        first = app.state.run_name
        app.start_training(LONG.with_changes(lr=0.003))
        await wait_until(pilot, lambda: app.state.run_name not in (None, first) and len(app.state.history) >= 1)
        second = app.state.run_name
        await wait_until(pilot, lambda: {run.name: run.outcome for run in list_runs(runs_folder())}[first] == "stopped")
        await pilot.press("q")
        await app.workers.wait_for_complete()
    outcomes = {run.name: (run.outcome, run.epochs) for run in list_runs(runs_folder())}
    assert outcomes[second][0] == "interrupted" and outcomes[first][1] >= 1
    with open(os.path.join(runs_folder(), second, METRICS_FILE)) as stream:
        assert len(stream.readlines()) >= 1


async def test_an_empty_runs_folder_says_where_runs_go(tiny_csv, monkeypatch):
    monkeypatch.setenv("DIGIT_TUI_RECORD", "off")
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("u")
        await wait_until(pilot, lambda: app.query_one(RunsView).loaded)
        assert "No runs recorded yet" in info_line(app) and table(app).row_count == 0
        for key in ("space", "enter", "*", "v", "delete", ">", "<", "m"):  # nothing to act on: nothing happens
            await pilot.press(key)
        assert app.is_running and isinstance(table(app), DataTable)
