"""Turn any grayscale drawing into a digit as MNIST prepared its digits.

MNIST's digits were size-normalised to fit a 20x20 box, keeping their aspect
ratio (the anti-aliasing of that resize gives the grey levels), and centred
in a 28x28 field by their centre of mass. A network trained on them expects
exactly that: a raw drawing (too big, off-centre, dark on light) is mostly
misclassified. ``mnist_style`` does the same steps in NumPy:

1. brightness to [0, 1], and ink made bright: the background is told from
   the border, so dark ink on a white page is inverted;
2. the ink's bounding box (pixels above a threshold);
3. the box's longest side resized to 20 pixels by area averaging;
4. pasted into 28x28 and shifted so the centre of mass sits at the centre;
5. optionally a light blur, which softens the hard edges of a drawing or a
   binarised image towards MNIST's pen strokes.
"""

import numpy as np
import numpy.typing as npt

FIELD = 28  # the image MNIST digits live in
BOX = 20  # the box their longest side is scaled to
INK = 0.2  # a pixel is ink above this share of the image's brightness range


def mnist_style(image: npt.ArrayLike, blur: bool = True) -> npt.NDArray[np.uint8] | None:
    """A (28, 28) uint8 digit (0 background, 255 ink) from a 2-D grayscale
    array of any size and range, or None when nothing is drawn."""
    ink = _ink(np.asarray(image, dtype=np.float64))
    if ink is None:
        return None
    rows, cols = np.nonzero(ink > INK)
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    digit = _centred(_fit_box(crop))
    if blur:
        digit = _soften(digit)
    return np.round(digit * (255.0 / digit.max())).astype(np.uint8)


def _ink(image: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    """Brightness in [0, 1] with ink bright; None if there is no contrast."""
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"expected a 2-D grayscale image, got shape {image.shape}")
    if not np.all(np.isfinite(image)):
        raise ValueError("the image holds NaN or infinite values")
    low, high = float(image.min()), float(image.max())
    if high - low <= 1e-9 * max(abs(high), 1.0):
        return None  # one flat colour: nothing drawn
    ink = (image - low) / (high - low)
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    if np.median(border) > 0.5:  # a light page: the ink is the dark part
        ink = 1.0 - ink
    return ink


def _fit_box(crop: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The crop scaled so its longest side is BOX pixels, aspect kept."""
    height, width = crop.shape
    scale = BOX / max(height, width)
    new_height, new_width = max(1, round(height * scale)), max(1, round(width * scale))
    return _area_matrix(height, new_height) @ crop @ _area_matrix(width, new_width).T


def _area_matrix(size: int, new_size: int) -> npt.NDArray[np.float64]:
    """Resampling by area: row i averages the input pixels that output
    pixel i covers, each weighted by the length of the overlap. Works for
    shrinking (averaging, which anti-aliases) and growing alike."""
    edges_in = np.arange(size + 1, dtype=np.float64)
    edges_out = np.linspace(0.0, size, new_size + 1)
    starts = np.maximum(edges_out[:-1, None], edges_in[None, :-1])
    ends = np.minimum(edges_out[1:, None], edges_in[None, 1:])
    overlap = np.clip(ends - starts, 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def _centred(box: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The box pasted into the field, then moved (in whole pixels, as far
    as the field allows) so that its centre of mass is the field's centre."""
    field = np.zeros((FIELD, FIELD))
    height, width = box.shape
    top, left = (FIELD - height) // 2, (FIELD - width) // 2
    rows, cols = np.indices(box.shape)
    total = box.sum()
    centre_row = top + float((rows * box).sum() / total)
    centre_col = left + float((cols * box).sum() / total)
    # MNIST's convention: the centre of mass goes to (14, 14) in pixel coordinates.
    shift_row = int(np.clip(round(FIELD / 2 - centre_row), -top, FIELD - height - top))
    shift_col = int(np.clip(round(FIELD / 2 - centre_col), -left, FIELD - width - left))
    field[top + shift_row : top + shift_row + height, left + shift_col : left + shift_col + width] = box
    return field


def _soften(digit: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A light 3x3 blur (weights 1-2-1 in each direction, the centre kept
    strongest), so a hard-edged stroke gets MNIST's soft rim."""
    padded = np.pad(digit, 1)
    rows = padded[:-2] + 2 * padded[1:-1] + padded[2:]
    both = rows[:, :-2] + 2 * rows[:, 1:-1] + rows[:, 2:]
    return 0.5 * digit + 0.5 * both / 16.0
