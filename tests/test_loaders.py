"""Every loader on small fixture files, and every promised bad-input error."""

import gzip
import os

import numpy as np
import pytest
from helpers import idx_bytes, kaggle_csv_text, synthetic_digits, write_csv, write_idx_pair

from core.errors import DataError
from data import Dataset, detect_format, load_dataset, split_dataset


def check_same(dataset, images, labels):
    assert dataset.images.dtype == np.uint8 and dataset.images.shape == (len(images), 784)
    assert np.array_equal(dataset.images, images)
    if labels is None:
        assert dataset.labels is None
    else:
        assert np.array_equal(dataset.labels, labels)


@pytest.mark.parametrize("compress", [False, True])
def test_kaggle_train_csv(tmp_path, digits, compress):
    path = write_csv(tmp_path / ("train.csv.gz" if compress else "train.csv"), *digits, compress=compress)
    check_same(load_dataset(path), *digits)


def test_kaggle_test_csv_has_no_labels(tmp_path, digits):
    path = write_csv(tmp_path / "test.csv", digits[0])
    check_same(load_dataset(path), digits[0], None)


def test_format_is_told_by_content_not_name(tmp_path, digits):
    path = write_csv(tmp_path / "digits.bin", *digits, compress=True)
    assert detect_format(path) == ("csv", True)
    check_same(load_dataset(path), *digits)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_pair(tmp_path, digits, compress):
    images_path, _ = write_idx_pair(tmp_path, *digits, compress=compress)
    check_same(load_dataset(images_path), *digits)


def test_npz_keras_layout_train_and_test(tmp_path, digits):
    images, labels = digits
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=images.reshape(-1, 28, 28),
        y_train=labels,
        x_test=images[:10].reshape(-1, 28, 28),
        y_test=labels[:10],
    )
    check_same(load_dataset(path), images, labels)
    check_same(load_dataset(path, part="test"), images[:10], labels[:10])


@pytest.mark.parametrize("maker", ["csv", "idx", "npz"])
def test_folder_finds_the_dataset_inside(tmp_path, digits, maker):
    if maker == "csv":
        write_csv(tmp_path / "train.csv", *digits)
    elif maker == "idx":
        write_idx_pair(tmp_path, *digits, compress=True)
    else:
        np.savez(tmp_path / "mnist.npz", x_train=digits[0], y_train=digits[1])
    check_same(load_dataset(tmp_path), *digits)


def test_bundled_sample_is_the_default():
    dataset = load_dataset()
    assert len(dataset) == 5000 and np.bincount(dataset.labels).tolist() == [500] * 10


def test_split_is_stratified_seeded_and_normalised(digits):
    dataset = Dataset(*digits, "synthetic")
    split = split_dataset(dataset, 0.2, seed=3)
    assert len(split.y_val) == 10 and np.bincount(split.y_val).tolist() == [1] * 10
    assert split.x_train.dtype == np.float32 and split.x_train.min() >= 0 and split.x_train.max() <= 1
    again = split_dataset(dataset, 0.2, seed=3)
    assert np.array_equal(split.y_train, again.y_train) and np.array_equal(split.x_val, again.x_val)
    assert np.array_equal(split.val_images, (split.x_val * 255).round().astype(np.uint8))


# ---- bad input: each gives one line naming the file -------------------------------


def csv_with(tmp_path, mutate, digits, name="train.csv"):
    lines = kaggle_csv_text(*digits).splitlines()
    path = tmp_path / name
    path.write_text("\n".join(mutate(lines)) + "\n")
    return path


def replace_cell(row, column, value):
    def mutate(lines):
        cells = lines[row].split(",")
        cells[column] = value
        lines[row] = ",".join(cells)
        return lines

    return mutate


CSV_CASES = {
    "header only": (lambda lines: lines[:1], "has a header but no rows"),
    "non-numeric cell": (replace_cell(3, 5, "abc"), r"row 3, column pixel4: 'abc' is not a number"),
    "missing cell": (replace_cell(2, 10, ""), r"row 2, column pixel9: missing value"),
    "nan cell": (replace_cell(2, 10, "nan"), r"row 2, column pixel9: missing value"),
    "inf cell": (replace_cell(4, 1, "inf"), r"row 4, column pixel0: inf is not a finite number"),
    "pixel too big": (replace_cell(5, 2, "300"), r"row 5, column pixel1: pixel value 300 is outside 0-255"),
    "negative pixel": (replace_cell(5, 2, "-1"), r"row 5, column pixel1: pixel value -1 is outside 0-255"),
    "float pixel": (replace_cell(1, 3, "12.5"), r"row 1, column pixel2: 12.5 is not a whole number"),
    "label out of range": (replace_cell(2, 0, "12"), r"row 2, column label: 12 is not a digit 0-9"),
    "extra value": (
        lambda lines: lines[:3] + [lines[3] + ",7"] + lines[4:],
        r"row 3 has 786 values; the header has 785",
    ),
    "no header": (lambda lines: lines[1:], "no header line"),
    "wrong header": (
        lambda lines: [lines[0].replace("pixel7,", "pixelX,")] + lines[1:],
        r"header column 9 is 'pixelX', expected 'pixel7'",
    ),
    "missing column": (
        lambda lines: [",".join(line.split(",")[:-1]) for line in lines],
        "header has 784 columns, expected 785",
    ),
    "duplicated header": (
        lambda lines: lines[:2] + [lines[0]] + lines[2:],
        r"row 2, column label: 'label' is not a number",
    ),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_bad_csv(tmp_path, digits, case):
    mutate, expected = CSV_CASES[case]
    path = csv_with(tmp_path, mutate, digits)
    with pytest.raises(DataError, match=expected) as raised:
        load_dataset(path)
    assert str(raised.value).startswith(str(path)) and "\n" not in str(raised.value)


def test_bom_and_windows_line_endings_are_fine(tmp_path, digits):
    path = tmp_path / "train.csv"
    path.write_bytes(b"\xef\xbb\xbf" + kaggle_csv_text(*digits).replace("\n", "\r\n").encode())
    check_same(load_dataset(path), *digits)


@pytest.mark.parametrize(
    "setup, expected",
    [
        (lambda p: p.write_bytes(b""), "the file is empty"),
        (
            lambda p: p.write_bytes(gzip.compress(kaggle_csv_text(np.zeros((20, 784), int), [1] * 20).encode())[:300]),
            "truncated",
        ),
        # Seeded: one random file in about 170 starts with a line that reads
        # as text, and is then refused for its header instead.
        (lambda p: p.write_bytes(gzip.compress(np.random.default_rng(0).bytes(2000))), "not a text CSV"),
    ],
)
def test_bad_files(tmp_path, setup, expected):
    path = tmp_path / "train.csv.gz"
    setup(path)
    with pytest.raises(DataError, match=expected):
        load_dataset(path)


def test_idx_wrong_magic(tmp_path, digits):
    images_path, _ = write_idx_pair(tmp_path, *digits)
    data = bytearray(images_path.read_bytes())
    data[2] = 0x09  # claims signed bytes
    images_path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="wrong magic number 00000903, expected 00000803"):
        load_dataset(images_path)


def test_idx_counts_differ(tmp_path, digits):
    images_path, labels_path = write_idx_pair(tmp_path, *digits)
    labels_path.write_bytes(idx_bytes(digits[1][:-5]))
    with pytest.raises(DataError, match="has 55 labels but .* has 60 images"):
        load_dataset(images_path)


def test_idx_header_claiming_a_billion_images_is_refused_without_allocating(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + (1_000_000_000).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2)
    with pytest.raises(DataError, match="claims 1,000,000,000 items"):
        load_dataset(path)


def test_idx_truncated_data(tmp_path, digits):
    images_path, _ = write_idx_pair(tmp_path, *digits, compress=True)
    images_path.write_bytes(gzip.compress(gzip.decompress(images_path.read_bytes())[:5000]))
    with pytest.raises(DataError, match="ends early"):
        load_dataset(images_path)


def test_npz_without_expected_arrays(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, images=np.zeros((3, 784)))
    with pytest.raises(DataError, match="no 'x_train' array .*found: images"):
        load_dataset(path)


def test_npz_object_arrays_are_refused(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x_train=np.array([object()] * 3, dtype=object), y_train=np.zeros(3, int))
    with pytest.raises(DataError, match="never unpickled"):
        load_dataset(path)


def test_npz_bad_pixels_and_labels(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x_train=np.full((3, 28, 28), 300), y_train=np.zeros(3, int))
    with pytest.raises(DataError, match="0-255"):
        load_dataset(path)
    np.savez(path, x_train=np.zeros((3, 28, 28)), y_train=np.array([0, 1, 11]))
    with pytest.raises(DataError, match="outside 0-9"):
        load_dataset(path)


def test_paths_that_are_not_readable_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_dataset(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="no dataset found in this folder"):
        load_dataset(tmp_path)


def test_file_without_read_permission(tmp_path, digits, monkeypatch):
    path = write_csv(tmp_path / "train.csv", *digits)
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: pretend, as an ordinary user would see it
        monkeypatch.setattr(os, "access", lambda p, mode: os.fspath(p) != str(path))
    with pytest.raises(DataError, match="permission denied"):
        load_dataset(path)


def test_single_row_loads_but_cannot_be_split(tmp_path, digits):
    path = write_csv(tmp_path / "train.csv", digits[0][:1], digits[1][:1])
    dataset = load_dataset(path)
    with pytest.raises(DataError, match="has 1 digit.*at least 2"):
        split_dataset(dataset)


def test_unlabelled_data_cannot_train(tmp_path, digits):
    dataset = load_dataset(write_csv(tmp_path / "test.csv", digits[0]))
    with pytest.raises(DataError, match="has no labels"):
        split_dataset(dataset)


def test_rows_are_counted_across_parsing_chunks(tmp_path, monkeypatch):
    import data.csv_format

    monkeypatch.setattr(data.csv_format, "CHUNK_ROWS", 16)
    images, labels = synthetic_digits(60)
    check_same(load_dataset(write_csv(tmp_path / "ok.csv", images, labels)), images, labels)
    images[39, 5] = 0
    path = csv_with(tmp_path, replace_cell(40, 6, "999"), (images, labels), name="bad.csv")
    with pytest.raises(DataError, match=r"row 40, column pixel5: pixel value 999"):
        load_dataset(path)
    path = csv_with(tmp_path, replace_cell(50, 0, "11"), (images, labels), name="bad-label.csv")
    with pytest.raises(DataError, match=r"row 50, column label: 11 is not a digit"):
        load_dataset(path)


def test_csv_cache_hits_and_invalidation(tmp_path, digits, monkeypatch):
    import data.loading
    from data import cache

    path = write_csv(tmp_path / "train.csv", *digits)
    check_same(load_dataset(path), *digits)
    assert len(os.listdir(cache.folder())) == 1
    real_load_csv = data.loading.load_csv

    def must_not_parse(*args):
        raise AssertionError("parsed again despite the cache")

    monkeypatch.setattr(data.loading, "load_csv", must_not_parse)
    check_same(load_dataset(path), *digits)  # from the cache
    images, labels = digits
    write_csv(path, images[:10], labels[:10])  # the file changes: the cache must not answer
    os.utime(path, ns=(1, 1))
    monkeypatch.setattr(data.loading, "load_csv", real_load_csv)
    check_same(load_dataset(path), images[:10], labels[:10])
    assert len(os.listdir(cache.folder())) == 1  # the entry was replaced, not added to


def test_a_damaged_or_unwritable_cache_is_ignored(tmp_path, digits, monkeypatch):
    from data import cache

    path = write_csv(tmp_path / "train.csv", *digits)
    load_dataset(path)
    for entry in os.listdir(cache.folder()):
        with open(os.path.join(cache.folder(), entry), "wb") as stream:
            stream.write(b"PK\x03\x04 damaged")
    check_same(load_dataset(path), *digits)
    monkeypatch.setenv("DIGIT_TUI_CACHE_DIR", str(path))  # a file, so no folder can be made there
    check_same(load_dataset(path), *digits)
    monkeypatch.setenv("DIGIT_TUI_CACHE", "off")
    check_same(load_dataset(path), *digits)
