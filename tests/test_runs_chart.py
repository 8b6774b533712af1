"""The Runs view's pure parts: the table's columns, sorting and fitting a
width (tui.runs_table, shared with `digit-tui runs`), the comparison
(tui.runs_compare) and the overlaid chart (tui.runs_chart): looks that stay
with a run, smoothing, the legend."""

import io
import math
from datetime import datetime, timezone

from rich.console import Console

from core import TrainConfig
from core.events import EpochDone
from core.run_store import RunInfo
from tui.runs_chart import BASELINE_MARKER, Curve, Look, RunsChart, looks, smooth
from tui.runs_compare import Side, comparison_table, name_lines, ordered
from tui.runs_settings import setting_rows
from tui.runs_table import (
    BY_HEADER,
    fit_columns,
    live_info,
    partial_note,
    sorted_runs,
    varying_columns,
)


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


def test_setting_rows_put_the_differences_first_as_the_form_shows_them():
    rows = setting_rows(info("a", lr=0.01), info("b", lr=0.003, hidden=(256, 128)))
    differing = [row[0] for row in rows if row[3]]
    assert differing == ["hidden layers", "learning rate"] and rows[: len(differing)] == [row for row in rows if row[3]]
    assert ("learning rate", "0.01", "0.003", True) in rows and ("hidden layers", "16", "256,128", True) in rows
    assert ("data", "tiny.csv", "tiny.csv", False) in rows
    assert ("batch size", "64", "64", False) in rows and ("activation", "relu", "relu", False) in rows
    assert not any('"' in cell or "[" in cell or "_" in cell for row in rows for cell in row[:3])  # no JSON, no keys


def test_setting_rows_of_an_edited_run_are_plain_one_line_text():
    edited = RunInfo("x", "/runs/x", config={"lr": "\x1b[31mred\n", "extra": [1, 2], "hidden": "wide"})
    rows = setting_rows(edited, info("b"))
    assert all("\x1b" not in cell and "\n" not in cell for row in rows for cell in row[:3])
    assert ("extra", "[1, 2]", "", True) in rows  # a key it does not know: as it is in the file
    assert ("hidden layers", '"wide"', "16", True) in rows  # a value not of its kind: as JSON


# ---- fitting a width ----------------------------------------------------------------------------


def many_runs():
    """Seven runs as the try-out had them: long names, several outcomes, a few settings changed."""
    outcomes = ["completed", "early stopped", "stopped"]
    runs = []
    for number in range(7):
        config = TrainConfig(hidden=(256, 128), keep="last" if number % 2 else "best", patience=number % 3)
        name = f"20261126-02{number:02d}-default-augment-affine-keep-last-patience-3-dropout-0.3"
        started = datetime(2026, 11, 26, 2, number, tzinfo=timezone.utc)
        runs.append(
            RunInfo(
                name,
                f"/runs/{name}",
                outcomes[number % 3],
                started,
                config.to_dict(),
                "mnist.npz",
                epochs=10 + number,
                best_val_accuracy=0.96 + number / 1000,
                final_val_accuracy=0.95 + number / 1000,
                test_accuracy=0.955 if number % 2 else None,
                train_seconds=12.5 * (number + 1) ** 2,
            )
        )
    return runs


def test_at_80_columns_the_results_fit_whole_and_the_name_gives_way():
    runs = many_runs()
    shown, _ = varying_columns(runs)
    fit = fit_columns(shown, runs, 80)
    headers = [column.header for column in fit.columns]
    assert headers[:7] == ["name", "outcome", "best val", "final val", "test", "epochs", "time"]
    texts = {column.header: [column.text(run) for run in runs] for column in fit.columns}
    for header in headers[1:]:  # every result whole
        assert fit.widths[header] >= max(len(text) for text in [header, *texts[header]])
    assert sum(fit.widths.values()) + len(headers) - 1 <= 80
    assert 14 <= fit.widths["name"] < len(runs[0].name)  # its start at least: the date and time
    assert "when" in fit.left_out and "keep" in fit.left_out and "patience" in fit.left_out
    wide = fit_columns(shown, runs, 200)
    assert wide.left_out == [] and wide.widths["name"] == len(runs[0].name)
    assert [column.header for column in wide.columns][7:] == ["when", "keep", "patience"]


def test_quiet_settings_show_only_where_runs_differ_and_dates_are_short():
    runs = many_runs()
    shown, same = varying_columns(runs)
    headers = [column.header for column in shown]
    assert "keep" in headers and "patience" in headers  # they differ between these runs
    assert "batch" not in headers and not any(entry.startswith("batch") for entry in same)  # quiet: unsaid
    assert "architecture 784-256-128-10" in same and "optimiser adam" in same
    one, _ = varying_columns(runs[:1])
    assert "architecture" in [column.header for column in one] and "keep" not in [column.header for column in one]
    assert BY_HEADER["when"].text(runs[0]) == "11-26 02:00"


def test_a_final_accuracy_from_a_part_epoch_is_marked_and_explained():
    stopped = RunInfo(
        "s", "/runs/s", "stopped", epochs=14, final_val_accuracy=0.963, final_epoch=15, final_partial=True
    )
    assert BY_HEADER["final val"].text(stopped) == "96.30%*"
    assert partial_note(stopped) == "final 96.30% is from epoch 15, stopped part-way"
    whole = RunInfo("w", "/runs/w", "completed", epochs=14, final_val_accuracy=0.963, final_epoch=14)
    assert BY_HEADER["final val"].text(whole) == "96.30%" and partial_note(whole) is None


# ---- the comparison ---------------------------------------------------------------------------


def test_the_comparison_has_the_baseline_else_the_older_run_on_the_left():
    old, new = info("old", minute=1), info("new", minute=9)
    assert ordered(Side(new, "cursor"), Side(old, "selected")) == (Side(old, "selected"), Side(new, "cursor"))
    assert ordered(Side(old, "cursor"), Side(new, "next row")) == (Side(old, "cursor"), Side(new, "next row"))
    assert ordered(Side(old, "cursor"), Side(new, "baseline"))[0] == Side(new, "baseline")
    assert ordered(Side(new, "baseline"), Side(old, "selected"))[0] == Side(new, "baseline")


def test_the_comparison_heads_each_column_with_its_role_and_whole_name():
    long = "20261126-0224-default-augment-affine-keep-last-patience-3"
    left, right = Side(info(long, lr=0.01, minute=1), "baseline"), Side(info("20261126-0230-wide", minute=2), "cursor")
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(comparison_table(left, right, 80))
    shown = console.export_text()
    assert shown.index("baseline") < shown.index("cursor")
    assert "learning rate" in shown and "0.01" in shown and "hidden layers" in shown
    assert '"' not in shown and "_" not in shown
    pieces = long.split("-")
    for line in name_lines(long, 20).splitlines():  # broken after a hyphen, never inside a word
        assert len(line) <= 20 and line.rstrip("-").split("-")[0] in pieces
    assert name_lines(long, 20).replace("\n", "") == long
    for piece in ("20261126-0224-", "affine-", "patience-3"):
        assert piece in shown
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(comparison_table(left, right, 80, ascii_only=True))
    assert console.export_text().isascii()  # --ascii, NO_COLOR: no box-drawing glyphs


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
