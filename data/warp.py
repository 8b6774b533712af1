"""Reading images at fractional coordinates: bilinear interpolation, for a
whole batch at once (used by ``augment`` for its affine and elastic maps).

Each output pixel reads its image at (r, c), given by the caller. With
r = r0 + fr and c = c0 + fc (whole and fractional parts), the four pixels
around that point are mixed by how near each is:

    top    = I[r0, c0]     + fc (I[r0, c0 + 1]     - I[r0, c0])
    bottom = I[r0 + 1, c0] + fc (I[r0 + 1, c0 + 1] - I[r0 + 1, c0])
    value  = top + fr (bottom - top)

The pixels are read from the image padded with blanks (one before, two
after) and the coordinates are clipped into that padding, so a point beyond
the image reads only blanks, no read is out of bounds, and nothing from the
far side of an image, or from the next image in the batch, leaks in.
"""

import copy

import numpy as np

from core.types import FloatArray

from .dataset import IMAGE_SIDE

SIDE = IMAGE_SIDE + 3  # a padded image's side: one blank before, two after
LIMIT = np.float32(IMAGE_SIDE + 1)  # padded coordinates end at the first blank after the image


class Buffers:
    """Work arrays for batches of ``count`` images, kept from call to call.

    A fresh 400 KB array per step costs more in page faults than the work
    done in it (measured: four gathers into new arrays took 1 ms, into kept
    ones 0.25 ms), so every step writes into these with ``out=``. The caller
    fills ``rows`` and ``cols`` with padded coordinates (image coordinates
    plus one) before calling ``sample``."""

    def __init__(self, count: int) -> None:
        shape = (count, IMAGE_SIDE, IMAGE_SIDE)
        self.count = count
        self.padded = np.zeros((count, SIDE, SIDE), dtype=np.float32)  # the borders stay blank
        self.rows, self.cols, self.whole_rows, self.whole_cols = (np.empty(shape, np.float32) for _ in range(4))
        self.top, self.bottom, self.scratch = (np.empty(shape, np.float32) for _ in range(3))
        self.corner = np.empty(shape, np.intp)
        self.starts = (np.arange(count) * (SIDE * SIDE))[:, None, None]  # where each padded image starts

    def first(self, count: int) -> "Buffers":
        """The same arrays for the first ``count`` images (a batch smaller than
        the largest seen): views, no new memory."""
        if count == self.count:
            return self
        view = copy.copy(self)
        view.count = count
        for name in ("padded", "rows", "cols", "whole_rows", "whole_cols", "top", "bottom", "scratch", "corner"):
            setattr(view, name, getattr(self, name)[:count])
        view.starts = self.starts[:count]
        return view


def bilinear(images: FloatArray, rows: FloatArray, cols: FloatArray) -> FloatArray:
    """Each image (n, 28, 28) read at (rows, cols), each (n, 28, 28), in
    image coordinates; a new (n, 28, 28) float32 array."""
    work = Buffers(len(images))
    np.add(rows, np.float32(1), out=work.rows)
    np.add(cols, np.float32(1), out=work.cols)
    return sample(images, work)


def sample(images: FloatArray, work: Buffers) -> FloatArray:
    """``images`` read at the padded coordinates in ``work.rows``, ``work.cols``
    (which it overwrites); a new (n, 28, 28) float32 array."""
    work.padded[:, 1 : IMAGE_SIDE + 1, 1 : IMAGE_SIDE + 1] = images
    flat = work.padded.reshape(-1)
    r, c, r0, c0 = work.rows, work.cols, work.whole_rows, work.whole_cols
    np.clip(r, 0, LIMIT, out=r)
    np.clip(c, 0, LIMIT, out=c)
    np.floor(r, out=r0)
    np.floor(c, out=c0)
    fr, fc = np.subtract(r, r0, out=r), np.subtract(c, c0, out=c)  # the fractional parts, in place
    corner = work.corner
    np.add(np.multiply(r0, SIDE, out=r0), c0, out=r0)  # the top-left pixel, within its padded image
    np.add(work.starts, r0, out=corner, casting="unsafe")  # whole numbers: the cast is exact
    # The other three neighbours are the same index into the image moved by
    # one pixel, one row, or both: a view, not three more index arrays.
    _mix(flat, flat[1:], corner, fc, work.top, work.scratch)
    _mix(flat[SIDE:], flat[SIDE + 1 :], corner, fc, work.bottom, work.scratch)
    np.multiply(np.subtract(work.bottom, work.top, out=work.bottom), fr, out=work.bottom)
    return np.add(work.top, work.bottom)  # a new array: the caller may keep it


def _mix(
    left: FloatArray, right: FloatArray, corner: np.ndarray, fc: FloatArray, out: FloatArray, scratch: FloatArray
) -> None:
    """out = left[corner] + fc (right[corner] - left[corner]): one row of neighbours mixed."""
    np.take(left, corner, out=out)
    np.take(right, corner, out=scratch)
    out += np.multiply(np.subtract(scratch, out, out=scratch), fc, out=scratch)
