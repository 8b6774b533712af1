"""MNIST-style preprocessing: any drawing to a centred 28x28 digit."""

import numpy as np
import pytest

from data import load_dataset
from data.preprocess import mnist_style


@pytest.fixture(scope="module")
def real_digits():
    """Twenty real digits of the bundled sample, two of each class."""
    dataset = load_dataset()
    rows = np.concatenate([np.flatnonzero(dataset.labels == d)[:2] for d in range(10)])
    return dataset.images[rows].reshape(-1, 28, 28).astype(np.float64)


def difference(a, b):
    """Mean absolute difference of two digits, as a share of full scale, up
    to a one-pixel shift (MNIST centred its digits with sub-pixel shifts;
    these are whole pixels). np.roll is safe here: the borders are blank."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    return min(
        float(np.abs(np.roll(a, (dy, dx), axis=(0, 1)) - b).mean() / 255) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
    )


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return (rows * image).sum() / total, (cols * image).sum() / total


def test_nothing_drawn_is_none():
    assert mnist_style(np.zeros((50, 40))) is None
    assert mnist_style(np.full((10, 10), 0.7)) is None


def test_a_real_digit_comes_back_as_it_was(real_digits):
    for digit in real_digits:
        assert difference(mnist_style(digit, blur=False), digit) < 0.01


def as_page(digit, how):
    """The digit as it might be drawn or scanned."""
    page = digit
    if how in ("scaled 4x", "all at once"):
        page = np.kron(page, np.ones((4, 4)))
    if how in ("corner", "all at once"):
        wide = np.zeros((page.shape[0] + 50, page.shape[1] + 70))
        wide[-page.shape[0] :, -page.shape[1] :] = page  # bottom right corner of a larger page
        page = wide
    if how in ("binarised", "all at once"):
        page = np.where(page > 127, 255.0, 0.0)
    if how in ("dark on light", "all at once"):
        page = 255 - page
    return page


# Mean and worst difference over the twenty digits. Moving, scaling and
# inverting lose nothing; binarising loses the grey rim the box is fitted to,
# so the stroke comes back a little thicker.
LIMITS = {
    "corner": (0.005, 0.01),
    "scaled 4x": (0.005, 0.01),
    "dark on light": (0.005, 0.01),
    "binarised": (0.035, 0.12),
    "all at once": (0.035, 0.12),
}


@pytest.mark.parametrize("how", sorted(LIMITS))
def test_a_transformed_digit_comes_back_close_to_the_original(real_digits, how):
    differences = []
    for digit in real_digits:
        result = mnist_style(as_page(digit, how))
        assert result.shape == (28, 28) and result.dtype == np.uint8 and result.max() == 255
        differences.append(difference(result, mnist_style(digit)))
    mean_limit, worst_limit = LIMITS[how]
    assert np.mean(differences) < mean_limit and max(differences) < worst_limit, how


def test_the_longest_side_becomes_20_pixels_and_the_aspect_stays():
    bar = np.zeros((100, 100))
    bar[10:90, 44:56] = 1.0  # 80 tall, 12 wide
    result = mnist_style(bar, blur=False)
    rows, cols = np.nonzero(result > 0)
    assert rows.max() - rows.min() + 1 == 20 and cols.max() - cols.min() + 1 == 3  # 12 * 20/80 = 3


def test_the_centre_of_mass_goes_to_the_centre():
    dot = np.zeros((40, 40))
    dot[2:5, 30:34] = 1.0  # a blob near a corner
    result = mnist_style(dot, blur=False)
    row, col = centre_of_mass(result.astype(np.float64))
    assert abs(row - 14) <= 1 and abs(col - 14) <= 1


def test_no_ink_wraps_around_the_border():
    shape = np.zeros((30, 30))
    shape[0:30, 0:3] = 1.0  # a stroke along the left edge, off-centre mass
    shape[0:3, 0:30] = 1.0
    result = mnist_style(shape, blur=False)
    assert result[:, -1].max() == 0 or result[:, 0].max() == 0  # moved, never wrapped


def test_bad_arrays_are_refused():
    with pytest.raises(ValueError, match="2-D"):
        mnist_style(np.zeros((3, 4, 5)))
    with pytest.raises(ValueError, match="NaN"):
        mnist_style(np.array([[0.0, np.nan], [1.0, 0.0]]))
