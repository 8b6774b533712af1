"""The drawing pad's state, with no UI: strokes, a brush, a cursor, undo.

The pad is a grid of pixels drawn two to a terminal cell (an upper half
block), so the app's 44 columns x 14 rows of cells hold 44x28 pixels, which look
square on most terminals. A stroke is the list of points the pointer or the
cursor passed; consecutive points are joined by straight segments, so a
fast drag leaves no gaps. The image is made again from the strokes after an
undo, so undo is exact.
"""

from dataclasses import dataclass, field

import numpy as np

BRUSHES = (1, 2, 3, 4)  # brush radius in pixels, for + and -


@dataclass
class Stroke:
    points: list
    radius: int
    erase: bool = False


@dataclass
class Pad:
    """Pixels in [0, 1] (1 = ink), ``height`` x ``width``."""

    width: int = 56
    height: int = 28
    radius: int = 2
    cursor: tuple = (28, 14)  # (x, y) in pixels
    strokes: list = field(default_factory=list)

    def __post_init__(self):
        self.pixels = np.zeros((self.height, self.width))
        self.base = None  # an image loaded with ``load``, under the strokes

    def begin(self, x, y, erase=False):
        self.strokes.append(Stroke([self._clamp(x, y)], self.radius, erase))
        self._stamp(self.strokes[-1], *self.strokes[-1].points[0])

    def extend(self, x, y):
        """Draw on from the last point to (x, y), with no gaps."""
        if not self.strokes:
            return self.begin(x, y)
        stroke = self.strokes[-1]
        start, end = stroke.points[-1], self._clamp(x, y)
        stroke.points.append(end)
        for point in segment(start, end):
            self._stamp(stroke, *point)

    def undo(self):
        if self.strokes:
            self.strokes.pop()
            self._redraw()

    def clear(self):
        self.strokes.clear()
        self.base = None
        self._redraw()

    def load(self, image):
        """Start again from a (height x width) image in [0, 1]: e.g. a real digit to edit."""
        self.strokes.clear()
        self.base = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
        self._redraw()

    def change_brush(self, step):
        index = BRUSHES.index(self.radius) if self.radius in BRUSHES else 1
        self.radius = BRUSHES[min(max(index + step, 0), len(BRUSHES) - 1)]

    def move_cursor(self, dx, dy):
        self.cursor = self._clamp(self.cursor[0] + dx, self.cursor[1] + dy)

    @property
    def blank(self):
        return not self.pixels.any()

    def _clamp(self, x, y):
        return (min(max(int(x), 0), self.width - 1), min(max(int(y), 0), self.height - 1))

    def _stamp(self, stroke, x, y):
        """A round dab of the brush at (x, y)."""
        rows, cols = np.ogrid[: self.height, : self.width]
        inside = (rows - y) ** 2 + (cols - x) ** 2 <= stroke.radius**2 - (stroke.radius > 1)
        self.pixels[inside] = 0.0 if stroke.erase else 1.0

    def _redraw(self):
        self.pixels = np.zeros((self.height, self.width)) if self.base is None else self.base.copy()
        for stroke in self.strokes:
            for index, point in enumerate(stroke.points):
                previous = stroke.points[index - 1] if index else point
                for dab in segment(previous, point):
                    self._stamp(stroke, *dab)


def segment(start, end):
    """Every pixel on the straight line from ``start`` to ``end`` (both
    included), one per step of the longer axis."""
    (x0, y0), (x1, y1) = start, end
    steps = max(abs(x1 - x0), abs(y1 - y0), 1)
    return [(round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps)) for i in range(steps + 1)]
