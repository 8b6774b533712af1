"""The pure drawing functions, without an app."""

import numpy as np
from rich.style import Style

from tui.browsing import Selection, find_next, ordered_rows
from tui.render import ASCII_RAMP, UPPER_HALF, LineChart, digit_art, probability_bars


def known_digit():
    image = np.zeros((28, 28), np.uint8)
    image[0, 0] = 255          # top pixel of cell (0, 0) white, bottom black
    image[1, 1] = 255          # bottom pixel of cell (0, 1) white
    image[0:2, 2] = 128        # both pixels of cell (0, 2) mid grey
    image[26:28, 27] = 255     # last cell of the last line white
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
    chart = LineChart("loss", [("train", [2.0, 1.0, 0.5], "", "*"), ("val", [2.2, 1.5, 1.0], "", "o")],
                      ascii_only=True)
    lines = [line.plain for line in chart.lines(40, 8)]
    assert lines[0].startswith("loss") and "* train" in lines[0] and "o val" in lines[0]
    assert lines[1].strip().startswith("2.20|") and lines[-2].strip().startswith("0.50|")
    assert lines[-1].strip().startswith("1") and lines[-1].strip().endswith("3") and "epoch" in lines[-1]
    assert len(lines) == 8 and all(len(line) <= 40 for line in lines)


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
