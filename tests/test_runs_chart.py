"""The Runs view's pure parts: the table's columns and sorting
(tui.runs_table, shared with `digit-tui runs`) and the overlaid chart
(tui.runs_chart): looks that stay with a run, smoothing, the legend."""

import math
from datetime import datetime, timezone

from core import TrainConfig
from core.events import EpochDone
from core.run_store import RunInfo
from tui.runs_chart import BASELINE_MARKER, Curve, Look, RunsChart, looks, smooth
from tui.runs_table import BY_HEADER, live_info, setting_rows, sorted_runs, varying_columns


def info(name, best=None, lr=0.001, hidden=(16,), minute=0, outcome="completed"):
    config = TrainConfig(lr=lr, hidden=hidden).to_dict()
    started = datetime(2026, 3, 14, 9, minute, tzinfo=timezone.utc)
    return RunInfo(name, f"/runs/{name}", outcome, started, config, "tiny.csv", best_val_accuracy=best)


# ---- columns and sorting ----------------------------------------------------------------


def test_columns_the_same_in_every_run_are_hidden_and_named():
    runs = [info("a", 0.9, lr=0.01), info("b", 0.8, lr=0.003)]
    shown, same = varying_columns(runs)
    headers = [column.header for column in shown]
    assert headers == ["name", "when", "lr", "best val", "outcome"]
    assert "architecture 784-16-10" in same and "optimiser adam" in same
    assert "test" not in headers and not any(entry.startswith("test") for entry in same)  # nobody knows it
    one, _ = varying_columns(runs[:1])
    assert "architecture" in [column.header for column in one]  # a single run shows what it knows


def test_sorting_puts_unknown_values_last_in_both_directions():
    runs = [info("a", 0.9), info("broken"), info("b", 0.95), info("c", 0.8)]
    best = BY_HEADER["best val"]
    assert [run.name for run in sorted_runs(runs, best, high_first=True)] == ["b", "a", "c", "broken"]
    assert [run.name for run in sorted_runs(runs, best, high_first=False)] == ["c", "a", "b", "broken"]
    architecture = BY_HEADER["architecture"]
    wide = [info("w", hidden=(512, 256)), info("n", hidden=(16,)), info("d", hidden=(256, 128))]
    assert [run.name for run in sorted_runs(wide, architecture, high_first=False)] == ["n", "d", "w"]
    assert best.high_first and BY_HEADER["when"].high_first and not BY_HEADER["name"].high_first


def test_the_current_run_row_takes_the_apps_latest_epoch():
    record = EpochDone(3, 10, 5, 5, 0.4, 0.9, 0.5, 0.88, 0.91, 2, 0.001, 100.0, 7.5, None, None)
    live = live_info(info("now", outcome="unfinished"), [record])
    assert (live.outcome, live.epochs, live.best_val_accuracy, live.final_val_accuracy) == ("running", 3, 0.91, 0.88)
    assert live.train_seconds == 7.5 and live_info(info("now"), []).outcome == "running"


def test_setting_rows_put_the_differences_first():
    rows = setting_rows(info("a", lr=0.01), info("b", lr=0.003, hidden=(32,)))
    differing = [row[0] for row in rows if row[3]]
    assert differing == ["hidden", "lr"] and rows[: len(differing)] == [row for row in rows if row[3]]
    assert ("lr", "0.01", "0.003", True) in rows and ("data", "tiny.csv", "tiny.csv", False) in rows


def test_setting_rows_of_an_edited_run_are_plain_one_line_text():
    edited = RunInfo("x", "/runs/x", config={"lr": "\x1b[31mred\n", "extra": [1, 2]})
    rows = setting_rows(edited, info("b"))
    assert all("\x1b" not in cell and "\n" not in cell for row in rows for cell in row[:3])
    assert ("extra", "[1, 2]", "", True) in rows


# ---- looks -----------------------------------------------------------------------------------


def test_a_run_keeps_its_look_whatever_else_is_selected_and_in_what_order():
    names = [f"2026031{n}-0926-lr0.0{n}" for n in range(8)]
    alone = {name: looks([name])[name] for name in names}
    together = looks(names)
    assert len(set(together.values())) == len(names)  # no two alike
    for number, name in enumerate(names):  # its own look, unless an older run already shows it
        older = {together[other] for other in names[:number]}
        assert together[name] == alone[name] or alone[name] in older


def test_two_runs_that_hash_alike_get_different_looks_the_older_keeps_its_own():
    base = "run"
    clash = next(f"run{n}" for n in range(1000) if looks([f"run{n}"]) == {f"run{n}": looks([base])[base]})
    chosen = looks([base, clash])
    assert chosen[base] == looks([base])[base] and chosen[clash] != chosen[base]
    ascii_chosen = looks([f"r{n}" for n in range(10)], ascii_only=True)
    assert len({look.marker for look in ascii_chosen.values()}) == 10  # without colour, the markers differ


# ---- smoothing and the chart -------------------------------------------------------------


def test_smoothing_follows_a_constant_and_damps_noise():
    assert smooth([2.0, 2.0, 2.0]) == [2.0, 2.0, 2.0]  # no pull toward zero at the start
    noisy = [1.0, 0.0] * 10
    smoothed = smooth(noisy)
    assert max(smoothed[5:]) - min(smoothed[5:]) < 0.5 < max(noisy) - min(noisy)
    out = smooth([1.0, math.nan, 1.0])
    assert math.isnan(out[1]) and out[2] == 1.0


CYAN = Look("cyan", "o")


def curve(name, baseline=False, epochs=4, look=CYAN):
    losses = [1.0 / (epoch + 1) for epoch in range(epochs)]
    return Curve(name, losses, [0.5 + 0.1 * epoch for epoch in range(epochs)], look, baseline)


def plain(lines):
    return "\n".join(line.plain for line in lines)


def test_the_chart_names_each_run_in_its_legend_and_marks_the_baseline():
    curves = [curve("first-run"), curve("base-run", baseline=True, look=Look("red", "x"))]
    lines = RunsChart(curves).lines(80, 12)
    text = plain(lines)
    assert len(lines) == 12 and all(line.cell_len <= 80 for line in lines)
    assert text.index("base-run (baseline)") < text.index("first-run")  # the baseline first
    assert "val loss" in text and "val accuracy" in text and BASELINE_MARKER[False] in text
    assert "smoothed" in plain(RunsChart(curves, smoothed=True).lines(80, 12))
    narrow = RunsChart(curves, ascii_only=True).lines(40, 16)  # one chart above the other
    assert all(line.cell_len <= 40 for line in narrow) and plain(narrow).isascii()


def test_a_long_legend_ends_with_how_many_more_and_long_runs_fit():
    curves = [curve(f"a-rather-long-run-name-{n:02d}", epochs=500) for n in range(12)]
    lines = RunsChart(curves).lines(80, 14)
    assert "more" in plain(lines[:3]) and all(line.cell_len <= 80 for line in lines)
    assert "500" in plain(lines)  # the x axis says the real last epoch


def test_a_run_without_numbers_and_no_selection_draw_words_not_errors():
    empty = Curve("edited", [math.nan], [math.nan], Look("cyan", "o"))
    assert "no epochs recorded" in plain(RunsChart([empty]).lines(80, 10))
    assert "space selects" in plain(RunsChart([]).lines(80, 10))
