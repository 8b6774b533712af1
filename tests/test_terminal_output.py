"""What the app sends to the terminal: few segments per line, and no redraw
that shows nothing new. Each segment costs a colour code and a reset (about
20 bytes), so these keep the output small over SSH; bench/ui_cost.py
measures the bytes per second."""

import numpy as np
import pytest
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.geometry import Region
from textual.strip import Strip

from core import TrainConfig
from tui.app import DigitApp
from tui.compact import join_segments
from tui.render import LineChart, style_runs
from tui.views import BrowserView
from tui.widgets import DigitArt, EpochChart, HistoryTable, LossSparkline

TINY = TrainConfig(hidden=(16,), epochs=3, batch_size=8, lr=0.01, schedule="constant")
GREY = Style(color="grey50", bgcolor="black")
CYAN = Style(color="cyan", bgcolor="black")


def joined(*segments):
    strip = join_segments(Strip(list(segments)))
    return [(segment.text, segment.style) for segment in strip]


def test_neighbours_of_one_style_become_one_segment():
    with_meta = Style(color="cyan", bgcolor="black") + Style.from_meta({"row": 1})
    assert joined(Segment("ab", CYAN), Segment("cd", with_meta), Segment("e", CYAN)) == [("abcde", CYAN)]


def test_blanks_join_either_neighbour_but_text_keeps_its_colour():
    assert joined(Segment("x", CYAN), Segment("  ", GREY), Segment("x", CYAN)) == [("x  x", CYAN)]
    assert joined(Segment("  ", GREY), Segment("x", CYAN)) == [("  x", CYAN)]
    assert joined(Segment("x", CYAN), Segment("y", GREY)) == [("x", CYAN), ("y", GREY)]


def test_blanks_that_show_an_attribute_or_another_background_stay_apart():
    underlined = Style(color="cyan", bgcolor="black", underline=True)
    other_background = Style(color="cyan", bgcolor="blue")
    assert len(joined(Segment("x", CYAN), Segment("  ", underlined))) == 2
    assert len(joined(Segment("x", CYAN), Segment("  ", other_background))) == 2
    reverse = Style(reverse=True, bgcolor="black")
    assert len(joined(Segment(" ", reverse), Segment("x", CYAN))) == 2


def test_joining_keeps_the_cells():
    strip = Strip([Segment("ab", CYAN), Segment(" ", GREY), Segment("\u2022", CYAN), Segment("z", GREY)])
    result = join_segments(strip)
    assert "".join(s.text for s in result) == "ab \u2022z" and result.cell_length == strip.cell_length


def test_style_runs_group_a_series_with_its_gaps():
    chars = list("x  x  o x")
    styles = ["cyan", "", "", "cyan", "", "", "magenta", "", "cyan"]
    assert style_runs(chars, styles) == [("x  x  ", "cyan"), ("o ", "magenta"), ("x", "cyan")]


def test_chart_rows_use_one_span_per_run():
    values = list(np.linspace(1.0, 0.5, 30))
    chart = LineChart("loss", [("train", values, "cyan", "*")], ascii_only=True)
    for line in chart.lines(40, 10)[1:-1]:
        starts = [span.start for span in line.spans]
        assert len(starts) == len(set(starts)) and len(line.spans) <= 2


async def test_training_widgets_send_few_segments_per_line(tiny_csv):
    app = DigitApp(TINY.with_changes(epochs=12), data_path=tiny_csv)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        # The table: two for its cells, plus one for each side of its focus frame.
        for widget_type, most in ((LossSparkline, 1), (HistoryTable, 4), (EpochChart, 6)):
            for widget in app.query(widget_type):
                lines = widget.render_lines(Region(0, 0, *widget.size))
                assert lines and max(len(list(line)) for line in lines) <= most, widget


class TableApp(App):
    """Just the epoch table, fed by hand."""

    def compose(self):
        yield HistoryTable(show_cursor=False)

    def on_mount(self):
        for label in ("ep", "loss"):
            self.query_one(HistoryTable).add_column(label, width=6)
        self.epochs = 0

    async def add(self, pilot, count, keep=500):
        rows = [(str(epoch), (str(epoch), "0.1")) for epoch in range(self.epochs + 1, self.epochs + count + 1)]
        self.epochs += count
        self.query_one(HistoryTable).add_rows_following(rows, keep)
        await pilot.pause()
        await pilot.pause()


def top_epoch(table):
    return table.get_row_at(round(table.scroll_y))[0]


@pytest.mark.animations  # scrolls, as a user sees them
async def test_the_table_follows_new_rows_unless_scrolled_up():
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(HistoryTable)
        await app.add(pilot, 60)
        assert table.max_scroll_y > 0 and table.scroll_y == table.max_scroll_y
        table.focus()
        await pilot.press("up", "up")
        await pilot.pause(0.3)
        where = table.scroll_y
        await app.add(pilot, 5)
        assert table.scroll_y == where < table.max_scroll_y
        await pilot.press("end")  # back to the newest epoch, and following again
        await pilot.pause(0.3)
        await app.add(pilot, 5)
        assert table.scroll_y == table.max_scroll_y and table.get_row_at(table.row_count - 1)[0] == "70"


@pytest.mark.animations  # scrolls, as a user sees them
async def test_a_scrolled_table_keeps_its_epochs_in_view_as_old_rows_go():
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(HistoryTable)
        await app.add(pilot, 40, keep=40)
        table.focus()
        await pilot.press("pageup")
        await pilot.pause(0.3)
        top = top_epoch(table)
        await app.add(pilot, 10, keep=40)
        assert table.row_count == 40 and table.get_row_at(0)[0] == "11" and top_epoch(table) == top


async def test_hidden_dashboard_catches_up_when_shown(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert app.query_one(HistoryTable).row_count == 3
        assert len(app.query_one("#loss-chart", EpochChart).history) == 3


async def test_new_predictions_do_not_redraw_the_digit(tiny_csv, monkeypatch):
    drawn = []
    render = DigitArt.render
    monkeypatch.setattr(DigitArt, "render", lambda self: drawn.append(1) or render(self))
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("b")
        await pilot.pause()
        browser = app.query_one(BrowserView)
        before = len(drawn)
        browser.set_probabilities(browser.probabilities[::-1].copy())
        await pilot.pause()
        assert len(drawn) == before
        await pilot.press("right")
        await pilot.pause()
        assert len(drawn) > before


def test_an_idle_app_with_an_opened_model_sends_nothing(tmp_path, tiny_csv):
    """Nothing animates once a model is open: after the first frames and the
    toast's exit, not one byte goes to the terminal (over SSH, every byte counts)."""
    from bench.terminal import close_app, launch_in_pty, read_for
    from tui.cli import main

    model = tmp_path / "m.npz"
    assert main(["train", "--data", tiny_csv, "--epochs", "2", "--hidden", "8", "--save", str(model), "--json"]) == 0
    process, leader = launch_in_pty(["--model", str(model), "--data", tiny_csv], 120, 40)
    try:
        seen = b""
        for _ in range(300):  # up to 30 s for the app to start and open the model
            seen += read_for(leader, 0.1)
            if b"RIGHT" in seen or b"WRONG" in seen:
                break
        assert b"RIGHT" in seen or b"WRONG" in seen, seen[-2000:]
        read_for(leader, 7)  # the "Opened" toast leaves after 5 s: that is a change
        assert read_for(leader, 3) == b""
        assert process.poll() is None
    finally:
        close_app(process, leader)


@pytest.mark.animations  # scrolls, as a user sees them
async def test_the_table_follows_a_new_run_to_its_last_row(tiny_csv):
    """Clearing the table for a new run scrolls it to the top: that must not
    read as the user scrolling up, or the second run's table stays on row 1."""
    app = DigitApp(TINY.with_changes(epochs=40), data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(1.5)
        table = app.query_one(HistoryTable)
        assert table.row_count == 40 and table.scroll_y == table.max_scroll_y > 0
