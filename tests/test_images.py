"""Reading pictures of digits (data/images.py) and ``digit-tui predict --image``.

Netpbm fixtures are written byte by byte here, so that what is read back can
be checked exactly; PNG and JPEG need Pillow and are skipped without it."""

import io
import json
import os
import sys
import tracemalloc

import numpy as np
import pytest
from helpers import synthetic_digits, write_csv

import data.images
from core.errors import DataError
from data.images import read_image
from tui.cli import main

PILLOW_HINT = "pip install 'digit-tui[images]'"


def pgm_bytes(values, maxval, plain=False, header_gap=b"\n# made by hand\n"):
    """A P2 or P5 file of the 2-D integer array ``values``."""
    height, width = values.shape
    magic = b"P2" if plain else b"P5"
    header = magic + header_gap + b"%d %d\n# maxval next\n%d\n" % (width, height, maxval)
    if plain:
        return header + b"\n".join(b" ".join(b"%d" % v for v in row) for row in values) + b"\n"
    return header + values.astype(">u2" if maxval > 255 else "u1").tobytes()


def pbm_bytes(bits, plain=False):
    """A P1 or P4 file of the 2-D 0/1 array ``bits`` (1 = black)."""
    height, width = bits.shape
    if plain:
        rows = b"\n".join(b"".join(b"%d" % v for v in row) for row in bits)  # P1 needs no separators
        return b"P1\n# comment\n%d %d\n%s\n" % (width, height, rows)
    return b"P4 %d %d\n" % (width, height) + np.packbits(bits.astype(np.uint8), axis=1).tobytes()


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def one_line_error(path, expected=""):
    """The DataError read_image raises for ``path``: one line naming it."""
    with pytest.raises(DataError) as raised:
        read_image(path)
    message = str(raised.value)
    assert str(path) in message and "\n" not in message, message
    assert expected in message, message
    return message


# Netpbm, read exactly -------------------------------------------------------


@pytest.mark.parametrize("plain", [True, False], ids=["P2", "P5"])
@pytest.mark.parametrize("maxval", [255, 1000, 65535])
def test_pgm_reads_back_exactly(tmp_path, plain, maxval):
    rng = np.random.default_rng(maxval)
    values = rng.integers(0, maxval + 1, size=(5, 7))
    values[0, 0], values[-1, -1] = 0, maxval
    image = read_image(write(tmp_path, "a.pgm", pgm_bytes(values, maxval, plain)))
    assert image.dtype == np.float64 and image.shape == (5, 7)
    assert np.array_equal(image, values / maxval)


@pytest.mark.parametrize("plain", [True, False], ids=["P1", "P4"])
def test_pbm_reads_black_as_zero(tmp_path, plain):
    bits = np.random.default_rng(1).integers(0, 2, size=(3, 11))  # 11: P4 rows are padded to whole bytes
    image = read_image(write(tmp_path, "a.pbm", pbm_bytes(bits, plain)))
    assert image.shape == (3, 11) and np.array_equal(image, 1.0 - bits)


@pytest.mark.parametrize(
    "header",
    [
        b"P5 2 1 255\n",
        b"P5\r\n2\r\n1\r\n255\n",
        b"P5\t2\v1\f255 ",
        b"P5#c\n2#c\n1 #c\n#c\n255\n",
        b"P5 2 1 255#comment right after maxval\n",  # the comment ends at the newline, which delimits
    ],
)
def test_header_whitespace_and_comments(tmp_path, header):
    # the raster's first byte is 10 (a newline): only exactly one whitespace may precede it
    image = read_image(write(tmp_path, "a.pgm", header + bytes([10, 255])))
    assert image.tolist() == [[10 / 255, 1.0]]


def test_a_second_image_after_the_first_is_ignored(tmp_path):
    first = pgm_bytes(np.array([[1, 2]]), 255)
    assert read_image(write(tmp_path, "a.pgm", first + first)).tolist() == [[1 / 255, 2 / 255]]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 64])
def test_plain_rasters_read_in_pieces(tmp_path, monkeypatch, chunk):
    """Numbers and comments cut by a chunk's end read as if whole (libnetpbm
    skips comments in a plain raster too)."""
    monkeypatch.setattr(data.images, "CHUNK_BYTES", chunk)
    text = b"P2 3 2 65535\n12345 0# a comment, 99 is no value\n  65535\t\t7#x\r\n\n   00042\n1"
    expected = np.array([[12345, 0, 65535], [7, 42, 1]]) / 65535
    assert np.array_equal(read_image(write(tmp_path, "a.pgm", text)), expected)
    bits = b"P1 5 2\n1#0\n01 0#1\n1#\n0\r0011"
    assert read_image(write(tmp_path, "a.pbm", bits)).tolist() == [[0, 1, 0, 1, 0], [1, 1, 1, 0, 0]]


# Netpbm, refused ------------------------------------------------------------


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty file"),
        (b"hello, world\n", "not a supported image"),
        (b"P5 28 28\n", "bad PGM header: expected width, height and maxval"),
        (b"P4 x 2\n", "bad PBM header: expected width and height"),
        (b"P5 2 2 255", "bad PGM header"),  # no whitespace before the raster
        (b"P5 0 28 255\n", "0x28 pixels: width and height must be at least 1"),
        (b"P1 28 0\n", "28x0 pixels"),
        (b"P5 16385 1 255\n", "too large"),
        (b"P5 10000 10000 255\n", "too large (at most 16384 pixels a side and 64 megapixels)"),
        (b"P2 99999999999999999999 1 255\n", "too large"),
        (b"P5 2 2 0\n", "maxval 0 is outside 1-65535"),
        (b"P5 2 2 65536\n" + bytes(8), "maxval 65536 is outside 1-65535"),
        (b"P5 4 4 255\n" + bytes(15), "truncated PGM: its header promises 4x4 pixels, 16 bytes; the file holds 15"),
        (b"P5 2 2 256\n" + bytes(7), "8 bytes; the file holds 7"),  # 16-bit: two bytes a pixel
        (b"P4 9 2\n" + bytes(3), "truncated PBM"),  # 9 pixels: two bytes a row
        (b"P2 3 1 255\n1 2     \n\n\n", "truncated plain PGM: its header promises 3x1 pixels, 3 values"),
        (b"P2 3 1 255\n1 2", "truncated plain PGM"),  # shorter than any 3 values: refused unread
        (b"P1 3 3\n0 1 0 1 0\n", "truncated plain PBM"),
        (b"P2 2 1 255\n1 256\n", "pixel value 256 is above its maxval 255"),
        (b"P5 2 1 200\n\x00\xc9", "pixel value 201 is above its maxval 200"),
        (b"P2 2 1 255\n1 -2\n", "plain PGM pixels are whole numbers, found '-'"),
        (b"P2 2 1 255\n1 0000000000007\n", "more than 9 digits"),
        (b"P1 2 1\n0 2\n", "plain PBM pixels are 0 or 1, found '2'"),
    ],
)
def test_bad_netpbm_files_are_refused_in_one_line(tmp_path, content, expected):
    one_line_error(write(tmp_path, "bad.pgm", content), expected)


@pytest.mark.parametrize("header", [b"P5 16384 3900 65535\n", b"P2 16384 3900 65535\n", b"P4 16384 3900\n"])
def test_a_huge_claim_in_a_small_file_allocates_nothing(tmp_path, header):
    """Just under the size limit, 0.5 GB as floats: refused as truncated
    before any array is made."""
    path = write(tmp_path, "claims.pgm", header + b"0 " * 1000)
    tracemalloc.start()
    try:
        one_line_error(path, "truncated")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


def test_missing_file_folder_and_fifo(tmp_path):
    one_line_error(tmp_path / "nothing.pgm", "no such file")
    one_line_error(tmp_path, "is a folder")
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "pipe.pgm"
    os.mkfifo(fifo)
    one_line_error(fifo, "is a FIFO or pipe")  # refused at once: nobody writes to it


def test_a_control_character_in_a_name_is_shown_escaped(tmp_path):
    path = write(tmp_path, "bad\x1b[31m.pgm", b"P5 0 0 255\n")
    with pytest.raises(DataError) as raised:
        read_image(path)
    assert "\x1b" not in str(raised.value) and "bad\\x1b[31m.pgm" in str(raised.value)


# Pillow ---------------------------------------------------------------------


def png_bytes(array, mode=None):
    from PIL import Image

    stream = io.BytesIO()
    Image.fromarray(array, mode).save(stream, "PNG") if mode else Image.fromarray(array).save(stream, "PNG")
    return stream.getvalue()


def test_png_grey_8_and_16_bit(tmp_path):
    pytest.importorskip("PIL")
    grey = np.array([[0, 128, 255]], np.uint8)
    assert np.array_equal(read_image(write(tmp_path, "a.png", png_bytes(grey))), grey / 255)
    deep = np.array([[0, 1000], [65535, 7]], np.uint16)
    assert np.array_equal(read_image(write(tmp_path, "b.png", png_bytes(deep))), deep / 65535)


def test_png_transparency_is_laid_on_white_and_colour_made_grey(tmp_path):
    pytest.importorskip("PIL")
    rgba = np.zeros((1, 3, 4), np.uint8)  # black, fully transparent
    rgba[0, 1] = (0, 0, 0, 255)  # black ink
    rgba[0, 2] = (255, 0, 0, 255)  # opaque red
    image = read_image(write(tmp_path, "a.png", png_bytes(rgba)))
    assert image[0, 0] == 1.0 and image[0, 1] == 0.0 and 0.2 < image[0, 2] < 0.4  # red's luma is 0.299


def test_jpeg_reads_close_to_what_was_saved(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    grey = np.full((16, 16), 200, np.uint8)
    stream = io.BytesIO()
    Image.fromarray(grey).save(stream, "JPEG", quality=95)
    image = read_image(write(tmp_path, "a.jpg", stream.getvalue()))
    assert image.shape == (16, 16) and np.allclose(image, 200 / 255, atol=2 / 255)


def test_pillow_errors_become_one_line(tmp_path, monkeypatch):
    pytest.importorskip("PIL")
    good = png_bytes(np.zeros((20, 20), np.uint8))
    one_line_error(write(tmp_path, "cut.png", good[: len(good) // 2]), "cannot read this PNG image")
    one_line_error(write(tmp_path, "noise.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256))), "PNG")
    one_line_error(write(tmp_path, "wide.png", png_bytes(np.zeros((1, 16385), np.uint8))), "too large")
    monkeypatch.setattr(data.images, "MAX_PIXELS", 300)  # Pillow's bomb check gets the same cap
    one_line_error(write(tmp_path, "bomb.png", good), "too large")


def test_without_pillow_other_formats_name_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)  # makes "from PIL import ..." fail, installed or not
    png = write(tmp_path, "a.png", b"\x89PNG\r\n\x1a\n" + bytes(40))
    assert one_line_error(png) == f"{png}: PNG files need Pillow: {PILLOW_HINT}"
    one_line_error(write(tmp_path, "a.jpg", b"\xff\xd8\xff\xe0" + bytes(40)), f"JPEG files need Pillow: {PILLOW_HINT}")
    message = one_line_error(write(tmp_path, "a.txt", b"hello"), "not a supported image")
    assert "P1, P2, P4, P5" in message and PILLOW_HINT in message
    assert read_image(write(tmp_path, "a.pgm", b"P5 1 1 255\n\x07")).tolist() == [[7 / 255]]  # no Pillow needed


# digit-tui predict --image --------------------------------------------------


@pytest.fixture
def model(tmp_path, capsys):
    """A tiny model trained on synthetic digits, and those digits."""
    images, labels = synthetic_digits(60)
    csv = write_csv(tmp_path / "train.csv", images, labels)
    path = tmp_path / "m.npz"
    assert main(["train", "--data", str(csv), "--epochs", "3", "--hidden", "16", "--save", str(path), "--json"]) == 0
    capsys.readouterr()
    return path, images


def digit_pgm(tmp_path, name, image, invert=False):
    values = image.reshape(28, 28).astype(np.int64)
    return write(tmp_path, name, pgm_bytes(255 - values if invert else values, 255))


def blank_pgm(tmp_path):
    return write(tmp_path, "blank.pgm", pgm_bytes(np.full((10, 10), 255), 255))


def json_lines(out):
    return [json.loads(line) for line in out.splitlines()]


def test_predict_image_matches_the_model_on_the_prepared_digit(tmp_path, model, capsys):
    from core.inference import probabilities
    from core.model_io import load_model
    from data import normalise
    from data.preprocess import mnist_style

    path, images = model
    saved = load_model(str(path))
    files = [digit_pgm(tmp_path, f"{i}.pgm", images[i], invert=i % 2 == 1) for i in range(4)]
    assert main(["predict", "--model", str(path), "--image", *map(str, files), "--json"]) == 0
    results = json_lines(capsys.readouterr().out)
    for index, result in enumerate(results):
        digit = mnist_style(images[index].reshape(28, 28))
        expected = probabilities(saved.snapshot, normalise(digit.reshape(1, 784), saved.pixel_scale))[0]
        assert result["file"] == str(files[index])  # dark-on-light (odd files) reads the same as light-on-dark
        assert result["prediction"] == int(expected.argmax())
        assert np.allclose(result["probabilities"], expected, atol=1e-6) and len(result["probabilities"]) == 10


def test_one_bad_file_among_good_ones(tmp_path, model, capsys):
    path, images = model
    good = [digit_pgm(tmp_path, f"good{i}.pgm", images[i]) for i in range(2)]
    bad = write(tmp_path, "bad.pgm", b"P5 28 28 255\n" + bytes(10))
    argv = ["predict", "--model", str(path), "--image", str(good[0]), str(bad), str(good[1])]
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"digit-tui: error: {bad}: truncated PGM")
    lines = captured.out.splitlines()
    assert [line.split(":")[0] for line in lines[::2]] == [str(good[0]), str(good[1])]
    assert all("(probability 0." in line or "(probability 1." in line for line in lines[::2])
    assert all([piece.split(":")[0] for piece in line.split()] == list("0123456789") for line in lines[1::2])

    assert main([*argv, "--json"]) == 2
    captured = capsys.readouterr()
    results = json_lines(captured.out)
    assert [r["file"] for r in results] == [str(good[0]), str(bad), str(good[1])]
    assert "truncated PGM" in results[1]["error"] and "prediction" not in results[1]
    assert all(0 <= r["prediction"] <= 9 and abs(sum(r["probabilities"]) - 1) < 1e-5 for r in results[::2])
    assert len(captured.err.strip().splitlines()) == 1


def test_a_blank_picture_says_nothing_drawn(tmp_path, model, capsys):
    path, _ = model
    blank = blank_pgm(tmp_path)
    assert main(["predict", "--model", str(path), "--image", str(blank)]) == 0
    assert capsys.readouterr().out.strip() == f"{blank}: nothing drawn"
    assert main(["predict", "--model", str(path), "--image", str(blank), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {"file": str(blank), "prediction": None, "probabilities": None, "nothing_drawn": True}


@pytest.mark.parametrize(
    "flags, message",
    [
        ([], "predict needs --image FILE..., or --data PATH with --out PATH"),
        (["--data", "x.csv"], "predict needs --image"),
        (["--out", "s.csv"], "predict needs --image"),
        (["--image", "a.pgm", "--data", "x.csv"], "not both"),
        (["--image", "a.pgm", "--out", "s.csv"], "not both"),
        (["--data", "x.csv", "--out", "s.csv", "--json"], "--json goes with --image"),
    ],
)
def test_predict_usage_errors_exit_2_in_one_line(tmp_path, flags, message, capsys):
    assert main(["predict", "--model", str(tmp_path / "m.npz"), *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_a_bad_model_is_one_error_before_any_file(tmp_path, capsys):
    blank = blank_pgm(tmp_path)
    assert main(["predict", "--model", str(tmp_path / "none.npz"), "--image", str(blank)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1 and "none.npz" in captured.err
