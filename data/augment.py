"""Data augmentation: new versions of each training digit, drawn every epoch.

Three kinds, each including the one before (``none`` < ``shift`` < ``affine``
< ``elastic``), all vectorised over the batch, float32, seeded:

- shift: move each digit by whole pixels. The batch is padded with zeros once
  and each digit's 28x28 window is read at its own offset, so ink never wraps
  around the border (as it would with ``np.roll``).
- affine: rotation, scale, shear and a sub-pixel translation, as one inverse
  coordinate map per digit: for each output pixel, where in the input to read.
  The input is read there by bilinear interpolation.
- elastic: affine plus a smooth random displacement of every pixel (Simard,
  Steinkraus and Platt, 2003): uniform noise in [-1, 1] smoothed by a
  Gaussian of width ``sigma`` and scaled to ``alpha`` pixels, added to the
  same coordinate map, so an image is still interpolated only once. The
  fields come from a bank of 256, redrawn every 16 batches; each digit
  takes one at random, with a random sign (drawing and smoothing a field
  for every digit cost as much as the rest of the augmentation).

The 28x28 shape lives here, not in ``core``: the training loop only calls
``augmenter(x_batch, rng)`` on rows of 784 pixels (see ``core.training``).
"""

from dataclasses import dataclass

import numpy as np

from core.config import AUGMENTATIONS, TrainConfig
from core.types import FloatArray

from .dataset import IMAGE_SIDE
from .warp import Buffers, sample

KINDS = AUGMENTATIONS
CENTRE = (IMAGE_SIDE - 1) / 2  # pixel centres are 0..27; rotate and scale about 13.5
BANK_SIZE = 256  # elastic displacement fields kept at a time
BANK_REFRESH = 16  # batches between two new banks
CHUNK = 1024  # digits warped at a time


@dataclass(frozen=True)
class Strengths:
    """The largest change each transform may make (each drawn uniformly up to
    it); declared, with defaults and ranges, once, as TrainConfig's settings."""

    shift: float  # pixels, each direction
    rotate: float  # degrees, either way
    scale: float  # share of the size, either way
    shear: float  # degrees
    elastic_alpha: float  # pixels: the displacement's typical size (its standard deviation)
    elastic_sigma: float  # pixels: the smoothing Gaussian's width

    @classmethod
    def of(cls, config: TrainConfig) -> "Strengths":
        return cls(
            shift=config.shift,
            rotate=config.rotate,
            scale=config.scale,
            shear=config.shear,
            elastic_alpha=config.elastic_alpha,
            elastic_sigma=config.elastic_sigma,
        )


class Augmenter:
    """``augmenter(x, rng)``: a new batch of the same shape, transformed.

    ``x`` holds rows of 784 pixels in [0, 1]; the result is float32, in
    [0, 1] too (bilinear interpolation never leaves the range of its inputs).
    One augmenter serves one run: it keeps work arrays and the elastic bank."""

    def __init__(self, kind: str, strengths: Strengths | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown augmentation {kind!r}; choose from {', '.join(KINDS)}")
        self.kind = kind
        self.strengths = strengths or Strengths.of(TrainConfig())  # the settings' defaults
        self._smoother = gaussian_matrix(IMAGE_SIDE, self.strengths.elastic_sigma)
        self._buffers: Buffers | None = None
        self._bank: FloatArray | None = None  # (2, BANK_SIZE, 28, 28): row and column displacements
        self._calls = 0

    def __call__(self, x: FloatArray, rng: np.random.Generator) -> FloatArray:
        images = np.asarray(x, dtype=np.float32).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
        if self.kind == "none":
            out = images.copy()
        elif self.kind == "shift":
            out = shift_images(images, random_offsets(len(images), round(self.strengths.shift), rng))
        else:  # in chunks: a full-batch run's whole set at once would need ~32 KB of work arrays a digit
            chunks = [images[start : start + CHUNK] for start in range(0, len(images), CHUNK)]
            warped = [sample(chunk, self.coordinates(len(chunk), rng)) for chunk in chunks]
            out = warped[0] if len(warped) == 1 else np.concatenate(warped)
        return out.reshape(len(images), -1)

    def coordinates(self, count: int, rng: np.random.Generator) -> Buffers:
        """Work buffers whose ``rows`` and ``cols`` say where each output pixel
        reads its input (padded coordinates: see ``warp``)."""
        if self._buffers is None or self._buffers.count < count:
            self._buffers = Buffers(count)
        work = self._buffers.first(count)  # an epoch's short last batch: the same arrays, cut
        (down_r, across_r), (down_c, across_c) = affine_parts(random_affines(count, self.strengths, rng))
        np.add((down_r + 1)[:, :, None], across_r[:, None, :], out=work.rows)  # +1: the padding before
        np.add((down_c + 1)[:, :, None], across_c[:, None, :], out=work.cols)
        if self.kind == "elastic":
            self._add_elastic(work, rng)
        return work

    def _add_elastic(self, work: Buffers, rng: np.random.Generator) -> None:
        if self._bank is None or self._calls % BANK_REFRESH == 0:
            self._bank = np.stack(elastic_displacements(BANK_SIZE, self.strengths.elastic_alpha, self._smoother, rng))
        self._calls += 1
        picks = rng.integers(0, BANK_SIZE, work.count)
        signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), work.count)[:, None, None]
        for axis, coordinates in ((0, work.rows), (1, work.cols)):
            field = np.take(self._bank[axis], picks, axis=0, out=work.scratch)
            coordinates += np.multiply(field, signs, out=field)


def augmenter_for(config: TrainConfig) -> Augmenter | None:
    """The run's batch transform (see ``core.training``), or None for none."""
    return None if config.augment == "none" else Augmenter(config.augment, Strengths.of(config))


def random_offsets(count: int, largest: int, rng: np.random.Generator) -> np.ndarray:
    """(count, 2) whole-pixel offsets (down, right), each in [-largest, largest]."""
    return rng.integers(-largest, largest + 1, size=(count, 2))


def shift_images(images: FloatArray, offsets: np.ndarray) -> FloatArray:
    """Each image moved by its (down, right) offset; what comes in is blank.

    Pad the batch once by the largest offset, then read each image's window
    in one gather: output pixel (r, c) of image n is padded pixel
    (r + pad - down, c + pad - right) of image n."""
    count, pad = len(images), int(np.abs(offsets).max(initial=0))
    side = IMAGE_SIDE + 2 * pad
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad))).reshape(-1)
    window = (np.arange(IMAGE_SIDE)[:, None] * side + np.arange(IMAGE_SIDE)[None, :]).reshape(-1)  # (784,)
    starts = np.arange(count) * side * side + (pad - offsets[:, 0]) * side + (pad - offsets[:, 1])
    moved: FloatArray = padded.take(starts[:, None] + window[None, :]).reshape(count, IMAGE_SIDE, IMAGE_SIDE)
    return moved


def random_affines(count: int, strengths: Strengths, rng: np.random.Generator) -> np.ndarray:
    """(count, 2, 3) forward maps [A | t] in (row, col) pixel coordinates about
    the centre: a point p of the input goes to A (p - centre) + centre + t."""
    angle = np.radians(rng.uniform(-strengths.rotate, strengths.rotate, count))
    shear = np.radians(rng.uniform(-strengths.shear, strengths.shear, count))
    scale = 1.0 + rng.uniform(-strengths.scale, strengths.scale, count)
    shift = rng.uniform(-strengths.shift, strengths.shift, (count, 2))
    cos, sin = np.cos(angle), np.sin(angle)
    # A = scale * rotation @ shear, with the shear slanting columns by rows
    # (a digit leans as handwriting does). Rows point down, so a positive
    # angle turns the digit anticlockwise on screen: a point right of the
    # centre, (0, d), goes to (-d sin, d cos), up.
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    slant = np.zeros((count, 2, 2))
    slant[:, 0, 0] = slant[:, 1, 1] = 1.0
    slant[:, 1, 0] = np.tan(shear)
    matrices = scale[:, None, None] * (rotation @ slant)
    return np.concatenate([matrices, shift[:, :, None]], axis=2)


def affine_parts(maps: np.ndarray) -> tuple[tuple[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]:
    """For each forward map, where each output pixel q reads the input: the
    inverse map p = A^-1 (q - centre - t) + centre, in separable parts.

    With B = A^-1 and q - centre = (i, j), the row read is
    B00 i + (centre - B t)_0 + B01 j: a part that depends on the output row
    ("down", (count, 28)) plus one that depends on its column ("across"), and
    likewise the column read; a coordinate is then one broadcast add over the
    batch. B is the 2x2 inverse written out, [[d, -b], [-c, a]] / (ad - bc)."""
    a, b, c, d = maps[:, 0, 0], maps[:, 0, 1], maps[:, 1, 0], maps[:, 1, 1]
    determinant = a * d - b * c
    inverse = np.stack([d, -b, -c, a], axis=1) / determinant[:, None]  # B00, B01, B10, B11
    t_row, t_col = maps[:, 0, 2], maps[:, 1, 2]
    offset_row = CENTRE - (inverse[:, 0] * t_row + inverse[:, 1] * t_col)
    offset_col = CENTRE - (inverse[:, 2] * t_row + inverse[:, 3] * t_col)
    grid = np.arange(IMAGE_SIDE) - CENTRE
    parts = np.multiply.outer(inverse, grid).astype(np.float32)  # (count, 4, 28): each B entry times the grid
    parts[:, 0] += offset_row[:, None].astype(np.float32)
    parts[:, 2] += offset_col[:, None].astype(np.float32)
    return (parts[:, 0], parts[:, 1]), (parts[:, 2], parts[:, 3])


def affine_coordinates(maps: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """(rows, cols), each (count, 28, 28): where each output pixel reads its
    input under each forward map (the whole grid of ``affine_parts``)."""
    (down_r, across_r), (down_c, across_c) = affine_parts(maps)
    return down_r[:, :, None] + across_r[:, None, :], down_c[:, :, None] + across_c[:, None, :]


def gaussian_matrix(size: int, sigma: float) -> FloatArray:
    """G with (G @ f) = f convolved with a normalised Gaussian, zero beyond the
    border. Smoothing a field both ways is then G @ field @ G.T: two small
    matrix products instead of a convolution loop."""
    offsets = np.arange(size)[:, None] - np.arange(size)[None, :]
    weights = np.exp(-0.5 * (offsets / max(sigma, 1e-3)) ** 2)
    full = float(np.exp(-0.5 * (np.arange(-size + 1, size) / max(sigma, 1e-3)) ** 2).sum())
    smoother: FloatArray = (weights / full).astype(np.float32)
    return smoother


def elastic_displacements(
    count: int, alpha: float, smoother: FloatArray, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Smooth random displacements (rows, cols), each (count, 28, 28), in pixels.

    Noise in [-1, 1] per pixel (variance 1/3), smoothed by G both ways, has
    variance (1/3) (sum of G's squared row i)(sum of G's squared row j) at
    pixel (i, j); it is scaled so that its standard deviation, averaged over
    the image, is ``alpha`` pixels whatever the smoothing width (averaging
    cancels most of the noise). Near the border, where the Gaussian is cut,
    it is smaller; at the centre a little larger."""
    noise = rng.uniform(-1.0, 1.0, (2, count, IMAGE_SIDE, IMAGE_SIDE)).astype(np.float32)
    smooth = smoother @ noise @ smoother.T
    gain = np.float32(alpha / np.sqrt((smoother**2).sum(axis=1).mean() ** 2 / 3.0))
    return smooth[0] * gain, smooth[1] * gain
