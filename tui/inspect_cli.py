"""``digit-tui inspect``: a saved model's first-layer weights as one image.

Each first-layer unit weighs the 784 pixels, so its weights can be drawn as
a 28x28 tile (see core.inspect.first_layer_tiles and data.pgm_grid). Errors
are raised as DigitTuiError, which the ``digit-tui`` command reports in one
line with exit status 2.
"""

import argparse
import sys
from typing import Any

from core.errors import DigitTuiError
from core.text import printable


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``inspect`` to ``commands``, the object add_subparsers() returned."""
    inspect = commands.add_parser("inspect", help="draw a saved model's first-layer weights as an image grid")
    inspect.add_argument("--model", required=True, metavar="M")
    inspect.add_argument(
        "--out", required=True, metavar="PATH", help="image to write: PGM, or PNG (name ending .png) with Pillow"
    )
    inspect.add_argument(
        "--layer", type=int, default=1, metavar="N", help="the layer to draw (only 1: it is the one that sees pixels)"
    )
    parser: argparse.ArgumentParser = inspect
    return parser


def inspect_command(args: argparse.Namespace) -> int:
    """Write the layer's tiles as one image grid; everything is checked
    before the model is read."""
    # imported here: the other commands need none of this
    from core.inspect import first_layer_tiles
    from core.model_io import load_model
    from core.outputs import check_output_path
    from data.images import PILLOW_HINT
    from data.pgm_grid import png_supported, tiles_to_grid, write_pgm_grid, write_png_grid

    _check_layer(args.layer)
    out = check_output_path(args.out, "image", [("--model", args.model)])
    as_png = out.lower().endswith(".png")
    if as_png and not png_supported():
        raise DigitTuiError(f"{printable(out, 300)}: PNG output needs Pillow: {PILLOW_HINT} (or name a .pgm file)")
    saved = load_model(args.model)
    tiles = first_layer_tiles(saved.snapshot)
    grid = tiles_to_grid(tiles)
    if as_png:
        write_png_grid(out, grid)
    else:
        write_pgm_grid(out, grid)
    described = saved.snapshot.architecture.describe()
    print(f"wrote {len(tiles)} tiles ({described}) to {printable(out, 300)}", file=sys.stderr)
    return 0


def _check_layer(layer: int) -> None:
    if layer < 1:
        raise DigitTuiError(f"--layer {layer}: layers count from 1 (the first layer, which sees the pixels)")
    if layer > 1:
        raise DigitTuiError(
            f"--layer {layer}: only layer 1 can be drawn as 28x28 tiles; "
            "its units weigh the 784 pixels, deeper units weigh the units below them"
        )
