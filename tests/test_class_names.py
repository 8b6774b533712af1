"""Class names: Fashion-MNIST's and KMNIST's ten names travel from the
downloaded dataset into the model file and onto the screen; anything else
is the digits 0-9. A model file's names are untrusted text."""

import json

import numpy as np
import pytest
from helpers import synthetic_digits, write_csv, write_idx_pair

from core import Architecture, Network, load_model, save_model
from core.class_names import DIGIT_NAMES, MAX_CLASS_NAME
from core.errors import ModelFileError
from data import datasets, load_dataset
from tui.browsing import Selection, find_next, jump_position
from tui.cli import main
from tui.render import probability_bars, rjust_cells, short_names
from tui.views.confusion import legend_text
from tui.widgets import confusion_text

FASHION = datasets.DATASETS["fashion-mnist"].classes
KMNIST = datasets.DATASETS["kmnist"].classes


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty data folder of one's own; runs are not recorded."""
    folder = tmp_path / "data"
    monkeypatch.setenv("DIGIT_TUI_DATA_DIR", str(folder))
    monkeypatch.setenv("DIGIT_TUI_RECORD", "off")
    monkeypatch.chdir(tmp_path)
    return folder


def install(data_dir, name):
    """A downloaded dataset's folder: small train-* and t10k-* IDX files."""
    folder = data_dir / name
    folder.mkdir(parents=True)
    write_idx_pair(folder, *synthetic_digits(60, seed=5), compress=True, prefix="train")
    write_idx_pair(folder, *synthetic_digits(30, seed=6), compress=True, prefix="t10k")
    return folder


def small_model(tmp_path, classes=DIGIT_NAMES, name="model.npz"):
    path = tmp_path / name
    network = Network.create(Architecture(hidden=(8,)), "he", np.random.default_rng(0))
    save_model(path, network.snapshot(), classes=classes)
    return path


# ---- the datasets' names ------------------------------------------------------


def test_the_published_names():
    assert FASHION == (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    )
    assert KMNIST == ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
    assert datasets.DATASETS["mnist"].classes == DIGIT_NAMES == tuple("0123456789")
    for entry in datasets.DATASETS.values():  # plain ASCII: they show in any terminal, --ascii too
        assert len(entry.classes) == 10 and all(name.isascii() for name in entry.classes)


@pytest.mark.parametrize("name", ["fashion-mnist", "kmnist", "mnist"])
def test_a_downloaded_dataset_carries_its_names_however_it_is_named(data_dir, name):
    folder = install(data_dir, name)
    expected = datasets.DATASETS[name].classes
    assert load_dataset(name).classes == expected
    assert load_dataset(str(folder)).classes == expected
    assert load_dataset(str(folder / "t10k-images-idx3-ubyte.gz")).classes == expected
    assert load_dataset(name, part="test").classes == expected


def test_any_other_data_is_digits(data_dir, tmp_path):
    install(data_dir, "fashion-mnist")
    copy = tmp_path / "my-fashion"  # the same files elsewhere: nothing says what they are
    copy.mkdir()
    write_idx_pair(copy, *synthetic_digits(30, seed=1), prefix="train")
    csv = write_csv(tmp_path / "train.csv", *synthetic_digits(30, seed=2))
    assert load_dataset(str(copy)).classes == DIGIT_NAMES
    assert load_dataset(str(csv)).classes == DIGIT_NAMES
    assert load_dataset(None).classes == DIGIT_NAMES


# ---- the model file -----------------------------------------------------------


def test_names_round_trip_through_the_model_file(tmp_path):
    assert load_model(small_model(tmp_path, FASHION)).classes == FASHION
    assert load_model(small_model(tmp_path, KMNIST, "k.npz")).classes == KMNIST
    assert load_model(small_model(tmp_path, name="d.npz")).classes == DIGIT_NAMES


def write_meta(tmp_path, change):
    """A valid model file whose 'meta' record ``change`` edits."""
    path = small_model(tmp_path, FASHION)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(str(arrays["meta"]))
    change(meta)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    return path


def test_a_file_from_before_the_names_loads_as_digits(tmp_path):
    path = write_meta(tmp_path, lambda meta: meta.pop("classes"))
    assert load_model(path).classes == DIGIT_NAMES


@pytest.mark.parametrize(
    "value, words",
    [
        ("Coat", "is not a list of names"),
        ({"0": "Coat"}, "a mapping is not a list of names"),
        (list(FASHION[:9]), "9 names, but the model has 10 classes"),
        (list(FASHION) + ["Hat"], "11 names"),
        ([str(n) for n in range(10**4)], "10,000 names"),
        ([*FASHION[:3], 3, *FASHION[4:]], "the name of class 3 is 3, not text"),
        ([*FASHION[:3], None, *FASHION[4:]], "class 3 is None"),
        ([*FASHION[:3], ["Dress"], *FASHION[4:]], "class 3 is a list"),
        ([*FASHION[:5], "\x1b[31mSandal", *FASHION[6:]], "class 5 ('\\x1b[31mSandal') holds control characters"),
        ([*FASHION[:5], "San\u202edal", *FASHION[6:]], "holds control characters"),
        ([*FASHION[:5], "Sandal\nShirt", *FASHION[6:]], "holds control characters"),
        ([*FASHION[:5], "x" * 50_000, *FASHION[6:]], "50,000 characters long, more than 40"),
        ([*FASHION[:5], "", *FASHION[6:]], "blank"),
        ([*FASHION[:5], "   ", *FASHION[6:]], "blank"),
        ([*FASHION[:5], " Sandal", *FASHION[6:]], "spaces around it"),
        ([*FASHION[:5], "Coat", *FASHION[6:]], "two classes have the same name"),
        ([*FASHION[:5], "\u2800", *FASHION[6:]], "has no visible character"),  # a blank Braille pattern
        ([*FASHION[:5], "\u3164", *FASHION[6:]], "has no visible character"),  # the Hangul filler
        ([*FASHION[:5], "\u0301", *FASHION[6:]], "has no visible character"),  # a lone combining accent
        (["1", "0", *map(str, range(2, 10))], "class 0 is named '1', another class's number"),
    ],
)
def test_hostile_names_are_one_line_naming_the_file(tmp_path, value, words):
    path = write_meta(tmp_path, lambda meta: meta.update(classes=value))
    with pytest.raises(ModelFileError) as raised:
        load_model(path)
    message = str(raised.value)
    assert str(path) in message and "'classes'" in message and words in message, message
    assert "\n" not in message and "\x1b" not in message and len(message) < 400, message


def test_a_name_of_the_longest_length_is_fine_and_wide_characters_too(tmp_path):
    names = ["x" * MAX_CLASS_NAME, "お", "き", *FASHION[3:]]
    assert load_model(small_model(tmp_path, names)).classes == tuple(names)


def test_saving_refuses_names_that_loading_would_refuse(tmp_path):
    with pytest.raises(ModelFileError, match="cannot save the model: 'classes': 9 names"):
        small_model(tmp_path, FASHION[:9])
    assert not (tmp_path / "model.npz").exists()


# ---- drawing ---------------------------------------------------------------------


def test_probability_bars_with_names_keep_their_width():
    probabilities = np.array([0.1, 0.0, 0.0, 0.0, 0.7, 0.0, 0.2, 0.0, 0.0, 0.0])
    digits = probability_bars(probabilities, 4, width=20, ascii_only=True).plain.split("\n")
    named = probability_bars(probabilities, 6, width=20, ascii_only=True, names=FASHION).plain.split("\n")
    assert digits[4] == "4 ##############......  70.0% <"  # unchanged for digits
    assert named[4].startswith("Coat        ") and named[4].endswith("70.0% <")
    assert named[0].startswith("T-shirt/top ") and named[9].startswith("Ankle boot  ")
    assert len({len(line.rstrip(" <")) for line in named}) == 1  # the columns line up
    assert max(len(line) for line in named) == max(len(line) for line in digits)  # as wide as the digits' lines


def test_confusion_headers_are_short_names_and_the_counts_do_not_move():
    confusion = np.arange(100).reshape(10, 10)
    digits = confusion_text(confusion, (0, 0)).plain.split("\n")
    named = confusion_text(confusion, (0, 0), FASHION).plain.split("\n")
    assert digits[0].split() == ["t\\p", *"0123456789", "accuracy"]
    shorts = ["T-shi", "Trous", "Pullo", "Dress", "Coat", "Sanda", "Shirt", "Sneak", "Bag", "Ankle"]
    assert named[0].split() == ["t\\p", *shorts, "accuracy"]
    assert [line.split()[0] for line in named[1:11]] == shorts
    for digit_line, named_line in zip(digits[1:11], named[1:11]):
        assert named_line[6:] == digit_line[4:]  # the rows are two cells wider, the cells the same
    assert max(len(line) for line in named) == 76


def test_short_names_fall_back_to_numbers_when_two_would_read_the_same():
    names = ["Shirt-long", "Shirt-short", *FASHION[2:]]
    assert short_names(names, 5) == list(DIGIT_NAMES)
    assert short_names(KMNIST, 5) == list(KMNIST)
    assert rjust_cells("おきす", 5) == " おき" and rjust_cells("ab", 5) == "   ab"


def test_the_legend_lists_every_name_with_its_key():
    assert legend_text(DIGIT_NAMES).plain == ""
    assert legend_text(FASHION).plain == (
        "0 T-shirt/top  1 Trouser  2 Pullover  3 Dress  4 Coat\n5 Sandal  6 Shirt  7 Sneaker  8 Bag  9 Ankle boot"
    )
    assert Selection(cell=(6, 0)).describe(FASHION) == "true Shirt, predicted T-shirt/top"
    assert Selection(cell=(6, 0)).label == "true 6, predicted 0"


# ---- the browser's search and jump -------------------------------------------------


def test_find_next_matches_a_plain_search():
    rng = np.random.default_rng(3)
    rows = rng.permutation(200)
    wanted_rows = set(rng.choice(200, 7, replace=False).tolist())
    for position in (0, 57, 199):
        for step in (1, -1):
            expected = None
            for offset in range(1, 201):
                candidate = (position + step * offset) % 200
                if int(rows[candidate]) in wanted_rows:
                    expected = candidate
                    break
            found = find_next(rows, position, lambda r: np.isin(r, list(wanted_rows)), step)
            assert found == expected
    assert find_next(np.arange(0), 0, lambda r: r == 0, 1) is None


@pytest.mark.parametrize(
    "text, position",
    [("1", 0), ("20", 19), (" 7 ", 6), ("007", 6), ("1,5", 14), ("1_5", 14)],
)
def test_jump_position_takes_the_number_shown(text, position):
    assert jump_position(text, 20) == position


@pytest.mark.parametrize(
    "text, words",
    [
        ("0", "no digit 0 here: the numbers go from 1 to 20"),
        ("21", "no digit 21 here"),
        ("9" * 5000, "the numbers go from 1 to 20"),
        ("", "type a whole number from 1 to 20"),
        ("-3", "type a whole number"),
        ("+3", "type a whole number"),
        ("2.5", "type a whole number"),
        ("abc", "type a whole number"),
        ("\u0663", "type a whole number"),  # an Arabic-Indic three
        ("\u00b2", "type a whole number"),  # a superscript two
    ],
)
def test_jump_position_says_what_is_wrong(text, words):
    with pytest.raises(ValueError) as raised:
        jump_position(text, 20)
    assert words in str(raised.value) and len(str(raised.value)) < 100


# ---- the headless commands -----------------------------------------------------------


def test_train_stores_the_names_and_evaluate_shows_them(data_dir, tmp_path, capsys):
    install(data_dir, "fashion-mnist")
    model = tmp_path / "fashion.npz"
    assert main(["train", "--data", "fashion-mnist", "--epochs", "1", "--hidden", "8", "--save", str(model)]) == 0
    assert load_model(model).classes == FASHION
    capsys.readouterr()
    assert main(["evaluate", "--model", str(model), "--data", "fashion-mnist"]) == 0
    table = capsys.readouterr().out
    assert "class" in table and all(name in table for name in FASHION)
    assert main(["evaluate", "--model", str(model), "--data", "fashion-mnist", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["classes"] == list(FASHION)
    assert [row["name"] for row in result["per_class"]] == list(FASHION)
    assert [row["digit"] for row in result["per_class"]] == list(range(10))


def test_evaluate_of_a_digit_model_has_no_class_column(data_dir, tmp_path, capsys):
    install(data_dir, "mnist")
    model = small_model(tmp_path)
    assert main(["evaluate", "--model", str(model), "--data", "mnist"]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines() if "precision" in line)
    assert "digit" in header and "class" not in header


def test_predict_names_the_class_but_the_submission_stays_numeric(data_dir, tmp_path, capsys):
    install(data_dir, "fashion-mnist")
    model = small_model(tmp_path, FASHION)
    images, _ = synthetic_digits(3, seed=8)
    test_csv = write_csv(tmp_path / "test.csv", images)
    out = tmp_path / "submission.csv"
    assert main(["predict", "--model", str(model), "--data", str(test_csv), "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "ImageId,Label" and all(line.split(",")[1].isdigit() for line in lines[1:])
    image = tmp_path / "one.pgm"
    image.write_bytes(b"P5\n28 28\n255\n" + images[0].tobytes())
    capsys.readouterr()
    assert main(["predict", "--model", str(model), "--image", str(image), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["name"] == FASHION[result["prediction"]]
    assert main(["predict", "--model", str(model), "--image", str(image)]) == 0
    assert f"{result['prediction']} {result['name']}" in capsys.readouterr().out
