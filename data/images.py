"""Reading one picture of a digit as a grey array: PBM and PGM (Netpbm) with
NumPy alone, and whatever Pillow opens (PNG, JPEG, ...) when the ``images``
extra is installed.

``read_image`` returns a 2-D float64 array of any size in which larger is
brighter: 8- and 16-bit files are scaled to [0, 1] by their maximum value,
and a PBM's 1 (black) reads as 0.0, its 0 (white) as 1.0. Which of ink and
background is the dark one is for ``data.preprocess`` to find out.

Every size a header claims is checked before anything is allocated, and a
file claiming more than it holds is refused before the pixels are read.

Never imports textual or rich, and never prints.
"""

import os
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from core.errors import DataError
from core.files import open_regular
from core.text import printable

Grey = npt.NDArray[np.float64]

MAX_SIDE = 16384
MAX_PIXELS = 64_000_000  # 512 MB as float64: far beyond any photo of a digit, and still fits a laptop
HEADER_BYTES = 1 << 20  # a Netpbm header (comments included) must end within this
CHUNK_BYTES = 1 << 20  # plain (text) rasters are parsed a piece at a time
LONGEST_NUMBER = 9  # digits: more can only be an error (sizes and values are at most 65535)
_PAST_ANY_LIMIT = 1_000_000_000  # stands for a number of more than LONGEST_NUMBER digits

PILLOW_HINT = "pip install 'digit-tui[images]'"
NATIVE = "PBM and PGM (P1, P2, P4, P5)"

# magic: (name, header fields); plain formats are text, the others binary
_NETPBM = {
    b"P1": ("plain PBM", ("width", "height")),
    b"P2": ("plain PGM", ("width", "height", "maxval")),
    b"P4": ("PBM", ("width", "height")),
    b"P5": ("PGM", ("width", "height", "maxval")),
}
_SPACE = b" \t\n\v\f\r"  # Netpbm's whitespace is C's isspace()
_GAP = rb"(?:[ \t\n\v\f\r]|#[^\r\n]*[\r\n])+"  # a comment runs to the end of its line
_END = rb"(?:#[^\r\n]*)?[ \t\n\v\f\r]"  # the one whitespace character before the raster
_HEADERS = {
    magic: re.compile(re.escape(magic) + (_GAP + rb"([0-9]+)") * len(fields) + _END)
    for magic, (_name, fields) in _NETPBM.items()
}
_COMMENT = re.compile(rb"#[^\r\n]*")
_LINE_END = re.compile(rb"[\r\n]")
_NOT_PLAIN_PGM = re.compile(rb"[^0-9 \t\n\v\f\r]")

# Only to name a format in "needs Pillow"; Pillow itself decides what it reads.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"P3", "PPM"),
    (b"P6", "PPM"),
    (b"P7", "PAM"),
)

# What Pillow raises for a corrupt or unsupported file (its own fuzzers
# accept these); anything else from it would be a bug worth a report.
_PILLOW_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, struct.error, zlib.error)


def read_image(path: str | os.PathLike[str]) -> Grey:
    """The picture in ``path`` as a 2-D float64 array, larger = brighter.

    PBM and PGM are read here; other formats need Pillow. With Pillow,
    transparent pixels are laid on white (a digit drawn on a transparent
    background is dark ink on nothing), and a JPEG's EXIF orientation is
    applied (phones store photos sideways with a tag saying so).
    Raises DataError, one line naming the file, for anything unreadable."""
    shown = printable(os.fspath(path))
    with open_regular(path, DataError, "regular file") as stream:
        head = stream.read(HEADER_BYTES)
        if not head:
            raise DataError(f"{shown}: empty file, not an image")
        if head[:2] in _NETPBM:
            return _read_netpbm(stream, head, shown)
        stream.seek(0)
        return _read_with_pillow(stream, shown, _signature(head))


def _signature(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)


# Netpbm -------------------------------------------------------------------


def _read_netpbm(stream: BinaryIO, head: bytes, shown: str) -> Grey:
    magic = head[:2]
    name, fields = _NETPBM[magic]
    match = _HEADERS[magic].match(head)
    if match is None:
        raise DataError(f"{shown}: bad {name} header: expected {_listed(fields)} after {magic.decode()}")
    width, height, maxval = _header_numbers(match.groups(), shown, name)
    available = os.fstat(stream.fileno()).st_size - match.end()
    rest = head[match.end() :]
    if magic == b"P4":
        return _read_p4(stream, rest, available, width, height, shown)
    if magic == b"P5":
        return _read_p5(stream, rest, available, width, height, maxval, shown)
    _check_plain_size(available, width, height, magic, shown, name)
    if magic == b"P1":
        return _read_p1(stream, rest, width, height, shown)
    return _read_p2(stream, rest, width, height, maxval, shown)


def _listed(fields: tuple[str, ...]) -> str:
    return fields[0] if len(fields) == 1 else ", ".join(fields[:-1]) + " and " + fields[-1]


def _header_numbers(groups: tuple[bytes | Any, ...], shown: str, name: str) -> tuple[int, int, int]:
    """(width, height, maxval) from the header's digits, each range checked;
    a PBM's maxval is 1."""
    numbers = [_number(digits) for digits in groups]
    width, height = numbers[0], numbers[1]
    maxval = numbers[2] if len(numbers) == 3 else 1
    if width == 0 or height == 0:
        raise DataError(f"{shown}: {name} of {width}x{height} pixels: width and height must be at least 1")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise DataError(f"{shown}: {name} of {_size(width, height)} pixels is too large ({_limits()})")
    if not 1 <= maxval <= 65535:
        raise DataError(f"{shown}: {name} maxval {_size(maxval)} is outside 1-65535")
    return width, height, maxval


def _number(digits: bytes) -> int:
    """The header's number, or one past any limit when it has too many digits
    to be valid (so that a million-digit width costs nothing)."""
    if len(digits) > LONGEST_NUMBER:
        return _PAST_ANY_LIMIT
    return int(digits)


def _size(*numbers: int) -> str:
    return "x".join("a 10-digit-or-longer number" if n >= _PAST_ANY_LIMIT else str(n) for n in numbers)


def _limits() -> str:
    return f"at most {MAX_SIDE} pixels a side and {MAX_PIXELS // 1_000_000} megapixels"


def _truncated(shown: str, name: str, width: int, height: int, needed: int, held: int, unit: str) -> DataError:
    return DataError(
        f"{shown}: truncated {name}: its header promises {width}x{height} pixels, "
        f"{needed} {unit}; the file holds {max(held, 0)}"
    )


def _raw_bytes(stream: BinaryIO, rest: bytes, count: int) -> bytes:
    """The first ``count`` bytes of the raster (a file may hold more images
    after it, which are ignored)."""
    if len(rest) >= count:
        return rest[:count]
    return rest + stream.read(count - len(rest))


def _read_p4(stream: BinaryIO, rest: bytes, available: int, width: int, height: int, shown: str) -> Grey:
    row_bytes = (width + 7) // 8  # each row starts on a byte boundary
    needed = row_bytes * height
    if available < needed:
        raise _truncated(shown, "PBM", width, height, needed, available, "bytes")
    data = _raw_bytes(stream, rest, needed)
    if len(data) < needed:  # the file shrank while we read it
        raise _truncated(shown, "PBM", width, height, needed, len(data), "bytes")
    bits = np.unpackbits(np.frombuffer(data, np.uint8).reshape(height, row_bytes), axis=1)[:, :width]
    return 1.0 - bits.astype(np.float64)  # PBM's 1 is black


def _read_p5(stream: BinaryIO, rest: bytes, available: int, width: int, height: int, maxval: int, shown: str) -> Grey:
    dtype = np.dtype(">u2" if maxval > 255 else "u1")  # 16-bit samples are big-endian
    needed = width * height * dtype.itemsize
    if available < needed:
        raise _truncated(shown, "PGM", width, height, needed, available, "bytes")
    data = _raw_bytes(stream, rest, needed)
    if len(data) < needed:
        raise _truncated(shown, "PGM", width, height, needed, len(data), "bytes")
    values = np.frombuffer(data, dtype).reshape(height, width)
    _check_maxval(values, maxval, shown, "PGM")
    return values.astype(np.float64) / maxval


def _check_maxval(values: npt.NDArray[Any], maxval: int, shown: str, name: str) -> None:
    if values.size and int(values.max()) > maxval:
        raise DataError(f"{shown}: {name} pixel value {int(values.max())} is above its maxval {maxval}")


def _check_plain_size(available: int, width: int, height: int, magic: bytes, shown: str, name: str) -> None:
    """Refuse a plain file too short for its header before allocating: each
    P1 pixel takes at least one character, each P2 value one digit and a
    separator."""
    pixels = width * height
    least = pixels if magic == b"P1" else 2 * pixels - 1
    if available < least:
        raise _truncated(shown, name, width, height, least, available, "characters at least")


def _read_p1(stream: BinaryIO, rest: bytes, width: int, height: int, shown: str) -> Grey:
    count = width * height
    bits = np.empty(count, np.uint8)
    filled = 0
    for text in _plain_pieces(stream, rest):
        # P1 needs no separators: "0101" is four pixels
        values = np.frombuffer(text.translate(None, _SPACE), np.uint8) - np.uint8(ord("0"))
        if values.size and values.max() > 1:
            bad = bytes([int(values[values > 1][0]) + ord("0") & 0xFF])
            raise DataError(f"{shown}: plain PBM pixels are 0 or 1, found {printable(repr(bad)[1:], 20)}")
        filled = _fill(bits, filled, values)
        if filled == count:
            return 1.0 - bits.reshape(height, width).astype(np.float64)  # PBM's 1 is black
    raise _truncated(shown, "plain PBM", width, height, count, filled, "pixels")


def _read_p2(stream: BinaryIO, rest: bytes, width: int, height: int, maxval: int, shown: str) -> Grey:
    count = width * height
    samples = np.empty(count, np.uint16)
    filled = 0
    for text in _plain_pieces(stream, rest):
        values = _plain_numbers(text, shown)
        _check_maxval(values, maxval, shown, "plain PGM")
        filled = _fill(samples, filled, values)
        if filled == count:
            return samples.reshape(height, width).astype(np.float64) / maxval
    raise _truncated(shown, "plain PGM", width, height, count, filled, "values")


def _plain_numbers(text: bytes, shown: str) -> npt.NDArray[np.int64]:
    bad = _NOT_PLAIN_PGM.search(text)
    if bad is not None:
        raise DataError(f"{shown}: plain PGM pixels are whole numbers, found {printable(repr(bad.group())[1:], 20)}")
    tokens = np.array(text.split(), dtype=np.bytes_)
    if tokens.size == 0:
        return np.zeros(0, np.int64)
    if tokens.dtype.itemsize > LONGEST_NUMBER:
        raise DataError(f"{shown}: plain PGM value with more than {LONGEST_NUMBER} digits")
    return tokens.astype(np.int64)


def _fill(out: npt.NDArray[Any], filled: int, values: npt.NDArray[Any]) -> int:
    """Copy what still fits of ``values`` into ``out`` from ``filled`` on;
    anything past the last pixel (a next image) is ignored."""
    take = min(values.size, out.size - filled)
    out[filled : filled + take] = values[:take]
    return filled + take


def _plain_pieces(stream: BinaryIO, rest: bytes) -> Iterator[bytes]:
    """A plain raster as pieces of text without comments, each ending
    between two numbers, read a chunk at a time so that memory stays small
    however much whitespace or comment the file holds. (Comments in the
    raster are not in the spec, but libnetpbm skips them, so we do too.)"""
    carry, in_comment = b"", False
    chunk = rest
    while chunk:
        if in_comment:
            end = _LINE_END.search(chunk)
            if end is None:  # the comment goes on past this chunk
                chunk = stream.read(CHUNK_BYTES)
                continue
            chunk, in_comment = chunk[end.start() :], False
        text, in_comment = _without_comments(carry + chunk)
        carry, text = _split_last_number(text)
        yield text
        chunk = stream.read(CHUNK_BYTES)
    if carry:
        yield carry


def _without_comments(text: bytes) -> tuple[bytes, bool]:
    """``text`` with comments blanked, and whether its last comment is still
    open (its line ends in a later chunk)."""
    last_line = max(text.rfind(b"\n"), text.rfind(b"\r"))
    start = text.find(b"#", last_line + 1)
    open_comment = start >= 0
    if open_comment:
        text = text[:start] + b" "
    return _COMMENT.sub(b" ", text), open_comment


def _split_last_number(text: bytes) -> tuple[bytes, bytes]:
    """(carry, text): a number cut by the chunk's end is kept for the next
    piece. One longer than any valid number is passed on whole, to be refused."""
    cut = len(text.rstrip(b"0123456789"))
    if cut == len(text) or len(text) - cut > LONGEST_NUMBER:
        return b"", text
    return text[cut:], text[:cut]


# Pillow -------------------------------------------------------------------


def _read_with_pillow(stream: BinaryIO, shown: str, kind: str | None) -> Grey:
    try:
        from PIL import Image, UnidentifiedImageError  # type: ignore[import-not-found, unused-ignore]  # Pillow is an optional extra: absent here, typed when installed
    except ImportError:
        if kind is None:
            raise DataError(
                f"{shown}: not a supported image: reads {NATIVE}, and PNG, JPEG and more with Pillow: {PILLOW_HINT}"
            ) from None
        raise DataError(f"{shown}: {kind} files need Pillow: {PILLOW_HINT}") from None
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    described = f"{kind} image" if kind else "image"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's warnings (odd EXIF) are not ours to print
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
            _check_pillow_size(image.size, shown)  # Pillow reads the header only until here
            grey = _pillow_grey(image)
    except UnidentifiedImageError:
        if kind is not None:  # the signature was right: what follows it is not
            raise DataError(
                f"{shown}: cannot read this {described}: damaged, truncated or a variant Pillow lacks"
            ) from None
        raise DataError(f"{shown}: not a supported image: reads {NATIVE} and Pillow's (PNG, JPEG, ...)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(f"{shown}: {described} is too large ({_limits()})") from None
    except _PILLOW_ERRORS as error:
        raise DataError(f"{shown}: cannot read this {described}: {printable(error, 200)}") from None
    if not np.all(np.isfinite(grey)):  # only a float image can hold these
        raise DataError(f"{shown}: {described} holds NaN or infinite values")
    return grey


def _check_pillow_size(size: tuple[int, int], shown: str) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise DataError(f"{shown}: image of {width}x{height} pixels: width and height must be at least 1")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise DataError(f"{shown}: image of {width}x{height} pixels is too large ({_limits()})")


def _pillow_grey(image: Any) -> Grey:
    """Any Pillow image as grey in [0, 1]: 16-bit kept at full precision,
    transparency laid on white, a float image passed through as it is."""
    from PIL import Image, ImageOps  # type: ignore[import-not-found, unused-ignore]  # optional extra, as above

    image = ImageOps.exif_transpose(image)
    if image.mode.startswith("I;16") or image.mode == "I":  # Pillow opens 16-bit files as these
        return np.asarray(image).astype(np.float64) / 65535.0
    if image.mode == "F":
        return np.asarray(image).astype(np.float64)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA"))
    return np.asarray(image.convert("L")).astype(np.float64) / 255.0
