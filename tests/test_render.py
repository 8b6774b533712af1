"""The pure drawing functions, without an app."""

import numpy as np
from rich.style import Style

from tui.browsing import Selection, find_next, ordered_rows
from tui.render import ASCII_RAMP, UPPER_HALF, LineChart, digit_art, probability_bars
from tui.widgets import confusion_text


def known_digit():
    image = np.zeros((28, 28), np.uint8)
    image[0, 0] = 255  # top pixel of cell (0, 0) white, bottom black
    image[1, 1] = 255  # bottom pixel of cell (0, 1) white
    image[0:2, 2] = 128  # both pixels of cell (0, 2) mid grey
    image[26:28, 27] = 255  # last cell of the last line white
    return image


def test_half_block_art_is_exact():
    text = digit_art(known_digit())
    lines = text.plain.split("\n")
    assert len(lines) == 14 and all(line == UPPER_HALF * 28 for line in lines)
    spans = {span.start: span.style for span in text.spans}
    assert spans[0] == Style(color="rgb(255,255,255)", bgcolor="rgb(0,0,0)")
    assert spans[1] == Style(color="rgb(0,0,0)", bgcolor="rgb(255,255,255)")
    assert spans[2] == Style(color="rgb(128,128,128)", bgcolor="rgb(128,128,128)")
    last = 13 * 29 + 27  # 13 earlier lines of 28 cells plus a newline each
    assert spans[last] == Style(color="rgb(255,255,255)", bgcolor="rgb(255,255,255)")


def test_ascii_art_is_exact():
    lines = digit_art(known_digit(), ascii_only=True).plain.split("\n")
    # level = floor(mean * 10 / 256): means 127.5 -> 4 ('='), 128 -> 5 ('+'), 255 -> 9 ('@')
    assert lines[0] == "==+" + " " * 25
    assert lines[13] == " " * 27 + "@"
    assert all(line == " " * 28 for line in lines[1:13])
    assert set("".join(lines)) <= set(ASCII_RAMP)


def test_probability_bars_mark_the_prediction():
    probabilities = np.array([0.05, 0.7, 0.25] + [0.0] * 7)
    lines = probability_bars(probabilities, true_label=2, width=10, ascii_only=True).plain.split("\n")
    assert len(lines) == 10
    assert lines[1] == "1 #######...  70.0% <"
    assert lines[2] == "2 ##........  25.0%"


def test_line_chart_has_labelled_axes():
    chart = LineChart("loss", [("train", [2.0, 1.0, 0.5], "", "*"), ("val", [2.2, 1.5, 1.0], "", "o")], ascii_only=True)
    lines = [line.plain for line in chart.lines(40, 8)]
    assert lines[0].startswith("loss") and "* train" in lines[0] and "o val" in lines[0]
    assert lines[1].strip().startswith("2.20|") and lines[-2].strip().startswith("0.50|")
    assert lines[-1].strip().startswith("1") and lines[-1].strip().endswith("3") and "epoch" in lines[-1]
    assert len(lines) == 8 and all(len(line) <= 40 for line in lines)


UNICODE_SERIES = (("train", "cyan", "\u2022"), ("val", "magenta", "\u00d7"))
ASCII_SERIES = (("train", "cyan", "*"), ("val", "magenta", "o"))


def two_curves(train, val, ascii_only, width=40, height=10):
    names = ASCII_SERIES if ascii_only else UNICODE_SERIES
    series = [(name, values, style, marker) for (name, style, marker), values in zip(names, (train, val))]
    return LineChart("loss", series, ascii_only=ascii_only).lines(width, height)


def plot_cells(lines):
    """The characters right of the y axis, on the plot's rows only."""
    return "".join(line.plain.split("|" if "|" in line.plain else "\u2502", 1)[1] for line in lines[1:-1])


def test_line_chart_marks_cells_shared_by_both_series():
    values = [2.0, 1.2, 0.9, 0.7, 0.6, 0.55]
    for ascii_only, both in ((True, "@"), (False, "\u25c6")):
        lines = two_curves(values, list(values), ascii_only)
        cells = plot_cells(lines)
        assert cells.count(both) == len(values) and set(cells) == {" ", both}
        assert f"{both} both" in lines[0].plain
        both_spans = [span for line in lines[1:-1] for span in line.spans if both in line.plain[span.start : span.end]]
        assert both_spans and all(str(span.style) == "bold" for span in both_spans)


def test_line_chart_keeps_separate_series_apart():
    for ascii_only, (train, val, both) in ((True, "*o@"), (False, "\u2022\u00d7\u25c6")):
        cells = plot_cells(two_curves([0.1, 0.15, 0.1, 0.12], [0.9, 0.95, 0.9, 0.92], ascii_only))
        assert both not in cells and cells.count(train) == 4 and cells.count(val) == 4


def test_line_chart_shows_training_under_the_validation_curve_in_a_small_window():
    # an 80x24 window's chart: the curves meet after a couple of epochs
    train, val = [0.9, 0.45, 0.33, 0.30, 0.28], [0.5, 0.4, 0.34, 0.31, 0.30]
    cells = plot_cells(two_curves(train, val, False, width=38, height=6))
    assert "\u25c6" in cells and "\u2022" in cells


def test_ascii_line_chart_is_pure_ascii():
    for train, val in (([2.0, 1.0, 0.5], [2.2, 1.5, 1.0]), ([1.0, 0.5], [1.0, 0.5]), ([], [])):
        lines = two_curves(train, val, True)
        assert all(line.plain.isascii() for line in lines), [line.plain for line in lines]


def test_line_chart_header_fits_the_width():
    for width in (20, 24, 30, 40):
        lines = two_curves([2.0, 1.0, 0.5], [2.2, 1.5, 1.0], False, width=width)
        assert all(line.cell_len <= width for line in lines)
    # the gaps narrow, then the 'both' entry goes, before the series' own entries are cut
    assert two_curves([1.0], [1.0], True, width=26)[0].plain == "loss * train o val @ both"
    assert two_curves([1.0], [1.0], True, width=24)[0].plain == "loss * train o val"


def confusion_with(mistakes, diagonal=50):
    confusion = np.diag(np.full(10, diagonal))
    for (true, predicted), count in mistakes.items():
        confusion[true, predicted] = count
    return confusion


def marked_cells(confusion, cursor=(0, 0)):
    """(true, predicted) of the cells shown with '!'."""
    lines = confusion_text(confusion, cursor).plain.split("\n")[1:11]
    marks = set()
    for true, line in enumerate(lines):
        marks |= {(true, (index - 4) // 6) for index, char in enumerate(line) if char == "!"}
    return marks


def red_cells(text):
    cells = set()
    for span in text.spans:
        if "red" in str(span.style):
            row, column = divmod(span.start, 75)  # 74 characters and a newline a line
            cells.add((row - 1, (column - 4) // 6))
    return cells


def test_confusion_marks_every_tied_mistake_and_never_the_diagonal():
    confusion = confusion_with({(3, 5): 7, (4, 9): 7, (7, 2): 7, (9, 4): 7, (1, 7): 2})
    assert marked_cells(confusion) == {(3, 5), (4, 9), (7, 2), (9, 4)}
    assert red_cells(confusion_text(confusion, (0, 0))) == {(3, 5), (4, 9), (7, 2), (9, 4)}
    # one larger mistake, then a tie for second and third: the whole tie is marked
    confusion = confusion_with({(3, 5): 9, (4, 9): 4, (7, 2): 4, (9, 4): 4, (1, 7): 3})
    assert marked_cells(confusion) == {(3, 5), (4, 9), (7, 2), (9, 4)}


def test_confusion_with_few_mistakes_never_marks_the_diagonal():
    for mistakes in ({}, {(9, 4): 2}, {(9, 4): 2, (4, 9): 1}, {(0, 1): 1, (9, 8): 1}):
        for diagonal in (0, 2, 50):
            confusion = confusion_with(mistakes, diagonal)
            assert marked_cells(confusion) == set(mistakes)
            for cursor in ((9, 9), (0, 0), (9, 4)):
                assert red_cells(confusion_text(confusion, cursor)) == set(mistakes)


def last_digit_columns(text):
    """For each cell, the column of its count's last digit."""
    lines = text.plain.split("\n")[1:11]
    columns = {}
    for true, line in enumerate(lines):
        for predicted in range(10):
            cell = line[4 + 6 * predicted : 10 + 6 * predicted]
            columns[true, predicted] = 4 + 6 * predicted + max(i for i, c in enumerate(cell) if c.isdigit())
    return columns


def test_confusion_numbers_stay_put_under_marks_and_cursor():
    confusion = confusion_with({(3, 5): 9999, (4, 9): 12, (7, 2): 12, (9, 4): 1, (2, 8): 345}, diagonal=9999)
    assert marked_cells(confusion) == {(3, 5), (2, 8), (4, 9), (7, 2)}
    plain = confusion_text(confusion, (0, 0)).plain
    reference = last_digit_columns(confusion_text(confusion, (0, 0)))
    assert set(reference.values()) == {8 + 6 * p for p in range(10)}  # column p's count ends at 8 + 6p
    header = plain.split("\n")[0]
    assert [header[8 + 6 * p] for p in range(10)] == [str(p) for p in range(10)]
    for true in range(10):
        for predicted in range(10):
            moved = last_digit_columns(confusion_text(confusion, (true, predicted)))
            assert moved == reference, (true, predicted)
    for true, line in enumerate(plain.split("\n")[1:11]):
        counts = [int(line[4 + 6 * p : 10 + 6 * p].strip(" []!")) for p in range(10)]
        assert counts == confusion[true].tolist()


def test_confusion_cursor_on_a_marked_cell_stays_red():
    confusion = confusion_with({(3, 5): 30})
    text = confusion_text(confusion, (3, 5))
    line = text.plain.split("\n")[4]
    assert line[4 + 6 * 5 : 10 + 6 * 5] == "[  30]" and "!" not in line
    styles = [str(span.style) for span in text.spans if span.start == 4 * 75 + 4 + 6 * 5]
    assert styles and "reverse" in styles[0] and "bold red" in styles[0]


def test_confusion_lines_fit_an_80_column_window():
    confusion = np.full((10, 10), 9999)
    for cursor in ((0, 0), (9, 9)):
        lines = confusion_text(confusion, cursor).plain.split("\n")
        assert len(lines[0]) <= 78 and all(len(line) <= 78 for line in lines)
        assert all(line.count("9999") == 10 for line in lines[1:11])
        assert all(line.rstrip().endswith("%") for line in lines[1:11])


def test_filters_and_search():
    labels = np.array([0, 1, 2, 3])
    probabilities = np.array([[0.9, 0.1, 0, 0], [0.6, 0.4, 0, 0], [0, 0, 0.5, 0.5], [0, 0, 0.1, 0.9]])
    assert ordered_rows(Selection("all"), labels, probabilities).tolist() == [0, 1, 2, 3]
    assert ordered_rows(Selection("misclassified"), labels, probabilities).tolist() == [1]
    assert ordered_rows(Selection("least confident"), labels, probabilities).tolist() == [2, 1, 0, 3]
    assert ordered_rows(Selection(cell=(1, 0)), labels, probabilities).tolist() == [1]
    assert Selection("all").next_filter().name == "misclassified"
    assert Selection(cell=(1, 0)).next_filter() == Selection("all")
    rows = np.arange(4)
    assert find_next(rows, 0, lambda r: r == 3, -1) == 3
    assert find_next(rows, 2, lambda r: r == 1, 1) == 1
    assert find_next(rows, 0, lambda r: False, 1) is None


def test_a_class_without_validation_digits_has_a_dash_not_zero_accuracy():
    confusion = confusion_with({}, diagonal=5)
    confusion[6] = 0  # no validation digit of class 6
    lines = confusion_text(confusion, (0, 0)).plain.splitlines()
    assert lines[7].rstrip().endswith("-") and "0.0%" not in lines[7]
    assert lines[1].rstrip().endswith("100.0%")


def test_a_chart_of_values_too_far_apart_for_a_float_draws_what_it_can():
    chart = LineChart("val acc", [("val", [1e308, -1e308, 0.5], "magenta", "o")])
    lines = chart.lines(40, 8)  # the span overflows to inf: those points are left out, nothing raises
    assert len(lines) == 8


def test_a_narrow_chart_drops_the_both_entry_before_the_best_epochs():
    chart = LineChart(
        "loss", [("running", [0.5, 0.7, 0.8], "cyan", "*"), ("val", [0.5, 0.6, 0.9], "magenta", "o")], best_epoch=3
    )
    assert chart._header(60).plain == "loss  * running  o val  \u25c6 both  \u250a best 3"
    assert chart._header(32).plain == "loss * running o val \u250a best 3"
